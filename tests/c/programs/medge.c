/* The M extension's edge cases (RISC-V unprivileged spec, chapter 13).
 *
 * RISC-V division never traps: x/0 gives all ones (-1 signed, 2^32-1
 * unsigned), x%0 gives x, and INT_MIN/-1 overflows to INT_MIN with remainder
 * 0. In C these cases are undefined behaviour, so the guest build executes
 * the instructions themselves (inline asm) and the host build computes what
 * the spec defines; the test compares the two outputs.
 */
#include "hvrt.h"

/* int is 32 bits on both builds; uint32_t is long on RV32 newlib, which printf formats dislike. */
typedef unsigned int u32;
typedef int s32;

#define INT_MIN_ ((s32)0x80000000)

#ifdef __riscv
#define OP(name)                                                                                      \
    static u32 op_##name(u32 a, u32 b) {                                               \
        u32 r;                                                                                   \
        __asm__ volatile(#name " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));                             \
        return r;                                                                                     \
    }
OP(mul)
OP(mulh)
OP(mulhsu)
OP(mulhu)
OP(div)
OP(divu)
OP(rem)
OP(remu)
#else
static u32 op_mul(u32 a, u32 b) { return a * b; }
static u32 op_mulh(u32 a, u32 b) {
    return (u32)((uint64_t)((int64_t)(s32)a * (int64_t)(s32)b) >> 32);
}
static u32 op_mulhsu(u32 a, u32 b) {
    /* |a * b| < 2^63 for signed a and unsigned b: fits in int64 */
    return (u32)((uint64_t)((int64_t)(s32)a * (int64_t)b) >> 32);
}
static u32 op_mulhu(u32 a, u32 b) { return (u32)(((uint64_t)a * b) >> 32); }
static u32 op_div(u32 a, u32 b) {
    if (b == 0)
        return 0xFFFFFFFFu;
    if ((s32)a == INT_MIN_ && (s32)b == -1)
        return a;
    return (u32)((s32)a / (s32)b);
}
static u32 op_divu(u32 a, u32 b) { return b ? a / b : 0xFFFFFFFFu; }
static u32 op_rem(u32 a, u32 b) {
    if (b == 0)
        return a;
    if ((s32)a == INT_MIN_ && (s32)b == -1)
        return 0;
    return (u32)((s32)a % (s32)b);
}
static u32 op_remu(u32 a, u32 b) { return b ? a % b : a; }
#endif

static const u32 values[] = {
    0, 1, 2, 3, 7, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFF9, 0x10000, 0x12345678,
};
#define NVALUES (sizeof values / sizeof values[0])

struct op {
    const char *name;
    u32 (*fn)(u32, u32);
};

static const struct op ops[] = {
    {"mul", op_mul}, {"mulh", op_mulh}, {"mulhsu", op_mulhsu}, {"mulhu", op_mulhu},
    {"div", op_div}, {"divu", op_divu}, {"rem", op_rem},       {"remu", op_remu},
};

static int expect(const char *what, u32 got, u32 want) {
    int ok = got == want;
    hv_printf("%-24s = %08x %s\n", what, got, ok ? "ok" : "WRONG");
    return !ok;
}

int main(void) {
    int bad = 0;
    /* The spec's table of division special cases, spelled out. */
    bad += expect("div 7, 0", op_div(7, 0), 0xFFFFFFFF);
    bad += expect("divu 7, 0", op_divu(7, 0), 0xFFFFFFFF);
    bad += expect("rem 7, 0", op_rem(7, 0), 7);
    bad += expect("rem -7, 0", op_rem((u32)-7, 0), (u32)-7);
    bad += expect("remu 7, 0", op_remu(7, 0), 7);
    bad += expect("div INT_MIN, -1", op_div(0x80000000, 0xFFFFFFFF), 0x80000000);
    bad += expect("rem INT_MIN, -1", op_rem(0x80000000, 0xFFFFFFFF), 0);
    bad += expect("div -7, 2", op_div((u32)-7, 2), (u32)-3); /* rounds toward zero */
    bad += expect("rem -7, 2", op_rem((u32)-7, 2), (u32)-1); /* sign of the dividend */
    bad += expect("rem 7, -2", op_rem(7, (u32)-2), 1);
    bad += expect("mulh -1, -1", op_mulh(0xFFFFFFFF, 0xFFFFFFFF), 0);
    bad += expect("mulhsu -1, 0xffffffff", op_mulhsu(0xFFFFFFFF, 0xFFFFFFFF), 0xFFFFFFFF);
    bad += expect("mulhu 0xffffffff^2", op_mulhu(0xFFFFFFFF, 0xFFFFFFFF), 0xFFFFFFFE);
    bad += expect("mulh INT_MIN, INT_MIN", op_mulh(0x80000000, 0x80000000), 0x40000000);
    bad += expect("mulhsu INT_MIN, 0xffffffff", op_mulhsu(0x80000000, 0xFFFFFFFF), 0x80000000);

    /* Every operation on every pair of interesting values, folded into one
       line per operation and value so a difference is easy to find. */
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        for (unsigned i = 0; i < NVALUES; i++) {
            hv_printf("%-6s %08x:", ops[k].name, values[i]);
            for (unsigned j = 0; j < NVALUES; j++)
                hv_printf(" %x", ops[k].fn(values[i], values[j]));
            hv_putchar('\n');
        }
    }

    /* Plain C division that the compiler turns into div/rem itself. */
    volatile s32 n = -1000000007, d = 97;
    hv_printf("c: %d / %d = %d rem %d\n", n, d, n / d, n % d);
    volatile u32 un = 4000000000u, ud = 7;
    hv_printf("c: %u / %u = %u rem %u\n", un, ud, un / ud, un % ud);
    hv_printf("%d wrong\n", bad);
    return bad;
}

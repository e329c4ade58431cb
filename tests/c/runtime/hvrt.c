/* hvrt on the RISC-V guest: console over SBI DBCN, exit over SBI SRST.
 *
 * Hypercall ABI (SBI v2.0): a7 = extension ID, a6 = function ID, a0..a5 the
 * arguments; the hypervisor returns an error code in a0 and a value in a1.
 * Output is buffered and written with DBCN console_write (one hypercall per
 * line or per buffer-full rather than one per byte); console_write_byte is
 * the fallback if the hypervisor refuses the buffer.
 */
#include <stdarg.h>

#include "hvrt.h"
#include "sbi.h" /* EID_..., the function IDs: generated from the hypercall table */

struct sbiret {
    long error;
    long value;
};

static struct sbiret sbi_call(long eid, long fid, long a0, long a1, long a2) {
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a6 __asm__("a6") = fid;
    register long r_a7 __asm__("a7") = eid;
    /* "memory": the hypervisor reads our buffer, so pending stores must land first. */
    __asm__ volatile("ecall" : "+r"(r_a0), "+r"(r_a1) : "r"(r_a2), "r"(r_a6), "r"(r_a7) : "memory");
    return (struct sbiret){r_a0, r_a1};
}

static char outbuf[256];
static unsigned outlen;

void hv_flush(void) {
    unsigned done = 0;
    while (done < outlen) {
        struct sbiret r = sbi_call(EID_DBCN, DBCN_CONSOLE_WRITE, (long)(outlen - done),
                                   (long)(uintptr_t)(outbuf + done), 0);
        if (r.error != 0 || r.value <= 0) {
            while (done < outlen) /* buffer refused: go byte by byte */
                sbi_call(EID_DBCN, DBCN_CONSOLE_WRITE_BYTE, (unsigned char)outbuf[done++], 0, 0);
            break;
        }
        done += (unsigned)r.value;
    }
    outlen = 0;
}

void hv_putchar(int c) {
    outbuf[outlen++] = (char)c;
    if (c == '\n' || outlen == sizeof outbuf)
        hv_flush();
}

void hv_puts(const char *s) {
    while (*s)
        hv_putchar(*s++);
    hv_putchar('\n');
}

static void put_padded(const char *s, unsigned len, unsigned width, int left, char pad) {
    if (!left)
        for (; width > len; width--)
            hv_putchar(pad);
    for (unsigned i = 0; i < len; i++)
        hv_putchar(s[i]);
    if (left)
        for (; width > len; width--)
            hv_putchar(' ');
}

/* printf-lite: enough for test output, and the same answers as C's printf
   for every conversion it accepts (the host build checks that). */
void hv_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            hv_putchar(*fmt);
            continue;
        }
        fmt++;
        int left = 0;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        if (left)
            pad = ' '; /* C ignores 0 when - is given */
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        char num[12];
        char *end = num + sizeof num, *p = end;
        switch (*fmt) {
        case 'd': {
            int v = va_arg(ap, int);
            /* unsigned negation: -INT_MIN is UB in int arithmetic */
            unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
            do
                *--p = (char)('0' + u % 10);
            while (u /= 10);
            if (v < 0) {
                if (pad == '0' && width > 0) { /* the sign goes before the zeros */
                    hv_putchar('-');
                    width--;
                } else {
                    *--p = '-';
                }
            }
            put_padded(p, (unsigned)(end - p), width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned u = va_arg(ap, unsigned);
            unsigned base = *fmt == 'u' ? 10 : 16;
            const char *digits = *fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            do
                *--p = digits[u % base];
            while (u /= base);
            put_padded(p, (unsigned)(end - p), width, left, pad);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            unsigned len = 0;
            while (s[len])
                len++;
            put_padded(s, len, width, left, ' ');
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            put_padded(&c, 1, width, left, ' ');
            break;
        }
        case '%':
            hv_putchar('%');
            break;
        case '\0':
            fmt--; /* a lone % at the end: stop at the terminator */
            break;
        default: /* unknown conversion: print it as written */
            hv_putchar('%');
            hv_putchar(*fmt);
        }
    }
    va_end(ap);
}

__attribute__((noreturn)) void hv_exit(int status) {
    hv_flush();
    sbi_call(EID_SRST, SRST_SYSTEM_RESET, SRST_SHUTDOWN, (long)(SRST_REASON_EXIT_CODE | (status & 0xFF)),
             0);
    for (;;)
        __asm__ volatile("ebreak"); /* SRST refused: stop for the debugger */
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

/* hvrt's printf-lite against the C library's printf, and the exit path.
 *
 * The host build prints through the real printf, so every line here is a
 * conversion printf-lite must get exactly right. The program ends through
 * hv_exit from a nested call, not by returning: its status (3) must reach the
 * hypervisor as the VM's exit code, and the line without a newline just
 * before it must not be lost in the output buffer.
 */
#include "hvrt.h"

#define INT_MIN_ (-2147483647 - 1)

__attribute__((noreturn)) static void finish(int status) {
    hv_printf("unflushed tail, status %d", status);
    hv_exit(status);
}

int main(void) {
    hv_printf("[%d] [%d] [%d] [%d] [%d]\n", 0, 42, -42, 2147483647, INT_MIN_);
    hv_printf("[%u] [%u] [%x] [%X] [%x]\n", 0u, 4294967295u, 0xdeadbeefu, 0xdeadbeefu, 0u);
    hv_printf("[%08x] [%8x] [%-8x] [%2x] [%08X]\n", 0x1234u, 0x1234u, 0x1234u, 0x12345u, 0xabcu);
    hv_printf("[%5d] [%-5d] [%05d] [%05d] [%1d]\n", 42, 42, 42, -42, 12345);
    hv_printf("[%s] [%8s] [%-8s] [%s] [%c%c%c] [%3c] [%-3c]\n", "hv", "hv", "hv", "", 'a', 'b', 'c', 'x', 'y');
    hv_printf("100%% [%%] [%d%%]\n", 7);
    hv_puts("puts adds a newline");
    hv_putchar('!');
    hv_putchar('\n');
    /* Longer than hvrt's 256-byte buffer: forces a flush mid-line. */
    for (int i = 0; i < 40; i++)
        hv_printf("%08x", (unsigned)i * 0x01010101u);
    hv_putchar('\n');
    finish(3);
}

/* hvrt on the host: the same interface over stdio, so a guest program built
   with the host's cc prints what the RISC-V build should print. hv_printf is
   the C library's printf here, which also checks hvrt.c's printf-lite. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "hvrt.h"

void hv_putchar(int c) { putchar(c); }

void hv_puts(const char *s) { puts(s); }

void hv_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void hv_flush(void) { fflush(stdout); }

void hv_exit(int status) {
    fflush(stdout);
    exit(status);
}

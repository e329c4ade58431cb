/* hvrt: the tiny C runtime of hvlab guests.
 *
 * A guest has no OS: it prints through the hypervisor's debug console (SBI
 * DBCN) and stops itself with SBI SRST. The same program also builds for the
 * host, where host.c maps these calls onto stdio, so the two outputs can be
 * compared byte for byte.
 *
 *   hv_printf("crc %08x\n", crc);   conversions: %d %u %x %X %s %c %%,
 *                                   with a width and the 0 and - flags
 *   hv_exit(status);                flush and stop; status is the exit code
 */
#ifndef HVRT_H
#define HVRT_H

#include <stddef.h>
#include <stdint.h>

void hv_putchar(int c);
void hv_puts(const char *s); /* like puts: appends a newline */
void hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hv_flush(void);
/* status 0-255, as a process exit status; the hypervisor records it as the exit code */
__attribute__((noreturn)) void hv_exit(int status);

/* Freestanding builds have no libc; these are what gcc may call for
   struct copies and zeroing even with -fno-builtin. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

#endif

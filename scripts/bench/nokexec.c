/*
 * LD_PRELOAD shim for benchmarking kexec-tools without loading anything.
 *
 * kexec-tools enters the kernel through libc's syscall(): kexec_load(2) and
 * kexec_file_load(2) are wrapped as syscall(__NR_kexec_load, ...) and
 * syscall(__NR_kexec_file_load, ...) (kexec/kexec-syscall.h). This library
 * interposes syscall(): those two numbers return 0 without entering the kernel;
 * every other number is forwarded to the real syscall() found with
 * dlsym(RTLD_NEXT). With NOKEXEC_LOG set, each intercepted call is reported
 * on stderr with its arguments, so a run can prove what it would have loaded.
 *
 * Written for handoff (MIT); no kexec-tools code.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

#ifndef SYS_kexec_load
#error "no SYS_kexec_load on this architecture"
#endif
#ifndef SYS_kexec_file_load
#define SYS_kexec_file_load -1L /* architectures without it: never matched */
#endif

typedef long (*syscall_fn)(long, ...);

long syscall(long number, ...)
{
	va_list ap;
	long a[6];
	int i;

	/* syscall(2) passes at most six register-sized arguments; reading six is what the ABI allows. */
	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (number == SYS_kexec_load || number == SYS_kexec_file_load) {
		if (getenv("NOKEXEC_LOG"))
			fprintf(stderr, "nokexec: intercepted %s(0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx)\n",
				number == SYS_kexec_load ? "kexec_load" : "kexec_file_load",
				a[0], a[1], a[2], a[3], a[4]);
		return 0;
	}

	static syscall_fn real;
	if (!real)
		real = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

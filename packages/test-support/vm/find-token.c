/*
 * find-token FILE: prints the first "HANDOFF-TOKEN-" followed by 32 lowercase
 * hex digits found in FILE, read start to end in 1 MiB chunks (a match may
 * straddle two chunks). The capture kernel's /init runs it on /proc/vmcore:
 * busybox's strings/grep take minutes over half a gigabyte under TCG.
 * Exit 0 when found, 1 when not, 2 when FILE cannot be read.
 *
 * Freestanding (no libc): the capture initramfs of every arch gets a static
 * binary built with clang --target=... and the arch's binutils ld, so only
 * four system calls are needed, made directly below (x86_64, aarch64 and arm
 * EABI syscall conventions; numbers from each arch's unistd tables).
 */
#if defined(__x86_64__)
#define NR_READ 0
#define NR_WRITE 1
#define NR_OPENAT 257
#define NR_EXIT 60
static long sys3(long n, long a, long b, long c) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
#elif defined(__aarch64__) || defined(__arm__)
#if defined(__aarch64__)
#define NR_READ 63
#define NR_WRITE 64
#define NR_OPENAT 56
#define NR_EXIT 93
#define REG_NR "x8"
#define REG_A0 "x0"
#define REG_A1 "x1"
#define REG_A2 "x2"
#else
#define NR_READ 3
#define NR_WRITE 4
#define NR_OPENAT 322
#define NR_EXIT 1
#define REG_NR "r7"
#define REG_A0 "r0"
#define REG_A1 "r1"
#define REG_A2 "r2"
#endif
static long sys3(long n, long a, long b, long c) {
	register long nr __asm__(REG_NR) = n, a0 __asm__(REG_A0) = a, a1 __asm__(REG_A1) = b, a2 __asm__(REG_A2) = c;
	__asm__ volatile("svc 0" : "+r"(a0) : "r"(nr), "r"(a1), "r"(a2) : "memory");
	return a0;
}
#else
#error "find-token: no system calls for this arch"
#endif

#define AT_FDCWD (-100)
#define CHUNK (1 << 20)
#define PREFIX "HANDOFF-TOKEN-"
#define PREFIX_LEN 14
#define HEX_LEN 32
#define MATCH_LEN (PREFIX_LEN + HEX_LEN)

static unsigned char buf[CHUNK + MATCH_LEN];

static __attribute__((noreturn)) void quit(int code) {
	for (;;) sys3(NR_EXIT, code, 0, 0);
}

static int is_token(const unsigned char *p) {
	for (int i = 0; i < PREFIX_LEN; i++)
		if (p[i] != (unsigned char)PREFIX[i]) return 0;
	for (int i = 0; i < HEX_LEN; i++) {
		unsigned char c = p[PREFIX_LEN + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
	}
	return 1;
}

static void found(const unsigned char *p) {
	static unsigned char line[MATCH_LEN + 1];
	for (int i = 0; i < MATCH_LEN; i++) line[i] = p[i];
	line[MATCH_LEN] = '\n';
	sys3(NR_WRITE, 1, (long)line, MATCH_LEN + 1);
	quit(0);
}

static void scan(long fd) {
	unsigned long kept = 0; /* bytes carried over from the previous chunk */
	for (;;) {
		long n = sys3(NR_READ, fd, (long)(buf + kept), CHUNK);
		if (n < 0) quit(2);
		if (n == 0) return;
		unsigned long len = kept + (unsigned long)n;
		for (unsigned long at = 0; at + MATCH_LEN <= len; at++)
			if (buf[at] == 'H' && is_token(buf + at)) found(buf + at);
		kept = len < MATCH_LEN - 1 ? len : MATCH_LEN - 1;
		for (unsigned long i = 0; i < kept; i++) buf[i] = buf[len - kept + i];
	}
}

/* The kernel's initial stack: argc, then argv[]. */
__attribute__((used)) static void start_c(long *sp) {
	if (sp[0] != 2) quit(2);
	long fd = sys3(NR_OPENAT, AT_FDCWD, sp[2], 0 /* O_RDONLY */);
	if (fd < 0) quit(2);
	scan(fd);
	quit(1);
}

#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call start_c\n hlt\n");
#elif defined(__aarch64__)
__asm__(".globl _start\n_start:\n mov x0, sp\n bl start_c\n b .\n");
#else
__asm__(".globl _start\n_start:\n mov r0, sp\n bic sp, sp, #7\n bl start_c\n b .\n");
#endif

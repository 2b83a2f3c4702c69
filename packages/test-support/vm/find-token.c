/*
 * find-token FILE: prints the first "HANDOFF-TOKEN-" followed by 32 lowercase
 * hex digits found in FILE, read start to end in 1 MiB chunks (a match may
 * straddle two chunks). The capture kernel's /init runs it on /proc/vmcore:
 * busybox's strings/grep take minutes over half a gigabyte under TCG.
 * Exit 0 when found, 1 when not, 2 when FILE cannot be read.
 */
#define _GNU_SOURCE /* memmem */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1 << 20)
#define PREFIX "HANDOFF-TOKEN-"
#define PREFIX_LEN 14
#define HEX_LEN 32
#define MATCH_LEN (PREFIX_LEN + HEX_LEN)

static unsigned char buf[CHUNK + MATCH_LEN];

static int is_token(const unsigned char *p) {
	for (int i = 0; i < HEX_LEN; i++) {
		unsigned char c = p[PREFIX_LEN + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
	}
	return 1;
}

int main(int argc, char **argv) {
	if (argc != 2) return 2;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) { perror(argv[1]); return 2; }
	size_t kept = 0; /* bytes carried over from the previous chunk */
	for (;;) {
		ssize_t n = read(fd, buf + kept, CHUNK);
		if (n < 0) { perror("read"); return 2; }
		if (n == 0) break;
		size_t len = kept + (size_t)n;
		const unsigned char *at = buf;
		while ((at = memmem(at, len - (size_t)(at - buf), PREFIX, PREFIX_LEN)) != NULL) {
			if ((size_t)(at - buf) + MATCH_LEN > len) break;
			if (is_token(at)) { printf("%.*s\n", MATCH_LEN, (const char *)at); return 0; }
			at++;
		}
		kept = len < MATCH_LEN - 1 ? len : MATCH_LEN - 1;
		memmove(buf, buf + len - kept, kept);
	}
	return 1;
}

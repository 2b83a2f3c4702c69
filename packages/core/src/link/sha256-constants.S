/*
 * SHA-256 constants for the hand-off stubs' segment check (GNU as, any
 * target), derived as FIPS 180-4 defines them — K (§4.2.2): the first 32 bits
 * of the fractional parts of the cube roots of the first 64 primes; the
 * initial hash value (§5.3.3): of the square roots of the first 8 primes.
 *   SHA256_EACH_K m   expands `m K[t]` for t = 0..63 (a stub lays them out);
 *   SHA256_K_TABLE    the 64 words;  SHA256_IV  the 8 words;
 *   SHA256_STUB_CONSTANTS  what every stub's check reads: .Lsha_iv, .Lsha_k and
 *                     .Lverify_msg (the mismatch line's text), zero-padded;
 *   VERIFY_TABLE word directive, entry bytes: the region table of a stub's data
 *                     block (hd_verify_count, hd_verify_regions, _end) for
 *                     VERIFY_MAX_REGIONS entries — packages/core/src/kexec/verify-table.ts.
 */
	.set	VERIFY_MAX_REGIONS, 16		/* Linux KEXEC_SEGMENT_MAX: every plan's bound */
.macro	SHA256_EACH_K m
	.irp	k, 0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
	\m	\k
	.endr
.endm

.macro	SHA256_K_WORD k
	.4byte	\k
.endm

.macro	SHA256_K_TABLE
	SHA256_EACH_K SHA256_K_WORD
.endm

.macro	SHA256_IV
	.4byte	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
.endm

.macro	SHA256_STUB_CONSTANTS
	.balign	8, 0
.Lsha_iv:
	SHA256_IV
.Lsha_k:
	SHA256_K_TABLE
.Lverify_msg:
	.asciz	"handoff: SHA-256 mismatch in segment "
	.balign	8, 0
.endm

.macro	VERIFY_TABLE word, entry_bytes
	.globl	hd_verify_count, hd_verify_regions, hd_verify_regions_end
hd_verify_count:
.Lverify_count:	\word	0		/* regions in the table; 0 = no check (--no-verify) */
hd_verify_regions:
.Lverify_regions: .fill	VERIFY_MAX_REGIONS * \entry_bytes, 1, 0
hd_verify_regions_end:
.endm

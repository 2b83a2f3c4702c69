import type { ByteReader } from "./byte-reader.js";

/*
 * Kernels with an EFI stub are PE/COFF images as well as their own format:
 * they start with the MS-DOS "MZ" signature, and a header field holds the
 * file offset of the "PE\0\0" signature (PE Format, "MS-DOS Stub" and
 * "Signature (Image Only)"). The Linux Image formats (arm64, riscv) and the
 * x86 bzImage and arm zImage all carry one.
 */

/** "PE\0\0" read little-endian. */
const PE_SIGNATURE = 0x0000_4550;

/** Whether `bytes` starts with "MZ": the kernel has an EFI stub. */
export function hasMzSignature(bytes: Uint8Array): boolean {
  return bytes[0] === 0x4d && bytes[1] === 0x5a;
}

/**
 * Whether the kernel `r` reads has an EFI stub; when it has, the PE header
 * offset `peOffset` (read from header field `field` at `fieldOffset`) must lie
 * inside the file and point at "PE\0\0", or the reader fails naming the field.
 */
export function checkEfiStubPeHeader(r: ByteReader, field: string, fieldOffset: number, peOffset: number): boolean {
  if (!hasMzSignature(r.bytes)) return false;
  if (!r.has(peOffset, 4)) r.fail(field, fieldOffset, `PE header offset 0x${peOffset.toString(16)} is past the end of the file`);
  const signature = r.u32le("pe_header", peOffset);
  if (signature !== PE_SIGNATURE) r.fail("pe_header", peOffset, `0x${signature.toString(16)} is not "PE\\0\\0"`);
  return true;
}

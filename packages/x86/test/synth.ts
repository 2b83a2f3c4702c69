/** Synthetic bzImages for hostile-input tests, laid out from boot.rst offsets. */

export interface SynthOptions {
  version?: number;
  setupSects?: number;
  kernelSize?: number;
  loadflags?: number;
  xloadflags?: number;
  kernelVersionPtr?: number;
  payloadOffset?: number;
  payloadLength?: number;
  kernelInfoOffset?: number;
  syssize?: number;
  jump?: number;
  prefAddress?: bigint;
  initSize?: number;
}

/** A minimal protocol-2.15 bzImage built from boot.rst offsets. */
export function synthBzImage(o: SynthOptions = {}): Uint8Array {
  const setupSects = o.setupSects ?? 4;
  const setupSize = ((setupSects === 0 ? 4 : setupSects) + 1) * 512;
  const kernelSize = o.kernelSize ?? 0x2000;
  const b = new Uint8Array(setupSize + kernelSize);
  const v = new DataView(b.buffer);
  v.setUint8(0x1f1, setupSects);
  v.setUint32(0x1f4, o.syssize ?? kernelSize / 16, true);
  v.setUint16(0x1fe, 0xaa55, true);
  v.setUint8(0x200, 0xeb);
  v.setUint8(0x201, o.jump ?? 0x6a);
  v.setUint32(0x202, 0x53726448, true);
  v.setUint16(0x206, o.version ?? 0x020f, true);
  v.setUint16(0x20e, o.kernelVersionPtr ?? 0x300, true);
  b.set(Buffer.from("6.9.9-synthetic\0", "latin1"), 0x500);
  v.setUint8(0x211, o.loadflags ?? 1);
  v.setUint32(0x214, 0x100000, true);
  v.setUint32(0x230, 0x200000, true);
  v.setUint8(0x234, 1);
  v.setUint16(0x236, o.xloadflags ?? 0x3, true);
  v.setUint32(0x238, 2047, true);
  v.setUint32(0x248, o.payloadOffset ?? 0x100, true);
  v.setUint32(0x24c, o.payloadLength ?? 0x100, true);
  v.setBigUint64(0x258, o.prefAddress ?? 0x1000000n, true);
  v.setUint32(0x260, o.initSize ?? 0x10000, true);
  const kio = o.kernelInfoOffset ?? 0x800;
  v.setUint32(0x268, kio, true);
  if (kio + 16 <= kernelSize) {
    v.setUint32(setupSize + kio, 0x506f544c, true);
    v.setUint32(setupSize + kio + 4, 16, true);
    v.setUint32(setupSize + kio + 8, 16, true);
    v.setUint32(setupSize + kio + 12, 9, true);
  }
  return b;
}


/**
 * The in-VM kexec harness: one initramfs per arch, built once and cached under
 * `.cache/kexec-vm/`, holding busybox-static, node and the libraries it links,
 * the single-file CLI (`packages/cli/dist/handoff.cjs`), koffi's prebuilt
 * binary, the second kernel with the marker initramfs, optionally kexec-tools
 * as the reference, and an /init that runs the case named on the kernel
 * command line (`handoff.case=NAME`) and then the exec. Every kexec runs in
 * QEMU: nothing here touches the host kernel.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { NewcArchive, markerInitramfs } from "@handoff/core/cpio";
import { staticBusybox } from "./busybox.js";
import { IN_CI, KERNELS, REPO_ROOT, fixtureKernel, requireTool } from "./tools.js";
import { armNodeBinary, armSysroot, foreignSharedLibraries, type ArmVmArch } from "./kexec-vm-arm.js";

const CACHE = join(REPO_ROOT, ".cache", "kexec-vm");

/** What goes into a VM image besides busybox. */
export interface KexecVmInputs {
  readonly arch: "x86_64" | ArmVmArch;
  readonly busybox: string;
  /** The node binary to run in the VM (its shared libraries: the host's on x86_64, `sysroot`'s on Arm). */
  readonly node: string;
  /** Arm: the foreign Debian root node's and kexec's libraries come from (`armSysroot`). */
  readonly sysroot?: string;
  /** The second kernel (put at /k/kernel). */
  readonly kernel: string;
  /** A 32-bit x86 kernel for the cross-width case (put at /k/kernel32), with an i386 busybox for its marker initramfs. */
  readonly kernel32?: { readonly kernel: string; readonly busybox: string };
  /** kexec-tools sysroot (sbin/kexec, usr/lib/<triplet>/libxen*), when the reference runs too (on Arm: `sysroot`). */
  readonly kexecTools?: string;
}

/** Kernel command-line word that enables the real backend's guard inside the VM (PID 1's environment). */
export const VM_GUARD_PARAM = "HANDOFF_TEST_VM=1";
/** Lines /init prints, so a test can time and follow it. */
export const VM_EXEC_LINE = "HANDOFF-VM: exec";
/** Printed just before /init panics the kernel (crash cases). */
export const VM_PANIC_LINE = "HANDOFF-VM: panic";
/** The first kernel's random token is printed after this and stored in a tmpfs file as `HANDOFF-TOKEN-<32 hex>`. */
export const VM_TOKEN_LINE = "HANDOFF-VM: token ";
/** Bytes of the crash region the first kernel reserves in the crash cases (crashkernel=). */
export const VM_CRASH_KERNEL = "128M";
/** RAM of the crash cases' VM: the 127 MB image must unpack beside the crash region (512M is too little). */
export const VM_CRASH_MEMORY = "640M";
export const VM_FAILED_LINE = "HANDOFF-VM: failed";

/**
 * /init: mounts, marks the VM (the real backend's guard looks for the file),
 * runs the load of `handoff.case` and, when it worked, the exec. The second
 * kernel's command line carries `handoff.marker=<case>`.
 */
export const KEXEC_VM_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t securityfs none /sys/kernel/security 2>/dev/null
: > /handoff-test-vm
export HANDOFF_KEXEC_REAL=1 HOME=/ PATH=/bin:/sbin:/usr/bin
for word in $(cat /proc/cmdline); do
  case "$word" in handoff.case=*) case="\${word#handoff.case=}" ;; console=*) console="$word" ;; esac
done
H="node /opt/handoff/handoff.cjs"
M="$console handoff.marker=kexec-$case"
CM="$console quiet nr_cpus=1 reset_devices handoff.marker=crash-$case"
# Crash cases: a random token in a tmpfs file (so it sits in RAM), the RAM map for the test, then the load.
crash_setup() {
  mkdir -p /mnt/t && mount -t tmpfs tmpfs /mnt/t
  tok=$(head -c 16 /dev/urandom | od -A n -t x1 | tr -d ' \n')
  echo "HANDOFF-TOKEN-$tok" > /mnt/t/token
  echo "${VM_TOKEN_LINE}$tok"
  echo "HANDOFF-VM: release $(uname -r)"
  echo "HANDOFF-FILE: /proc/iomem"; cat /proc/iomem; echo "HANDOFF-FILE: end"
}
panic() { echo "${VM_PANIC_LINE}"; echo c > /proc/sysrq-trigger; }
echo "HANDOFF-VM: case $case"
echo "HANDOFF-VM: first kernel: $(dmesg | grep -m1 -o 'started at EL[0-9]\\|started in HYP mode') $(dmesg | grep -m1 -o 'Brought up .*')"
echo "HANDOFF-VM: firmware: $([ -d /sys/firmware/efi ] && echo efi || echo no-efi)"
run() { echo "HANDOFF-VM: run $*"; "$@"; }
case "$case" in
  load) run $H kexec load --kernel /k/kernel --initrd /k/marker.cpio --cmdline "$M" && run $H kexec status && echo "${VM_EXEC_LINE}" && $H kexec exec ;;
  load-mmu-off) run $H kexec load --verify-without-mmu --kernel /k/kernel --initrd /k/marker.cpio --cmdline "$M" && echo "${VM_EXEC_LINE}" && $H kexec exec ;;
  load-exec) echo "${VM_EXEC_LINE}"; run $H kexec load --exec --kernel /k/kernel --initrd /k/marker.cpio --cmdline "$M" ;;
  file) run $H kexec load --file --kernel /k/kernel --initrd /k/marker.cpio --cmdline "$M" && echo "${VM_EXEC_LINE}" && $H kexec exec ;;
  cross32) run $H kexec load --arch x86_32 --kernel /k/kernel32 --initrd /k/marker32.cpio --cmdline "$M" && echo "${VM_EXEC_LINE}" && $H kexec exec ;;
  tools32) run kexec -l /k/kernel32 --initrd=/k/marker32.cpio --command-line="$M" && echo "${VM_EXEC_LINE}" && kexec -e ;;
  tools) run kexec -l /k/kernel --initrd=/k/marker.cpio --command-line="$M" && echo "${VM_EXEC_LINE}" && kexec -e ;;
  tools-imagesize) run kexec -l /k/kernel --image-size=0x3000000 --initrd=/k/marker.cpio --command-line="$M" && echo "${VM_EXEC_LINE}" && kexec -e ;;
  tools-i) run kexec -l -i /k/kernel --initrd=/k/marker.cpio --command-line="$M" && echo "${VM_EXEC_LINE}" && kexec -e ;;
  tools-imagesize-i) run kexec -l -i /k/kernel --image-size=0x3000000 --initrd=/k/marker.cpio --command-line="$M" && echo "${VM_EXEC_LINE}" && kexec -e ;;
  tools-file) run kexec -s -l /k/kernel --initrd=/k/marker.cpio --command-line="$M" && echo "${VM_EXEC_LINE}" && kexec -e ;;
  crash) crash_setup; run $H kexec load --crash --kernel /k/kernel --initrd /k/capture.cpio --cmdline "$CM" && run $H kexec status && panic ;;
  tools-crash) crash_setup; run kexec -p /k/kernel --initrd=/k/capture.cpio --command-line="$CM" && panic ;;
  tools-crash-imagesize) crash_setup; run kexec -p /k/kernel --image-size=0x3000000 --initrd=/k/capture.cpio --command-line="$CM" && panic ;;
  probe) run $H kexec load --probe && echo "${VM_EXEC_LINE}" && $H kexec exec ;;
  corrupt) HANDOFF_TEST_FLIP_SEGMENT="protected-mode kernel" run $H kexec load --kernel /k/kernel --initrd /k/marker.cpio --cmdline "$M" && echo "${VM_EXEC_LINE}" && $H kexec exec ;;
  corrupt-image) HANDOFF_TEST_FLIP_SEGMENT="Image" run $H kexec load --kernel /k/kernel --initrd /k/marker.cpio --cmdline "$M" && echo "${VM_EXEC_LINE}" && $H kexec exec ;;
  noverify) run $H kexec load --no-verify --kernel /k/kernel --initrd /k/marker.cpio --cmdline "$M" && echo "${VM_EXEC_LINE}" && $H kexec exec ;;
  startup) echo "HANDOFF-VM: t0"; node -e 0; echo "HANDOFF-VM: t1 node"; $H kexec status > /dev/null; echo "HANDOFF-VM: t2 handoff" ;;
  unguarded) HANDOFF_KEXEC_REAL=0 run $H kexec load --kernel /k/kernel --initrd /k/marker.cpio --cmdline "$M" ;;
  capture) for f in /proc/iomem /proc/cmdline /sys/kernel/kexec_loaded /proc/sys/kernel/kexec_load_disabled /sys/kernel/kexec_crash_loaded /sys/kernel/kexec_crash_size /sys/kernel/vmcoreinfo /sys/devices/system/cpu/cpu*/crash_notes*; do
      [ -e $f ] && { echo "HANDOFF-FILE: $f"; cat $f; }; done
    for d in /sys/firmware/memmap/*; do [ -e $d/start ] && echo "HANDOFF-MEMMAP: $(cat $d/start) $(cat $d/end) $(cat $d/type)"; done
    [ -e /sys/firmware/fdt ] && { echo "HANDOFF-FDT-BASE64:"; base64 /sys/firmware/fdt; echo "HANDOFF-FDT-END"; } ;;
esac
echo "${VM_FAILED_LINE}"
poweroff -f
`;

/** Shared libraries `ldd` lists for a binary (absolute paths, the loader included). */
function sharedLibraries(binary: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8", env });
  return [...out.matchAll(/(\/[^\s]+\.so[^\s]*) \(0x/g)].map((m) => m[1]!);
}

/** Add `path` from the host (or `from`) at the same path in the archive, creating its directories. */
function addFile(cpio: NewcArchive, dirs: Set<string>, archivePath: string, hostPath: string, perms = 0o755): void {
  const rel = archivePath.replace(/^\//, "");
  const parts = dirname(rel).split("/").filter((p) => p !== ".");
  for (let i = 1; i <= parts.length; i++) {
    const d = parts.slice(0, i).join("/");
    if (!dirs.has(d)) {
      dirs.add(d);
      cpio.directory(d);
    }
  }
  cpio.file(rel, new Uint8Array(readFileSync(hostPath)), perms);
}

/** The triplet directory of koffi's prebuilt binary for an arch. */
const KOFFI_TRIPLET = { x86_64: "linux_x64", arm64: "linux_arm64", arm32: "linux_armhf" } as const;

/** Everything the VM image holds, as (archive path, host path, perms). */
function imageFiles(inputs: KexecVmInputs): [string, string, number][] {
  const koffi = join(REPO_ROOT, "node_modules", "koffi");
  const files: [string, string, number][] = [
    ["bin/busybox", inputs.busybox, 0o755],
    ["usr/bin/node", inputs.node, 0o755],
    ["opt/handoff/handoff.cjs", join(REPO_ROOT, "packages/cli/dist/handoff.cjs"), 0o644],
    ["opt/handoff/node_modules/koffi/package.json", join(koffi, "package.json"), 0o644],
    ["opt/handoff/node_modules/koffi/index.js", join(koffi, "index.js"), 0o644],
    [`opt/handoff/node_modules/koffi/build/koffi/${KOFFI_TRIPLET[inputs.arch]}/koffi.node`, join(koffi, "build/koffi", KOFFI_TRIPLET[inputs.arch], "koffi.node"), 0o755],
    ["k/kernel", inputs.kernel, 0o644],
  ];
  if (inputs.kernel32 !== undefined) files.push(["k/kernel32", inputs.kernel32.kernel, 0o644], ["k/marker32.cpio", markerFile(inputs.kernel32.busybox), 0o644]);
  if (inputs.arch !== "x86_64") {
    const root = inputs.sysroot!;
    for (const [at, host] of foreignSharedLibraries(inputs.node, root, inputs.arch)) files.push([at, host, 0o755]);
    if (inputs.kexecTools !== undefined) {
      files.push(["sbin/kexec", join(root, "sbin/kexec"), 0o755]);
      for (const [at, host] of foreignSharedLibraries(join(root, "sbin/kexec"), root, inputs.arch)) files.push([at, host, 0o755]);
    }
    return uniqueByArchivePath(files);
  }
  for (const lib of sharedLibraries(inputs.node)) files.push([lib, lib, 0o755]);
  if (inputs.kexecTools !== undefined) {
    const kexec = join(inputs.kexecTools, "sbin/kexec");
    files.push(["sbin/kexec", kexec, 0o755]);
    const libDir = join(inputs.kexecTools, "usr/lib/x86_64-linux-gnu");
    for (const lib of sharedLibraries(kexec, { ...process.env, LD_LIBRARY_PATH: libDir })) {
      files.push([lib.startsWith(inputs.kexecTools) ? lib.slice(inputs.kexecTools.length) : lib, lib, 0o755]);
    }
  }
  return uniqueByArchivePath(files);
}

/** node and kexec share libc and the loader: one entry per archive path. */
function uniqueByArchivePath(files: [string, string, number][]): [string, string, number][] {
  const seen = new Set<string>();
  return files.filter(([at]) => {
    const key = at.replace(/^\//, "");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The VM's initramfs for `inputs`, built once per content (the cache key hashes
 * every input file and /init) and written atomically into `.cache/kexec-vm/`.
 */
export function kexecVmInitramfs(inputs: KexecVmInputs): string {
  const files = imageFiles(inputs);
  const key = createHash("sha256").update(KEXEC_VM_INIT).update(CAPTURE_INIT).update(readFileSync(FIND_TOKEN_SOURCE));
  for (const [at, host] of files) key.update(at).update(readFileSync(host));
  const target = join(CACHE, `${inputs.arch}-${key.digest("hex").slice(0, 16)}.cpio`);
  if (existsSync(target)) return target;
  const cpio = new NewcArchive().directory("dev").directory("proc").directory("sys").directory("tmp").directory("run").characterDevice("dev/console", 5, 1);
  const dirs = new Set(["dev", "proc", "sys", "tmp", "run"]);
  for (const [at, host, perms] of files) addFile(cpio, dirs, at, host, perms);
  addFile(cpio, dirs, "k/marker.cpio", markerFile(inputs.busybox), 0o644);
  addFile(cpio, dirs, "k/capture.cpio", captureFile(inputs.busybox, inputs.arch), 0o644);
  cpio.file("init", KEXEC_VM_INIT, 0o755);
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, cpio.toBytes());
  renameSync(tmp, target);
  return target;
}

/** Lines the capture kernel's /init prints (after this prefix). */
export const CAPTURE_LINE = "HANDOFF-CAPTURE: ";

/**
 * /init of the capture (kdump) kernel: reads /proc/vmcore with busybox only —
 * the ELF identification and e_type, every program header (PT_LOAD sizes
 * summed), vmcoreinfo's OSRELEASE from the merged notes at the file's start,
 * and the first kernel's token found by scanning the whole dump (find-token,
 * vm/find-token.c) — prints each
 * and the marker with the token, then powers off.
 */
export const CAPTURE_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
for word in $(cat /proc/cmdline); do
  case "$word" in handoff.marker=*) marker="\${word#handoff.marker=}" ;; esac
done
V=/proc/vmcore
say() { echo "${CAPTURE_LINE}$*"; }
[ -r $V ] || { say "no /proc/vmcore"; poweroff -f; }
# The header and notes are copied out first with exact-size reads (od and head read ahead in
# 4 KiB blocks, which would already touch the dumped memory a broken PT_LOAD points at).
H=/tmp/vmcore-head; mkdir -p /tmp
head_of() { dd if=$V of=$H bs="$1" count=1 2>/dev/null; }
num() { od -A n -t "u$2" -j "$1" -N "$2" $H | tr -d ' '; }
head_of 64
magic=$(od -A n -t x1 -N 4 $H | tr -d ' ')
# ELF64: e_phoff 32 (8 bytes), e_phnum 56, 56-byte phdrs, p_offset at 8, p_memsz at 40; ELF32: 28 (4), 44, 32, 4, 20.
if [ "$(num 4 1)" = 2 ]; then W=8 phoff=$(num 32 8) phnum=$(num 56 2) PH=56 OFF=8 MEMSZ=40; else W=4 phoff=$(num 28 4) phnum=$(num 44 2) PH=32 OFF=4 MEMSZ=20; fi
head_of $((phoff + phnum * PH))
loads=0; bytes=0; data=0; i=0
while [ "$i" -lt "$phnum" ]; do
  at=$((phoff + i * PH))
  if [ "$(num $at 4)" = 1 ]; then
    loads=$((loads + 1)); bytes=$((bytes + $(num $((at + MEMSZ)) $W)))
    off=$(num $((at + OFF)) $W); { [ "$data" = 0 ] || [ "$off" -lt "$data" ]; } && data=$off
    say "load offset $off memsz $(num $((at + MEMSZ)) $W)"
  fi
  i=$((i + 1))
done
say "elf $magic class $(num 4 1) type $(num 16 2) machine $(num 18 2) phnum $phnum loads $loads bytes $bytes"
# vmcore lays the merged notes out between the program headers and the first load's data.
head_of $data
say "$(strings $H | grep -m1 '^OSRELEASE=')"
start=$(cut -d' ' -f1 /proc/uptime)
tok=$(/bin/find-token $V)
say "scanned in $start..$(cut -d' ' -f1 /proc/uptime) s"
echo "HANDOFF-MARKER: \${marker:-none} \${tok#HANDOFF-TOKEN-}"
poweroff -f
`;

/** The token scanner's C source (freestanding and static: the capture initramfs has no libc). */
const FIND_TOKEN_SOURCE = join(REPO_ROOT, "packages/test-support/vm/find-token.c");

/** clang target and binutils linker of each VM arch's find-token (both in .ci/debian-packages). */
const FIND_TOKEN_TOOLCHAIN: Record<KexecVmInputs["arch"], { readonly target: string; readonly ld: string }> = {
  x86_64: { target: "x86_64-linux-gnu", ld: "x86_64-linux-gnu-ld" },
  arm64: { target: "aarch64-linux-gnu", ld: "aarch64-linux-gnu-ld" },
  arm32: { target: "armv7a-linux-gnueabihf", ld: "arm-linux-gnueabihf-ld" },
};

/** `find-token` for `arch` (freestanding: clang -c, then the arch's ld), built once per source into the cache. */
function findTokenBinary(arch: KexecVmInputs["arch"]): string {
  const source = readFileSync(FIND_TOKEN_SOURCE);
  const path = join(CACHE, `find-token-${arch}-${createHash("sha256").update(source).digest("hex").slice(0, 16)}`);
  if (existsSync(path)) return path;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const { target, ld } = FIND_TOKEN_TOOLCHAIN[arch];
  const flags = ["-O2", "-ffreestanding", "-fno-builtin", "-fno-stack-protector", "-fno-pic", "-Wall", "-Werror"];
  execFileSync("clang", [`--target=${target}`, ...flags, "-c", "-o", `${tmp}.o`, FIND_TOKEN_SOURCE], { stdio: "pipe" });
  try {
    execFileSync(ld, ["-static", "-nostdlib", "-e", "_start", "-o", tmp, `${tmp}.o`], { stdio: "pipe" });
  } finally {
    rmSync(`${tmp}.o`, { force: true });
  }
  renameSync(tmp, path);
  return path;
}

/** The capture kernel's initramfs: busybox, find-token and {@link CAPTURE_INIT}, cached by content. */
function captureFile(busybox: string, arch: KexecVmInputs["arch"]): string {
  const bytes = new NewcArchive()
    .directory("bin")
    .directory("dev")
    .directory("proc")
    .characterDevice("dev/console", 5, 1)
    .file("bin/busybox", new Uint8Array(readFileSync(busybox)), 0o755)
    .file("bin/find-token", new Uint8Array(readFileSync(findTokenBinary(arch))), 0o755)
    .file("init", CAPTURE_INIT, 0o755)
    .toBytes();
  return cachedFile("capture", bytes);
}

/** `bytes` under `.cache/kexec-vm/NAME-<hash>.cpio`, written atomically once. */
function cachedFile(name: string, bytes: Uint8Array): string {
  mkdirSync(CACHE, { recursive: true });
  const path = join(CACHE, `${name}-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.cpio`);
  if (!existsSync(path)) {
    writeFileSync(`${path}.${process.pid}.tmp`, bytes);
    renameSync(`${path}.${process.pid}.tmp`, path);
  }
  return path;
}

/** The marker initramfs around `busybox`, cached by content. */
function markerFile(busybox: string): string {
  return cachedFile("marker", markerInitramfs(new Uint8Array(readFileSync(busybox))));
}

/** QEMU binary of each Arm VM arch. */
const ARM_QEMU: Record<ArmVmArch, string> = { arm64: "qemu-system-aarch64", arm32: "qemu-system-arm" };

/**
 * The Arm kexec VM image of `arch`: the fixture kernel and its initramfs
 * (node, the CLI, kexec-tools; built on first use), or undefined when
 * something is missing here (skipped loudly; under CI it throws).
 */
export function armKexecVmImage(arch: ArmVmArch): { kernel: string; initrd: () => string } | undefined {
  const kernel = fixtureKernel(KERNELS[arch]);
  const bundle = join(REPO_ROOT, "packages/cli/dist/handoff.cjs");
  if (!existsSync(bundle) && IN_CI) throw new Error(`${bundle} is missing: npm run build first`);
  if (kernel === undefined || !requireTool(ARM_QEMU[arch]) || !existsSync(bundle)) return undefined;
  const busybox = staticBusybox(arch);
  if (busybox === undefined) return undefined;
  try {
    const node = armNodeBinary(arch);
    const sysroot = armSysroot(arch);
    return { kernel, initrd: () => kexecVmInitramfs({ arch, busybox, node, sysroot, kernel, kexecTools: sysroot }) };
  } catch (error) {
    const why = `the ${arch} kexec VM image cannot be built: ${(error as Error).message.split("\n")[0]}`;
    if (IN_CI) throw new Error(why);
    console.warn(`\n*** SKIPPING ${arch} kexec VM cases: ${why} ***\n`);
    return undefined;
  }
}

/** Options every `handoff kexec` subcommand takes (declared once, with help). */
export const KEXEC_COMMON_OPTIONS = {
  "dry-run": { type: "boolean", help: "print what would be passed to the kernel; call nothing" },
  root: { type: "string", value: "DIR", help: "read /proc and /sys under DIR (default /)" },
  arch: { type: "string", value: "A", help: "plan for this architecture (default: the running machine's)" },
} as const;

/** The common values as the kexec functions take them. */
export function kexecCommon(values: { readonly "dry-run": boolean; readonly root?: string; readonly arch?: string; readonly json: boolean }) {
  return { dryRun: values["dry-run"], root: values.root ?? "/", json: values.json, ...(values.arch !== undefined ? { arch: values.arch } : {}) };
}

/** The real backend runs only inside a handoff test VM: the note every kexec help ends with. */
export const KEXEC_GUARD_NOTE =
  "The system calls run only inside a handoff test VM (PID 1's environment has HANDOFF_TEST_VM=1, /handoff-test-vm exists, and HANDOFF_KEXEC_REAL=1 is set); anywhere else they are refused before anything is called.";

/** Fixed places of the stub's own pages for a Linux boot, below the kernel's usual 16 MiB pref_address. */
export const X86_32_LINUX_LAYOUT = { stub: 0x10_0000n, list: 0x11_0000n, listEnd: 0x1e_0000n, bootData: 0x1f_0000n } as const;

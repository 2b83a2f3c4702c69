/** gABI e_machine of IA-32 (Intel 80386): the machine x86_32 images name. */
export const EM_386 = 3;
/** gABI e_machine of AMD x86-64: the machine x86_64 images name. */
export const EM_X86_64 = 62;

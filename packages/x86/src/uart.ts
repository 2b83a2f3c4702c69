/** I/O base of the PC's first serial port (COM1, a 16550): where the stub reports a segment mismatch. */
export const PC_COM1_PORT = 0x3f8n;

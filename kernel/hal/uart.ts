// The 16550 UART's register set, as COM1 (hal/serial.ts, the log and the
// console) and COM2 (hal/kdcom.ts, the kernel debugger) both drive it.
// Offsets are from the port's I/O base; DLL/DLM take the place of RBR/THR
// and IER while LCR.DLAB is set.

import { outb } from "../sdk/intrinsics";

export const UART_THR: u32 = 0; // transmit holding register (write)
export const UART_RBR: u32 = 0; // receive buffer register (read)
export const UART_DLL: u32 = 0; // divisor latch, low byte (DLAB = 1)
export const UART_IER: u32 = 1; // interrupt enable register
export const UART_DLM: u32 = 1; // divisor latch, high byte (DLAB = 1)
export const UART_IIR: u32 = 2; // interrupt identification register (read)
export const UART_FCR: u32 = 2; // FIFO control register (write)
export const UART_LCR: u32 = 3; // line control register
export const UART_MCR: u32 = 4; // modem control register
export const UART_LSR: u32 = 5; // line status register
export const UART_MSR: u32 = 6; // modem status register
export const UART_SCR: u32 = 7; // scratch register (a presence probe)

export const IER_RX: u32 = 0x01;            // received data available
export const IER_THRI: u32 = 0x02;          // transmit holding register empty
export const LCR_DLAB: u32 = 0x80;          // divisor latch access bit
export const LCR_8N1: u32 = 0x03;           // 8 data bits, no parity, 1 stop bit
export const FCR_ENABLE_CLEAR: u32 = 0xC7;  // FIFOs on, both cleared, receive trigger at 14 bytes
export const MCR_DTR_RTS: u32 = 0x03;       // data terminal ready, request to send
export const MCR_OUT2: u32 = 0x08;          // gates the UART's interrupt line on PCs
export const LSR_DR: u32 = 0x01;            // data ready
export const LSR_THRE: u32 = 0x20;          // transmit holding register empty
export const UART_FIFO_DEPTH: u32 = 16;

/** The UART's input clock divided by 16: divisor 1 gives this baud rate. */
export const UART_MAX_BAUD: u32 = 115200;

/** Programs the UART at `base` for `baud` 8N1 with FIFOs on (cleared), its interrupts off, and `mcr` in MCR. */
export function HalpUartProgram(base: u32, baud: u32, mcr: u32): void {
  const divisor = UART_MAX_BAUD / baud;
  outb(base + UART_IER, 0);
  outb(base + UART_LCR, LCR_DLAB);
  outb(base + UART_DLL, divisor & 0xFF);
  outb(base + UART_DLM, divisor >> 8);
  outb(base + UART_LCR, LCR_8N1);
  outb(base + UART_FCR, FCR_ENABLE_CLEAR);
  outb(base + UART_MCR, mcr);
}

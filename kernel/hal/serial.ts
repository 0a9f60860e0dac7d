// COM1: the kernel log's serial port (a 16550 UART).
//
// The port is programmed once for 115200 baud, 8 data bits, no parity, one
// stop bit, with its FIFOs on. Transmission polls the line status register
// (no interrupts yet): a byte goes out when the transmit holding register is
// empty. The poll is bounded so a missing or wedged UART cannot hang the
// kernel; it only loses output.
//
// Only ke/log.ts and ke/bugcheck.ts write here: COM1 carries log lines and
// the bug check block, nothing else (DESIGN.md section 5).

import { inb, outb } from "../ke/intrinsics";

/** I/O base of COM1. */
export const COM1_BASE: u32 = 0x3F8;

// Register offsets from the base. DLL/DLM replace RBR/THR and IER while
// LCR.DLAB is set.
const UART_THR: u32 = 0; // transmit holding register (write)
const UART_DLL: u32 = 0; // divisor latch, low byte (DLAB = 1)
const UART_IER: u32 = 1; // interrupt enable register
const UART_DLM: u32 = 1; // divisor latch, high byte (DLAB = 1)
const UART_FCR: u32 = 2; // FIFO control register (write)
const UART_LCR: u32 = 3; // line control register
const UART_MCR: u32 = 4; // modem control register
const UART_LSR: u32 = 5; // line status register

const LCR_DLAB: u32 = 0x80;      // divisor latch access bit
const LCR_8N1: u32 = 0x03;       // 8 data bits, no parity, 1 stop bit
const FCR_ENABLE_CLEAR: u32 = 0xC7; // FIFOs on, both cleared, receive trigger at 14 bytes
const MCR_DTR_RTS: u32 = 0x03;   // data terminal ready, request to send
const LSR_THRE: u32 = 0x20;      // transmit holding register empty

/** The UART's input clock divided by 16: divisor 1 gives this baud rate. */
const UART_MAX_BAUD: u32 = 115200;
/** The baud rate of the log. */
const SERIAL_BAUD: u32 = 115200;
/** Polls of LSR before a byte is given up (far longer than one byte time). */
const SERIAL_POLL_LIMIT: u32 = 100000;

const ASCII_CR: u32 = 0x0D;
const ASCII_LF: u32 = 0x0A;

/** True once HalInitializeSerial ran. */
let HalpSerialReady: bool = false;
/** True when the last byte sent ended a line (or nothing was sent yet). */
let HalpSerialAtLineStart: bool = true;

/** Programs COM1 for 115200 8N1 with FIFOs on and its interrupts off. */
export function HalInitializeSerial(): void {
  const divisor = UART_MAX_BAUD / SERIAL_BAUD;
  outb(COM1_BASE + UART_IER, 0);
  outb(COM1_BASE + UART_LCR, LCR_DLAB);
  outb(COM1_BASE + UART_DLL, divisor & 0xFF);
  outb(COM1_BASE + UART_DLM, divisor >> 8);
  outb(COM1_BASE + UART_LCR, LCR_8N1);
  outb(COM1_BASE + UART_FCR, FCR_ENABLE_CLEAR);
  outb(COM1_BASE + UART_MCR, MCR_DTR_RTS);
  HalpSerialReady = true;
}

/** Sends one byte, waiting for room in the transmitter. */
export function HalSerialWriteByte(value: u32): void {
  if (!HalpSerialReady) return;
  for (let i: u32 = 0; i < SERIAL_POLL_LIMIT; i++) {
    if ((inb(COM1_BASE + UART_LSR) & LSR_THRE) != 0) break;
  }
  outb(COM1_BASE + UART_THR, value & 0xFF);
  HalpSerialAtLineStart = value == ASCII_LF;
}

/** Ends the current line: CR LF. */
export function HalSerialNewLine(): void {
  HalSerialWriteByte(ASCII_CR);
  HalSerialWriteByte(ASCII_LF);
}

/** Starts a fresh line if a previous one was left unfinished (used by the bug check). */
export function HalSerialEnsureLineStart(): void {
  if (!HalpSerialAtLineStart) HalSerialNewLine();
}

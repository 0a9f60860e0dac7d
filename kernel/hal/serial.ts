// COM1: the kernel log's serial port (a 16550 UART).
//
// The port is programmed once for 115200 baud, 8 data bits, no parity, one
// stop bit, with its FIFOs on. Until the serial driver connects IRQ 4
// (HalSerialInterrupt, then HalSerialStartInterrupts: phase 1), transmission polls the line status
// register: a byte goes out when the transmit holding register is empty,
// with a bounded poll so a missing or wedged UART cannot hang the kernel.
// From then on it is interrupt-driven: bytes go into a transmit ring and the
// "transmitter empty" interrupt sends them, up to a FIFO's worth (16) at a
// time; received bytes go into a receive ring the driver reads. A full
// transmit ring, a bug check and power-off drain the ring by polling, in
// order, so nothing is lost or reordered.
//
// Only ke/log.ts and ke/bugcheck.ts write here: COM1 carries log lines and
// the bug check block, nothing else (DESIGN.md section 5).

import { cli, inb, outb, read_eflags, sti } from "../sdk/intrinsics";
import {
  HalpUartProgram, IER_RX, IER_THRI, LSR_DR, LSR_THRE, MCR_DTR_RTS, MCR_OUT2, UART_FIFO_DEPTH, UART_IER, UART_IIR, UART_LSR, UART_MCR,
  UART_MSR, UART_RBR, UART_THR,
} from "./uart";

/** I/O base of COM1. */
export const COM1_BASE: u32 = 0x3F8;
/** COM1's interrupt line: the serial driver connects HalSerialInterrupt to it (the HAL sits below the kernel's interrupt table). */
export const COM1_IRQ: u32 = 4;

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
  HalpUartProgram(COM1_BASE, SERIAL_BAUD, MCR_DTR_RTS);
  HalpSerialReady = true;
}

function HalpWritePolled(value: u32): void {
  for (let i: u32 = 0; i < SERIAL_POLL_LIMIT; i++) {
    if ((inb(COM1_BASE + UART_LSR) & LSR_THRE) != 0) break;
  }
  outb(COM1_BASE + UART_THR, value & 0xFF);
}

// ---- the rings (interrupt mode) ----

const TX_SIZE: u32 = 8192;
const RX_SIZE: u32 = 1024;
const TxRing: usize = memory.data(<i32>TX_SIZE, 4);
const RxRing: usize = memory.data(<i32>RX_SIZE, 4);
let TxHead: u32 = 0, TxTail: u32 = 0; // bytes wait in [TxTail, TxHead)
let RxHead: u32 = 0, RxTail: u32 = 0;
/** IRQ 4 drives the port. */
let HalpSerialInterrupts: bool = false;
/** THRI is enabled: an interrupt will come for the ring's next bytes. */
let HalpTransmitting: bool = false;
/** Called from the interrupt when bytes arrived. */
let HalpReceiveCallback: usize = 0;
/** Bytes received while the ring was full (dropped). */
export let HalSerialOverruns: u32 = 0;
/** Transmit interrupts taken (statistics; the test checks they happen). */
export let HalSerialTransmitInterrupts: u32 = 0;

export type HAL_SERIAL_RECEIVE = () => void;

@inline function Enter(): u32 { const f = read_eflags() & 0x200; cli(); return f; }
@inline function Leave(f: u32): void { if (f != 0) sti(); }

/** Sends what waits in the transmit ring by polling (interrupts off). */
function HalpDrainPolled(): void {
  while (TxTail != TxHead) {
    HalpWritePolled(<u32>load<u8>(TxRing + (TxTail & (TX_SIZE - 1))));
    TxTail++;
  }
}

/** Sends one byte: through the ring once interrupts drive the port, else by polling. */
export function HalSerialWriteByte(value: u32): void {
  if (!HalpSerialReady) return;
  HalpSerialAtLineStart = value == ASCII_LF;
  if (!HalpSerialInterrupts) { HalpWritePolled(value); return; }
  const f = Enter();
  if (TxHead - TxTail >= TX_SIZE) HalpDrainPolled(); // full: keep order, lose nothing
  store<u8>(TxRing + (TxHead & (TX_SIZE - 1)), <u8>value);
  TxHead++;
  if (!HalpTransmitting) {
    HalpTransmitting = true;
    outb(COM1_BASE + UART_IER, IER_RX | IER_THRI); // THR is empty: the interrupt comes at once
  }
  Leave(f);
}

/** Fills the transmitter from the ring (in the interrupt). */
function HalpTransmitChunk(): void {
  let n: u32 = 0;
  while (n < UART_FIFO_DEPTH && TxTail != TxHead) {
    outb(COM1_BASE + UART_THR, <u32>load<u8>(TxRing + (TxTail & (TX_SIZE - 1))));
    TxTail++;
    n++;
  }
  if (TxTail == TxHead) {
    HalpTransmitting = false;
    outb(COM1_BASE + UART_IER, IER_RX);
  }
}

/** IRQ 4's service routine (the serial driver connects it before HalSerialStartInterrupts). */
export function HalSerialInterrupt(frame: usize): void {
  for (let round = 0; round < 8; round++) {
    const iir = inb(COM1_BASE + UART_IIR) & 0x0F;
    if ((iir & 1) != 0) break; // nothing pending
    if (iir == 0x04 || iir == 0x0C) {
      let got = false;
      while ((inb(COM1_BASE + UART_LSR) & LSR_DR) != 0) {
        const c = inb(COM1_BASE + UART_RBR);
        if (RxHead - RxTail < RX_SIZE) { store<u8>(RxRing + (RxHead & (RX_SIZE - 1)), <u8>c); RxHead++; got = true; }
        else HalSerialOverruns++;
      }
      if (got && HalpReceiveCallback != 0) changetype<HAL_SERIAL_RECEIVE>(HalpReceiveCallback)();
    } else if (iir == 0x02) {
      HalSerialTransmitInterrupts++;
      HalpTransmitChunk();
    } else if (iir == 0x06) {
      inb(COM1_BASE + UART_LSR);
    } else {
      inb(COM1_BASE + UART_MSR);
    }
  }
}

/** Phase 1: IRQ 4 (HalSerialInterrupt, connected) drives COM1 from now on; `receive` is called (in the interrupt) when bytes arrive. */
export function HalSerialStartInterrupts(receive: HAL_SERIAL_RECEIVE): void {
  if (!HalpSerialReady) return;
  const f = Enter();
  HalpReceiveCallback = changetype<usize>(receive);
  while ((inb(COM1_BASE + UART_LSR) & LSR_DR) != 0) inb(COM1_BASE + UART_RBR); // stale input
  outb(COM1_BASE + UART_MCR, MCR_DTR_RTS | MCR_OUT2);
  HalpSerialInterrupts = true;
  outb(COM1_BASE + UART_IER, IER_RX);
  Leave(f);
}

/** Back to polling, with everything queued sent first (bug check, power off). Interrupts stay as they are. */
export function HalSerialFlush(): void {
  const f = Enter();
  HalpDrainPolled();
  if (HalpSerialInterrupts) {
    HalpSerialInterrupts = false;
    HalpTransmitting = false;
    outb(COM1_BASE + UART_IER, 0);
  }
  Leave(f);
}

/** Takes up to `length` received bytes into `buffer`; returns how many. */
export function HalSerialRead(buffer: usize, length: u32): u32 {
  const f = Enter();
  let n: u32 = 0;
  while (n < length && RxTail != RxHead) {
    store<u8>(buffer + n, load<u8>(RxRing + (RxTail & (RX_SIZE - 1))));
    RxTail++;
    n++;
  }
  Leave(f);
  return n;
}

/** Bytes waiting in the receive ring. */
export function HalSerialReceived(): u32 { return RxHead - RxTail; }

/** Ends the current line: CR LF. */
export function HalSerialNewLine(): void {
  HalSerialWriteByte(ASCII_CR);
  HalSerialWriteByte(ASCII_LF);
}

/** Starts a fresh line if a previous one was left unfinished (used by the bug check). */
export function HalSerialEnsureLineStart(): void {
  if (!HalpSerialAtLineStart) HalSerialNewLine();
}

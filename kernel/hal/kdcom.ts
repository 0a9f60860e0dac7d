// COM2: the kernel debugger's serial port (a 16550 UART at 0x2F8, IRQ 3).
//
// DESIGN.md section 5: COM2 carries the debugger's line protocol and
// nothing else. This file is the device alone, as hal/serial.ts is COM1's:
// the debugger (kernel/kd) connects IRQ 3 itself (the HAL sits below the
// kernel's interrupt table) and calls HalKdInterrupt from its routine.
//
// Receiving: every byte the UART has goes into a receive ring; the
// debugger takes them with HalKdRead. Transmitting: the debugger hands
// in one whole answer (HalKdTransmit, a buffer it keeps untouched until
// HalKdTransmitting is false) and the "transmitter empty" interrupt sends
// it a FIFO's worth (16 bytes) at a time, so a long answer never holds
// interrupts off for its whole length on a real UART.
//
// The port is probed with its scratch register first: a machine without
// COM2 gets no debugger, and nothing here touches the port again.

import { inb, outb } from "../sdk/intrinsics";
import {
  HalpUartProgram, IER_RX, IER_THRI, LSR_DR, LSR_THRE, MCR_DTR_RTS, MCR_OUT2, UART_FIFO_DEPTH, UART_IER, UART_IIR, UART_LSR, UART_MCR,
  UART_MSR, UART_RBR, UART_SCR, UART_THR,
} from "./uart";

/** I/O base of COM2. */
export const COM2_BASE: u32 = 0x2F8;
/** COM2's interrupt line on PCs. */
export const COM2_IRQ: u32 = 3;

const IIR_NONE: u32 = 0x01;          // no interrupt pending
const IIR_THRE: u32 = 0x02;          // transmitter empty
const IIR_RX: u32 = 0x04;            // received data available
const IIR_LINE: u32 = 0x06;          // line status (read LSR)
const IIR_TIMEOUT: u32 = 0x0C;       // character timeout (data in the FIFO)
/** Bytes sent from one transmit interrupt at most. */
const TX_BURST: u32 = 1024;
const SCRATCH_PROBE: u32 = 0x5A;
/** The debugger's line speed. */
const KD_BAUD: u32 = 115200;

/** Receive ring (a power of two). */
const RX_SIZE: u32 = 2048;
const RxRing: usize = memory.data(<i32>RX_SIZE, 4);
let RxHead: u32 = 0, RxTail: u32 = 0;

let HalpKdPresent: bool = false;
/** The answer being sent: [TxNext, TxEnd). */
let TxNext: usize = 0, TxEnd: usize = 0;
let HalpKdSending: bool = false;
/** Bytes that arrived with the receive ring full (dropped). */
export let HalKdOverruns: u32 = 0;

/** What HalKdInterrupt saw (bits). */
export const KD_EVENT_RECEIVED: u32 = 1;    // bytes went into the receive ring
export const KD_EVENT_SENT: u32 = 2;        // the last byte of the answer went out

/** Programs COM2 for 115200 8N1, FIFOs on, its interrupts off. False when there is no UART there. */
export function HalKdInitialize(): bool {
  outb(COM2_BASE + UART_SCR, SCRATCH_PROBE);
  if ((inb(COM2_BASE + UART_SCR) & 0xFF) != SCRATCH_PROBE) return false;
  HalpUartProgram(COM2_BASE, KD_BAUD, MCR_DTR_RTS);
  while ((inb(COM2_BASE + UART_LSR) & LSR_DR) != 0) inb(COM2_BASE + UART_RBR); // stale input
  HalpKdPresent = true;
  return true;
}

/** Lets the UART interrupt (receive; transmit while an answer is going out). The caller has connected IRQ 3. */
export function HalKdEnableInterrupts(): void {
  if (!HalpKdPresent) return;
  outb(COM2_BASE + UART_MCR, MCR_DTR_RTS | MCR_OUT2);
  outb(COM2_BASE + UART_IER, IER_RX);
}

/** Sends [buffer, buffer + length) from the transmit interrupt. Call with interrupts off and nothing being sent. */
export function HalKdTransmit(buffer: usize, length: u32): void {
  if (!HalpKdPresent || length == 0) return;
  TxNext = buffer;
  TxEnd = buffer + length;
  HalpKdSending = true;
  // The holding register is empty: enabling THRI raises the interrupt at once.
  outb(COM2_BASE + UART_IER, IER_RX | IER_THRI);
}

/** An answer is still going out. */
export function HalKdTransmitting(): bool { return HalpKdSending; }

/**
 * Fills the transmitter: a FIFO's worth, and again while the UART still
 * says its FIFO is empty (a real 16550 does not until the bytes have gone
 * out; an emulated one sends at once), up to TX_BURST bytes per interrupt
 * so one interrupt never holds the others off for long. True when the
 * answer is all sent.
 */
function HalpKdTransmitChunk(): bool {
  let sent: u32 = 0;
  while (TxNext < TxEnd && sent < TX_BURST) {
    if (sent != 0 && (inb(COM2_BASE + UART_LSR) & LSR_THRE) == 0) break;
    let n: u32 = 0;
    while (n < UART_FIFO_DEPTH && TxNext < TxEnd) {
      outb(COM2_BASE + UART_THR, <u32>load<u8>(TxNext));
      TxNext++;
      n++;
    }
    sent += n;
  }
  if (TxNext < TxEnd) return false;
  HalpKdSending = false;
  outb(COM2_BASE + UART_IER, IER_RX);
  return true;
}

/** Services the UART (from the IRQ 3 routine, interrupts off); returns KD_EVENT_* bits. */
export function HalKdInterrupt(): u32 {
  if (!HalpKdPresent) return 0;
  let events: u32 = 0;
  for (let round = 0; round < 8; round++) {
    const iir = inb(COM2_BASE + UART_IIR) & 0x0F;
    if ((iir & IIR_NONE) != 0) break;
    if (iir == IIR_RX || iir == IIR_TIMEOUT) {
      while ((inb(COM2_BASE + UART_LSR) & LSR_DR) != 0) {
        const c = inb(COM2_BASE + UART_RBR);
        if (RxHead - RxTail < RX_SIZE) { store<u8>(RxRing + (RxHead & (RX_SIZE - 1)), <u8>c); RxHead++; }
        else HalKdOverruns++;
        events |= KD_EVENT_RECEIVED;
      }
    } else if (iir == IIR_THRE) {
      if (HalpKdSending && (inb(COM2_BASE + UART_LSR) & LSR_THRE) != 0 && HalpKdTransmitChunk()) events |= KD_EVENT_SENT;
    } else if (iir == IIR_LINE) {
      inb(COM2_BASE + UART_LSR);
    } else {
      inb(COM2_BASE + UART_MSR);
    }
  }
  return events;
}

/** Takes up to `length` received bytes into `buffer`; returns how many. Interrupts off. */
export function HalKdRead(buffer: usize, length: u32): u32 {
  let n: u32 = 0;
  while (n < length && RxTail != RxHead) {
    store<u8>(buffer + n, load<u8>(RxRing + (RxTail & (RX_SIZE - 1))));
    RxTail++;
    n++;
  }
  return n;
}

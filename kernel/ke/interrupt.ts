// Hardware interrupts: one handler per IRQ line, called from KiTrapDispatch.
//
// A driver connects a routine to its IRQ (KeConnectInterrupt), which also
// unmasks the line. The dispatcher filters spurious IRQs, calls the routine
// with the trap frame, then acknowledges the PIC. Routines run with
// interrupts off (every IDT gate is an interrupt gate), so they must be short.
//
// The table holds AssemblyScript function references: a pointer to a static
// Function object whose first field is the slot in the wasm function table,
// so a call through it is a `call_indirect`.

import { HalDisableIrq, HalEnableIrq, HalEndOfInterrupt, HalIsSpuriousInterrupt, PIC_IRQ_COUNT } from "../hal/pic";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat1 } from "./log";

/** An interrupt service routine: gets the trap frame's address. */
export type KSERVICE_ROUTINE = (frame: usize) => void;

/** IRQ -> KSERVICE_ROUTINE (as a pointer), 0 when none is connected. */
const KiInterruptTable: usize = memory.data(PIC_IRQ_COUNT * 4, 4);
/** Spurious IRQ 7/15 seen so far (for a future statistics service). */
export let KiSpuriousInterrupts: u32 = 0;

/** Connects `routine` to `irq` and unmasks the line. */
export function KeConnectInterrupt(irq: u32, routine: KSERVICE_ROUTINE): void {
  store<usize>(KiInterruptTable + ((irq & 15) << 2), changetype<usize>(routine));
  HalEnableIrq(irq & 15);
}

/** Masks `irq` and forgets its routine. */
export function KeDisconnectInterrupt(irq: u32): void {
  HalDisableIrq(irq & 15);
  store<usize>(KiInterruptTable + ((irq & 15) << 2), 0);
}

/** Handles IRQ `irq` (0-15) for KiTrapDispatch. */
export function KiDispatchInterrupt(frame: usize, irq: u32): void {
  if (HalIsSpuriousInterrupt(irq)) {
    KiSpuriousInterrupts++;
    return;
  }
  const routine = load<usize>(KiInterruptTable + (irq << 2));
  if (routine != 0) {
    changetype<KSERVICE_ROUTINE>(routine)(frame);
  } else {
    // Nobody asked for this line: mask it so it cannot storm.
    HalDisableIrq(irq);
    KeLogFormat1("ke", "unexpected IRQ %u, line masked", irq);
  }
  HalEndOfInterrupt(irq);
}

// The two 8259A programmable interrupt controllers (master and slave).
//
// At reset they deliver IRQ 0-7 on vectors 8-15, on top of the CPU's
// exceptions, so phase 0 remaps them as NT does (0x20-0x2F stay free, int 0x2e
// is the system service vector): IRQ 0-7 to vectors 0x30-0x37 and
// IRQ 8-15 to 0x38-0x3F, then masks every line. Drivers unmask the lines
// they serve (HalEnableIrq). The kernel acknowledges each IRQ itself with a
// non-specific EOI, after the handler ran.
//
// The slave's lines reach the CPU through the master's IRQ 2 (the cascade),
// which is unmasked with the first slave line.
//
// A spurious IRQ 7 (or 15) appears when a request vanishes before the CPU
// acknowledges it; the in-service register tells it apart from a real one,
// and a spurious interrupt must not be acknowledged on its own controller.

import { inb, outb } from "../sdk/intrinsics";

const PIC_MASTER_COMMAND: u32 = 0x20; // master: ICW1, OCW2, OCW3
const PIC_MASTER_DATA: u32 = 0x21;    // master: ICW2-4, interrupt mask (OCW1)
const PIC_SLAVE_COMMAND: u32 = 0xA0;  // slave: ICW1, OCW2, OCW3
const PIC_SLAVE_DATA: u32 = 0xA1;     // slave: ICW2-4, interrupt mask (OCW1)

/** Vector of IRQ 0 after the remap. */
export const PIC_MASTER_VECTOR: u32 = 0x30;
/** Vector of IRQ 8 after the remap. */
export const PIC_SLAVE_VECTOR: u32 = 0x38;
/** Lines on the two controllers. */
export const PIC_IRQ_COUNT: u32 = 16;
/** The master's input the slave is wired to. */
const PIC_CASCADE_IRQ: u32 = 2;

const ICW1_INIT_ICW4: u32 = 0x11;   // initialise, edge triggered, cascade, ICW4 follows
const ICW4_8086: u32 = 0x01;        // 8086/88 mode, normal EOI
const OCW2_EOI: u32 = 0x20;         // non-specific end of interrupt
const OCW3_READ_IRR: u32 = 0x0A;    // next read of the command port returns IRR
const OCW3_READ_ISR: u32 = 0x0B;    // next read of the command port returns ISR
/** IRQ that a vanished request is reported on (7 on each controller). */
const PIC_SPURIOUS_LINE: u32 = 7;

/** Current masks: bit n set = IRQ n masked. Bits 0-7 master, 8-15 slave. */
let HalpPicMask: u32 = 0xFFFF;

function HalpPicWriteMask(): void {
  outb(PIC_MASTER_DATA, HalpPicMask & 0xFF);
  outb(PIC_SLAVE_DATA, (HalpPicMask >> 8) & 0xFF);
}

/** Remaps both controllers to 0x30/0x38 and masks every line. */
export function HalInitializePic(): void {
  outb(PIC_MASTER_COMMAND, ICW1_INIT_ICW4);
  outb(PIC_SLAVE_COMMAND, ICW1_INIT_ICW4);
  outb(PIC_MASTER_DATA, PIC_MASTER_VECTOR);            // ICW2: vector base
  outb(PIC_SLAVE_DATA, PIC_SLAVE_VECTOR);
  outb(PIC_MASTER_DATA, 1 << PIC_CASCADE_IRQ);         // ICW3: slave on IR2
  outb(PIC_SLAVE_DATA, PIC_CASCADE_IRQ);               // ICW3: slave identity 2
  outb(PIC_MASTER_DATA, ICW4_8086);
  outb(PIC_SLAVE_DATA, ICW4_8086);
  HalpPicMask = 0xFFFF;
  HalpPicWriteMask();
  outb(PIC_MASTER_COMMAND, OCW3_READ_IRR);
  outb(PIC_SLAVE_COMMAND, OCW3_READ_IRR);
}

/** Unmasks one IRQ line (and, for IRQ 8-15, the master's cascade input). */
export function HalEnableIrq(irq: u32): void {
  HalpPicMask &= ~(<u32>1 << (irq & 15));
  if ((irq & 15) >= 8) HalpPicMask &= ~(<u32>1 << PIC_CASCADE_IRQ);
  HalpPicWriteMask();
}

/** Masks one IRQ line. */
export function HalDisableIrq(irq: u32): void {
  HalpPicMask |= <u32>1 << (irq & 15);
  HalpPicWriteMask();
}

/** Acknowledges `irq`: EOI to the slave for IRQ 8-15, always to the master. */
export function HalEndOfInterrupt(irq: u32): void {
  if (irq >= 8) outb(PIC_SLAVE_COMMAND, OCW2_EOI);
  outb(PIC_MASTER_COMMAND, OCW2_EOI);
}

/** Interrupt request register: bit n = IRQ n raised and not yet delivered. */
export function HalpPicReadIrr(): u32 {
  outb(PIC_MASTER_COMMAND, OCW3_READ_IRR);
  outb(PIC_SLAVE_COMMAND, OCW3_READ_IRR);
  return inb(PIC_MASTER_COMMAND) | (inb(PIC_SLAVE_COMMAND) << 8);
}

/** In-service register: bit n = IRQ n delivered and not yet acknowledged. */
function HalpPicReadIsr(): u32 {
  outb(PIC_MASTER_COMMAND, OCW3_READ_ISR);
  outb(PIC_SLAVE_COMMAND, OCW3_READ_ISR);
  const isr = inb(PIC_MASTER_COMMAND) | (inb(PIC_SLAVE_COMMAND) << 8);
  outb(PIC_MASTER_COMMAND, OCW3_READ_IRR);
  outb(PIC_SLAVE_COMMAND, OCW3_READ_IRR);
  return isr;
}

/**
 * True when `irq` (7 or 15) is spurious. A spurious IRQ 15 still went through
 * the master's cascade input, so the master gets its EOI here.
 */
export function HalIsSpuriousInterrupt(irq: u32): bool {
  if ((irq & 7) != PIC_SPURIOUS_LINE) return false;
  if ((HalpPicReadIsr() & (<u32>1 << irq)) != 0) return false;
  if (irq >= 8) outb(PIC_MASTER_COMMAND, OCW2_EOI);
  return true;
}

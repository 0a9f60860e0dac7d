// The system clock: channel 0 of the 8254 programmable interval timer.
//
// Channel 0 runs in mode 2 (rate generator) at CLOCK_HZ and raises IRQ 0 at
// every wrap; the interrupt routine counts ticks. Uptime is the tick count
// plus the part of the current tick already elapsed, read by latching the
// channel's counter: so the log's microseconds are real, not multiples of
// 10 ms. (The TSC would need a calibration loop against the PIT, which costs
// real time in v86, whose PIT runs on wall-clock time; and all the math here
// stays in 32 bits.)
//
// A wrap that happened while interrupts were off shows as IRQ 0 pending in
// the PIC's request register; the reader then counts that tick itself. The
// result never goes backwards: a reading below the last one returns the
// last one.

import { cli, inb, outb, read_eflags, sti } from "../sdk/intrinsics";
import { HalpPicReadIrr } from "./pic";

const PIT_CHANNEL0: u32 = 0x40; // channel 0 counter (data port)
const PIT_COMMAND: u32 = 0x43;  // mode/command register

/** Channel 0, low byte then high byte, mode 2 (rate generator), binary. */
const PIT_CMD_CH0_MODE2: u32 = 0x34;
/** Channel 0, counter latch command. */
const PIT_CMD_CH0_LATCH: u32 = 0x00;

/** The PIT's input clock in Hz. */
export const PIT_INPUT_HZ: u32 = 1193182;
/** Clock interrupts per second. 100 Hz keeps the emulator's interrupt load low. */
export const CLOCK_HZ: u32 = 100;
/** Microseconds per tick. */
const TICK_MICROSECONDS: u32 = 1000000 / CLOCK_HZ;
/** Counter reload value: input clocks per tick (11932 at 100 Hz: 10.0002 ms). */
const PIT_RELOAD: u32 = (PIT_INPUT_HZ + CLOCK_HZ / 2) / CLOCK_HZ;
/** IRQ line of the PIT. */
export const CLOCK_IRQ: u32 = 0;
/** EFLAGS.IF */
const EFLAGS_IF: u32 = 0x200;

/** Clock interrupts since HalInitializeClock. */
let HalpTickCount: u32 = 0;
let HalpClockRunning: bool = false;
/** The last uptime handed out, in ticks and microseconds within the tick. */
let HalpLastTicks: u32 = 0;
let HalpLastMicroseconds: u32 = 0;

/**
 * Uptime as returned by HalQueryUptime.
 *
 *   +0 Seconds       u32
 *   +4 Microseconds  u32  (0-999999)
 */
@unmanaged export class KUPTIME {
  Seconds: u32;
  Microseconds: u32;
}

function HalpNoTick(): void {}
/** What a tick runs beyond the count (the kernel's clock routine, handed in by HalInitializeClock). */
let HalpTick: () => void = HalpNoTick;

/** IRQ 0's service routine (the kernel connects it): one more tick. */
export function HalClockInterrupt(frame: usize): void {
  HalpTickCount++;
  HalpTick(); // timers, timeouts, quantum
}

/**
 * Starts channel 0 at CLOCK_HZ; each tick then runs `tick`. The HAL sits
 * below the kernel, so the kernel connects HalClockInterrupt to CLOCK_IRQ.
 */
export function HalInitializeClock(tick: () => void): void {
  HalpTick = tick;
  outb(PIT_COMMAND, PIT_CMD_CH0_MODE2);
  outb(PIT_CHANNEL0, PIT_RELOAD & 0xFF);
  outb(PIT_CHANNEL0, PIT_RELOAD >> 8);
  HalpTickCount = 0;
  HalpClockRunning = true;
}

/** Clock interrupts counted so far. */
export function HalQueryTickCount(): u32 {
  return HalpTickCount;
}

/** Stores the time since HalInitializeClock (zero before it) at `uptime` (a KUPTIME). */
export function HalQueryUptime(uptime: usize): void {
  const result = changetype<KUPTIME>(uptime);
  if (!HalpClockRunning) {
    result.Seconds = 0;
    result.Microseconds = 0;
    return;
  }
  const interruptsWereOn = (read_eflags() & EFLAGS_IF) != 0;
  cli();
  let ticks = HalpTickCount;
  outb(PIT_COMMAND, PIT_CMD_CH0_LATCH);
  let count = inb(PIT_CHANNEL0);
  count |= inb(PIT_CHANNEL0) << 8;
  // In mode 2 the counter runs from PIT_RELOAD down to 1.
  let elapsed: u32 = count <= PIT_RELOAD && count != 0 ? PIT_RELOAD - count : 0;
  // A wrap not yet serviced: IRQ 0 pending while the counter is early in
  // its period. (Late in the period the pending request is older and this
  // reading already includes it.)
  if ((HalpPicReadIrr() & (1 << CLOCK_IRQ)) != 0 && elapsed < PIT_RELOAD / 2) ticks++;
  let microseconds = elapsed * TICK_MICROSECONDS / PIT_RELOAD;
  if (ticks < HalpLastTicks || (ticks == HalpLastTicks && microseconds < HalpLastMicroseconds)) {
    ticks = HalpLastTicks;
    microseconds = HalpLastMicroseconds;
  }
  HalpLastTicks = ticks;
  HalpLastMicroseconds = microseconds;
  if (interruptsWereOn) sti();
  result.Seconds = ticks / CLOCK_HZ;
  result.Microseconds = (ticks % CLOCK_HZ) * TICK_MICROSECONDS + microseconds;
}

// Chaos preemption: forced thread switches at pseudo-random points, to make
// reentrancy races show (the chaos kernel only: build/chaos/ntoskrnl.bin from
// `npm run build -- --chaos`, entry kernel/chaos.ts; `npm run stress` boots it
// many times). The product kernel carries none of this.
//
// The clock preempts a thread about once per 100k guest instructions, so a
// race whose window is a few instructions wide almost never shows. In the
// chaos build the translator (scripts/wasm2x86, CompileOptions.chaosProbe)
// puts a call to a probe at every function entry and loop head of the
// kernel; the probe counts a dword down and, at zero, calls KiChaosPoint with
// the counter's address. With `chaos=SEED` on the command line (read in
// phase 1), KiChaosPoint draws the next count from a linear congruential
// generator seeded by SEED (uniform in 1..2*PERIOD-1, `chaosperiod=PERIOD`,
// default CHAOS_DEFAULT_PERIOD) and, where a clock tick could switch threads
// (interrupts on, no interrupt being handled, a thread other than idle
// running), gives the processor to a ready thread chosen by the same
// generator, of any priority (KiSwitchToAnyReadyThread). The same seed gives
// the same sequence of choices; the interleaving still varies from run to run
// with the clock and the devices, which run on wall-clock time.
//
// Without the option, KiChaosPoint only re-arms the counter far away, so the
// chaos kernel without `chaos=` behaves as the product (somewhat slower).
// Every CHAOS_LOG_EVERY points a line counts what happened at them.

import { read_eflags } from "../sdk/intrinsics";
import { KeCommandLineOptionValue } from "./loader";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat4 } from "./log";
import { KiInterruptDepth, KiLockDispatcher, KiSwitchToAnyReadyThread, KiUnlockDispatcher } from "./thread";

/** Probes between forced switches on average, without `chaosperiod=`. */
const CHAOS_DEFAULT_PERIOD: u32 = 100;
/** A point where no switch may happen is tried again within this many probes. */
const CHAOS_RETRY_WITHIN: u32 = 8;
/** The count the probe gets while chaos is off: it calls back rarely. */
const CHAOS_OFF_COUNT: u32 = 0x100000;
/** A log line after every this many points (probes at zero where a switch may happen). */
const CHAOS_LOG_EVERY: u32 = 500;
const EFLAGS_IF: u32 = 0x200;

let KiChaosEnabled: bool = false;
let KiChaosState: u32 = 0;
let KiChaosPeriod: u32 = CHAOS_DEFAULT_PERIOD;
/** The probe's counter (its address arrives with the first call). */
let KiChaosCounter: usize = 0;
/** Forced switches so far, and probes that reached zero where no switch was allowed. */
export let KiChaosSwitches: u32 = 0;
export let KiChaosRefused: u32 = 0;
/** Probes at zero with chaos on where a switch may happen, and those of them where no other thread was ready. */
export let KiChaosPoints: u32 = 0;
export let KiChaosAlone: u32 = 0;

/** The generator (Numerical Recipes' constants); the high bits are the good ones. */
function KiChaosRandom(): u32 {
  KiChaosState = KiChaosState * 1664525 + 1013904223;
  return KiChaosState >>> 8;
}

/**
 * Called by the chaos probe (scripts/wasm2x86/runtime.ts, routine `chaos`) when
 * its count reaches zero, with every register saved; `counter` is the count's
 * address. Stores the next count, then maybe switches threads.
 */
export function KiChaosPoint(counter: usize): void {
  KiChaosCounter = counter;
  if (!KiChaosEnabled) { store<u32>(counter, CHAOS_OFF_COUNT); return; }
  store<u32>(counter, 1 + KiChaosRandom() % (2 * KiChaosPeriod - 1));
  // Where the clock could not preempt either: the dispatcher lock (interrupts
  // off), an interrupt routine (the switch waits for its end).
  // Such a point is tried again within a few probes: the first ones after a
  // lock is dropped (check, unlock, act) are where races live.
  if ((read_eflags() & EFLAGS_IF) == 0 || KiInterruptDepth != 0) {
    KiChaosRefused++;
    store<u32>(counter, 1 + KiChaosRandom() % CHAOS_RETRY_WITHIN);
    return;
  }
  KiChaosPoints++;
  if (KiChaosPoints % CHAOS_LOG_EVERY == 0) KiChaosLogCounts();
  const choice = KiChaosRandom();
  const f = KiLockDispatcher();
  const switched = KiSwitchToAnyReadyThread(choice);
  KiUnlockDispatcher(f);
  if (switched) KiChaosSwitches++; else KiChaosAlone++;
}

/** "ke: chaos: P points: S forced switches, A with no other thread ready; R probes at zero where no switch may happen". */
function KiChaosLogCounts(): void {
  KeLogFormat4("ke", "chaos: %u points: %u forced switches, %u with no other thread ready; %u probes at zero where no switch may happen", KiChaosPoints, KiChaosSwitches, KiChaosAlone, KiChaosRefused);
}

/** Phase 1, first step (kernel/chaos.ts): `chaos=SEED` turns the forced switches on. */
export function KiChaosInitialize(): void {
  const seed = KeCommandLineOptionValue("chaos", 0xFFFFFFFF);
  const period = KeCommandLineOptionValue("chaosperiod", CHAOS_DEFAULT_PERIOD);
  KeLogBegin("ke");
  if (seed == 0xFFFFFFFF) {
    KeLogString("chaos: off (chaos kernel; chaos=SEED turns forced switches on)");
    KeLogEnd();
    return;
  }
  KiChaosState = seed;
  KiChaosPeriod = period != 0 ? period : 1;
  KeLogString("chaos: seed ");
  KeLogDecimal(seed);
  KeLogString(" (");
  KeLogHex(seed);
  KeLogString("): a forced switch to any ready thread at one probe in ");
  KeLogDecimal(KiChaosPeriod);
  KeLogString(" on average (function entries and loop heads)");
  KeLogEnd();
  KiChaosEnabled = true;
  if (KiChaosCounter != 0) store<u32>(KiChaosCounter, 1 + KiChaosRandom() % (2 * KiChaosPeriod - 1));
}

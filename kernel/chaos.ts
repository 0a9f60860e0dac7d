// The chaos kernel's entry (build/chaos/ntoskrnl.bin: `npm run build -- --chaos`,
// or buildKernel({ chaos: true })): the product's boot order from
// kernel/main.ts, translated with a chaos probe at every function entry and
// loop head (scripts/wasm2x86, CompileOptions.chaosProbe) that calls
// KiChaosPoint. With `chaos=SEED` on the command line the kernel then gives
// the processor away at pseudo-random points far more often than the clock
// does (kernel/ke/chaos.ts), to make reentrancy races show; `npm run stress`
// boots it many times. None of this code is in build/ntoskrnl.bin.

import { KiSystemStartup as KiProductStartup } from "./main";
import { KeSetBootSelfTests, SELFTEST_KE } from "./ke/loader";
import { KiChaosInitialize } from "./ke/chaos";

export { KiTrapDispatch } from "./ke/trap";
export { KiWasmTrap } from "./ke/bugcheck";
export { KiChaosPoint } from "./ke/chaos";

/** The boot's hook points (the self-test kernel's): chaos starts first thing in phase 1. */
function KiChaosBootHook(stage: u32): void {
  if (stage == SELFTEST_KE) KiChaosInitialize();
}

/** Phase 0 of the boot, as kernel/main.ts's, with the chaos start installed first. */
export function KiSystemStartup(magic: u32, multibootInfo: u32): void {
  KeSetBootSelfTests(KiChaosBootHook);
  KiProductStartup(magic, multibootInfo);
}

// ntoskrnl.exe's exports for kernel-mode images.
export * from "./exports";

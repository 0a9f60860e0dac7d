// The self-test kernel's entry (build/ntoskrnl-selftest.bin; the tests build
// it with buildKernel({ selfTest: true })): the product's boot order from
// kernel/main.ts with the components' boot self-tests installed. With the
// command-line word `selftest` they run at the points main.ts marks:
// Mm's and Ob's in phase 0, the dispatcher's first in phase 1, session
// space's after the System process.
// `selftest-double-free` makes Mm's test free a block twice (BAD_POOL_CALLER).
// None of this code is in build/ntoskrnl.bin.

import { KiSystemStartup as KiProductStartup } from "./main";
import { KeCommandLineHasOption, KeSetBootSelfTests, SELFTEST_KE, SELFTEST_MM, SELFTEST_OB, SELFTEST_SESSION } from "./ke/loader";
import { KeRunSelfTest } from "./ke/selftest";
import { MmRunSelfTest } from "./mm/selftest";
import { PsRunSessionSelfTest } from "./ps/selftestsession";
import { ObRunSelfTest } from "./ob/selftest";
import { ExPoolBytesInUse, ExPoolPages } from "./ex/pool";

export { KiTrapDispatch } from "./ke/trap";
export { KiWasmTrap } from "./ke/bugcheck";

function PoolBytesInUse(): u32 { return ExPoolBytesInUse; }
function PoolPages(): u32 { return ExPoolPages; }

function KiRunBootSelfTests(stage: u32): void {
  if (!KeCommandLineHasOption("selftest")) return;
  if (stage == SELFTEST_MM) MmRunSelfTest();      // "mm: self-test passed: ..."
  else if (stage == SELFTEST_OB) ObRunSelfTest(); // "ob: self-test passed: N checks"
  else if (stage == SELFTEST_KE) KeRunSelfTest(PoolBytesInUse, PoolPages); // "ke: self-test passed: ..."
  else if (stage == SELFTEST_SESSION) PsRunSessionSelfTest(); // "mm: session self-test passed: N checks"
}

/** Phase 0 of the boot, as kernel/main.ts's, with the self-tests installed first. */
export function KiSystemStartup(magic: u32, multibootInfo: u32): void {
  KeSetBootSelfTests(KiRunBootSelfTests);
  KiProductStartup(magic, multibootInfo);
}

// ntoskrnl.exe's exports for kernel-mode images.
export * from "./exports";

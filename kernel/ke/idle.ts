// The idle loop: what the processor does when there is nothing else to do.
//
// It halts until the next interrupt, forever; the clock keeps ticking. With
// `poweroff` on the command line the kernel instead leaves the machine at
// once through port 0xF4 (QEMU's isa-debug-exit device and the v86 harness
// both listen there), so boot tests end as soon as phase 0 is done.

import { HalSerialFlush } from "../hal/serial";
import { outb } from "../sdk/intrinsics";
import { KeCommandLineHasOption } from "./loader";
import { KeLog } from "./log";

/** Port of the emulators' exit device; the value written is the exit status. */
const DEBUG_EXIT_PORT: u32 = 0xF4;
/** The status written for a clean power-off. */
const DEBUG_EXIT_SUCCESS: u32 = 0;

/**
 * Logs the `ke: idle loop` milestone at the end of phase 1 (or powers off) and
 * returns: the phase 1 thread ends and the idle thread halts from then on.
 */
export function KiIdleLoop(): void {
  KeLog("ke", "idle loop");
  if (KeCommandLineHasOption("poweroff")) {
    KeLog("ke", "power off (poweroff on the command line)");
    HalSerialFlush(); // the log reaches the wire before the machine goes
    outb(DEBUG_EXIT_PORT, DEBUG_EXIT_SUCCESS);
    // Without an exit device the write does nothing: idle like any other boot.
  }
}

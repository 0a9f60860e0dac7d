// System services: `int 0x2e` from ring 3 with eax = service number and
// edx = the caller's arguments (on its stack, after the stub's return address).
//
// The argument block is probed and copied into the thread's own buffer
// (captured once: a second user thread cannot change it under the service),
// interrupts go back on, the service runs, and its NTSTATUS returns in eax.
// Numbers from 0x1000 go to the session's shadow table (ke/shadow.ts).
// An unknown number gives STATUS_INVALID_SYSTEM_SERVICE, an unreadable
// argument block STATUS_ACCESS_VIOLATION; the caller goes on either way.

import { cli, sti } from "../sdk/intrinsics";
import { KTRAP_FRAME } from "../sdk/context";
import { KeCurrentThread, KTHREAD_SERVICE_ARGS } from "./thread";
import { KiCallService, KiServiceArgumentBytes, KiServiceCount } from "./sysent";
import { MmIsUserRangeAccessible } from "../mm/procmm";
import { KiSetPreviousMode, UserMode } from "./probe";
import { STATUS_ACCESS_VIOLATION, STATUS_INVALID_SYSTEM_SERVICE } from "../sdk/ntstatus";
import { KI_SHADOW_SERVICE_BASE, KiCallShadowService, KiShadowArgumentBytes } from "./shadow";

/** Vector of the system service gate (DPL 3). */
export const KI_SYSTEM_SERVICE_VECTOR: u32 = 0x2E;

/** System calls made so far. */
export let KeSystemCalls: u32 = 0;

export function KiSystemService(frame: usize): void {
  const trap = changetype<KTRAP_FRAME>(frame);
  KeSystemCalls++;
  const service = trap.Eax;
  let bytes: u32 = 0;
  const shadow = service >= KI_SHADOW_SERVICE_BASE;
  if (shadow) {
    // win32k.sys's table (ke/shadow.ts): there only once the caller's session loaded it.
    const n = KiShadowArgumentBytes(service);
    if (n < 0) { trap.Eax = STATUS_INVALID_SYSTEM_SERVICE; return; }
    bytes = <u32>n;
  } else {
    if (service >= KiServiceCount) { trap.Eax = STATUS_INVALID_SYSTEM_SERVICE; return; }
    bytes = KiServiceArgumentBytes(service);
  }
  const args = KeCurrentThread + KTHREAD_SERVICE_ARGS;
  if (bytes != 0) {
    if (!MmIsUserRangeAccessible(trap.Edx, bytes, false)) { trap.Eax = STATUS_ACCESS_VIOLATION; return; }
    memory.copy(args, trap.Edx, bytes);
  }
  const mode = KiSetPreviousMode(UserMode);
  sti();
  const status = shadow ? KiCallShadowService(service, args, bytes) : KiCallService(service, args);
  cli();
  KiSetPreviousMode(mode);
  trap.Eax = status;
}

// win32k.sys: the session's text display and keyboard input, a kernel-mode
// PE32 image loaded once per session by NtSetSystemInformation(
// SystemExtendServiceTableInformation) (smss's Kmode step). Its image, data
// included, lives in the session's session space, so each session has its
// own screen buffer (console.ts) while the code is the same.
//
//   DriverEntry   blanks the screen, registers the shadow service table
//                 (sysent.ts, generated from scripts/services.ts
//                 SHADOW_SERVICES, numbers from 0x1000) and the paint callout
//   console.ts    NtUserConsoleWrite/Clear/SetCursor/SetAttribute,
//                 NtUserSwitchSession, NtUserGetActiveSession
//   input.ts      NtUserReadKey

import { KeAddSystemServiceTable, PsEstablishWin32Callouts, PsGetCurrentProcessSessionId, STATUS_SUCCESS, STATUS_UNSUCCESSFUL, W32pLog } from "./ntos";
import { W32pArgumentBytes, W32pFillServiceTable, W32pServiceCount } from "./sysent";
import { W32pInitializeScreen } from "./console";

// The services and the paint callout are wasm exports (kept whole; the linker's
// pe.address_of gives their addresses).
export * from "./sysent";
export { W32pPaint } from "./console";
@external("pe", "address_of:W32pPaint") declare function AddressOfW32pPaint(): usize;

/** The shadow table: one machine address per service. */
const W32pServiceTable: usize = memory.data(<i32>(64 * 4), 4);
/** PsEstablishWin32Callouts' table: the paint routine. */
const W32pCallouts: usize = memory.data(4, 4);

export function DriverEntry(driverObject: usize, registryPath: usize): u32 {
  W32pInitializeScreen();
  W32pFillServiceTable(W32pServiceTable);
  if (KeAddSystemServiceTable(W32pServiceTable, 0, W32pServiceCount, changetype<usize>(W32pArgumentBytes), 1) == 0) {
    W32pLog("KeAddSystemServiceTable failed");
    return STATUS_UNSUCCESSFUL;
  }
  store<usize>(W32pCallouts, AddressOfW32pPaint());
  PsEstablishWin32Callouts(W32pCallouts);
  W32pLog("session " + PsGetCurrentProcessSessionId().toString() + ": " + W32pServiceCount.toString() + " services from 0x1000, 80x25 screen");
  return STATUS_SUCCESS;
}

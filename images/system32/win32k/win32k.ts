// win32k.sys: the session's text display and keyboard input, a kernel-mode
// PE32 image loaded once per session by NtSetSystemInformation(
// SystemExtendServiceTableInformation) (smss's Kmode step). Its image, data
// included, lives in the session's session space, so each session has its
// own screen buffer (console.ts) while the code is the same.
//
//   DriverEntry   checks its DRIVER_OBJECT, blanks the screen, registers the shadow service table
//                 (sysent.ts, generated from scripts/services.ts
//                 SHADOW_SERVICES, numbers from 0x1000) and the paint callout
//   console.ts    NtUserConsoleWrite/Clear/SetCursor/SetAttribute,
//                 NtUserSwitchSession, NtUserGetActiveSession
//   input.ts      NtUserReadKey

import { KeAddSystemServiceTable, PsEstablishWin32Callouts, PsGetCurrentProcessSessionId, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, STATUS_UNSUCCESSFUL, W32pLog } from "./ntos";
import { DRIVER_EXTENSION, DRIVER_OBJECT, IO_TYPE_DRIVER, SIZEOF_DRIVER_OBJECT } from "../../../kernel/sdk/driver";
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

@external("pe", "address_of:DriverEntry") declare function AddressOfDriverEntry(): usize;

function hex8(value: u32): string { return "0x" + value.toString(16).toUpperCase().padStart(8, "0"); }

/**
 * The driver object the kernel hands DriverEntry must describe this image
 * (NT x86's DRIVER_OBJECT, kernel/sdk/driver.ts): its type and size, an image
 * range holding DriverEntry, an extension that points back at it.
 */
function W32pCheckDriverObject(driverObject: usize): bool {
  if (driverObject == 0) return false;
  const d = changetype<DRIVER_OBJECT>(driverObject);
  if (d.Type != IO_TYPE_DRIVER || <u32>d.Size != SIZEOF_DRIVER_OBJECT) return false;
  const self = AddressOfDriverEntry();
  if (self < d.DriverStart || self - d.DriverStart >= d.DriverSize) return false;
  return d.DriverExtension != 0 && changetype<DRIVER_EXTENSION>(d.DriverExtension).DriverObject == driverObject;
}

export function DriverEntry(driverObject: usize, registryPath: usize): u32 {
  const session = PsGetCurrentProcessSessionId().toString();
  if (!W32pCheckDriverObject(driverObject)) {
    W32pLog("session " + session + ": DriverEntry: no valid DRIVER_OBJECT (" + hex8(<u32>driverObject) + "): not started");
    return STATUS_INVALID_PARAMETER;
  }
  const d = changetype<DRIVER_OBJECT>(driverObject);
  W32pLog("session " + session + ": DriverEntry: driver object " + hex8(<u32>driverObject) + ", image " + hex8(<u32>d.DriverStart)
    + " (" + d.DriverSize.toString() + " bytes), registry path " + (registryPath == 0 ? "NULL" : hex8(<u32>registryPath)));
  W32pInitializeScreen();
  W32pFillServiceTable(W32pServiceTable);
  if (KeAddSystemServiceTable(W32pServiceTable, 0, W32pServiceCount, changetype<usize>(W32pArgumentBytes), 1) == 0) {
    W32pLog("KeAddSystemServiceTable failed");
    return STATUS_UNSUCCESSFUL;
  }
  store<usize>(W32pCallouts, AddressOfW32pPaint());
  PsEstablishWin32Callouts(W32pCallouts);
  W32pLog("session " + session + ": " + W32pServiceCount.toString() + " services from 0x1000, 80x25 screen");
  return STATUS_SUCCESS;
}

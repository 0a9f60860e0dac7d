// Step 1: \SmApiPort, the port subsystems and trusted programs talk to smss
// through, and the event \Device\VolumesSafeForWriteAccess, set once the
// paging files exist (step 4f) so that programs waiting on it may write.

import { NtClose, NtCreateEvent, NtSetEvent, EVENT_ALL_ACCESS, OBJ_PERMANENT, STATUS_SUCCESS } from "./ntapi";
import { SmpAttributes, SmpLog, SmpLogFailure, SmpSlot } from "./smutil";

const NotificationEvent: u32 = 0;
let SmpVolumesSafeEvent: u32 = 0;

/** Step 1. */
export function SmpCreateApiPort(): void {
  const handle = SmpSlot();
  const status = NtCreateEvent(handle, EVENT_ALL_ACCESS, SmpAttributes("\\Device\\VolumesSafeForWriteAccess", OBJ_PERMANENT, 0), NotificationEvent, false);
  if (status != STATUS_SUCCESS) SmpLogFailure("NtCreateEvent", status, "\\Device\\VolumesSafeForWriteAccess");
  else SmpVolumesSafeEvent = load<u32>(handle);
  SmpLog("API port", "\\Device\\VolumesSafeForWriteAccess created (not set); \\SmApiPort comes with LPC ports");
}

/** After step 4f: volumes are safe to write to. */
export function SmpVolumesSafe(): void {
  if (SmpVolumesSafeEvent == 0) return;
  NtSetEvent(SmpVolumesSafeEvent, 0);
  NtClose(SmpVolumesSafeEvent);
  SmpVolumesSafeEvent = 0;
}

// A session's DOS devices and named objects, done by the session's copy of
// smss right after SystemSessionCreate, before it starts anything (so its
// csrss and winlogon inherit them), as NT 5.x's smss and csrss arrange it:
//
//   session n > 0   \Sessions\<n>\DosDevices gets the link Global -> \GLOBAL??
//                   and becomes this process's device map (ProcessDeviceMap):
//                   "\??" names it for every process of the session, names
//                   not there come from \GLOBAL?? (the kernel's fallback), and
//                   a drive letter made in the session stays in it
//   every session   its BaseNamedObjects (\BaseNamedObjects for session 0,
//                   \Sessions\<n>\BaseNamedObjects otherwise) gets Global ->
//                   \BaseNamedObjects, Local -> itself, Session ->
//                   \Sessions\BNOLINKS; \Sessions\BNOLINKS\<n> -> it
//
// A failure is logged (`smss: session <n>: <what> failed - Status == ...`)
// and the session goes on with the global names.

import {
  NtClose, NtCreateDirectoryObject, NtCreateSymbolicLinkObject, NtMakeTemporaryObject, NtOpenDirectoryObject, NtOpenSymbolicLinkObject,
  NtSetInformationProcess, NtCurrentProcess, DIRECTORY_ALL_ACCESS, SYMBOLIC_LINK_ALL_ACCESS, OBJ_OPENIF, OBJ_PERMANENT,
  STATUS_SUCCESS, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_EXISTS,
} from "./ntapi";
import { ProcessDeviceMap, SIZEOF_PROCESS_DEVICEMAP_INFORMATION_SET } from "../kernel/sdk/procinfo";
import { SmpAttributes, SmpSharedAttributes, SMP_WORLD_READ, SmpDecimal, SmpHex, SmpLog, SmpSlot, SmpUnicode } from "./smutil";

const GLOBAL_DOS_DEVICES = "\\GLOBAL??";
const GLOBAL_NAMED_OBJECTS = "\\BaseNamedObjects";
const BNOLINKS = "\\Sessions\\BNOLINKS";

/** A permanent link `name` (relative to `root`, or absolute) -> `target`; an existing one is replaced. */
function SmpCreatePermanentLink(name: string, root: u32, target: string): u32 {
  const handle = SmpSlot();
  let status = NtCreateSymbolicLinkObject(handle, SYMBOLIC_LINK_ALL_ACCESS, SmpSharedAttributes(name, OBJ_PERMANENT, root, SMP_WORLD_READ), SmpUnicode(target));
  if (status == STATUS_OBJECT_NAME_COLLISION) {
    // A session id used before: its old link goes, the new one points to this session's objects.
    if (NtOpenSymbolicLinkObject(handle, SYMBOLIC_LINK_ALL_ACCESS, SmpAttributes(name, 0, root)) == STATUS_SUCCESS) {
      NtMakeTemporaryObject(load<u32>(handle));
      NtClose(load<u32>(handle));
    }
    status = NtCreateSymbolicLinkObject(handle, SYMBOLIC_LINK_ALL_ACCESS, SmpSharedAttributes(name, OBJ_PERMANENT, root, SMP_WORLD_READ), SmpUnicode(target));
  }
  if (status == STATUS_SUCCESS) NtClose(load<u32>(handle));
  return status;
}

/** Opens (or makes, permanent) the directory `path`; its handle, or 0 after logging `status`. */
function SmpOpenDirectory(step: string, path: string, create: bool): u32 {
  const handle = SmpSlot();
  const status = create
    ? NtCreateDirectoryObject(handle, DIRECTORY_ALL_ACCESS, SmpSharedAttributes(path, OBJ_PERMANENT | OBJ_OPENIF, 0, SMP_WORLD_READ))
    : NtOpenDirectoryObject(handle, DIRECTORY_ALL_ACCESS, SmpAttributes(path, 0, 0));
  if (status != STATUS_SUCCESS && status != STATUS_OBJECT_NAME_EXISTS) {
    SmpLog(step, "open " + path + " failed - Status == " + SmpHex(status));
    return 0;
  }
  return load<u32>(handle);
}

/** Session n > 0: its DosDevices directory with Global, made this process's device map. */
function SmpSetSessionDeviceMap(step: string, sessionId: u32): bool {
  const path = "\\Sessions\\" + SmpDecimal(sessionId) + "\\DosDevices";
  const directory = SmpOpenDirectory(step, path, false);
  if (directory == 0) return false;
  let status = SmpCreatePermanentLink("Global", directory, GLOBAL_DOS_DEVICES);
  if (status != STATUS_SUCCESS) SmpLog(step, "link " + path + "\\Global failed - Status == " + SmpHex(status));
  const info = SmpSlot();
  store<u32>(info, directory);
  status = NtSetInformationProcess(NtCurrentProcess, ProcessDeviceMap, info, SIZEOF_PROCESS_DEVICEMAP_INFORMATION_SET);
  NtClose(directory);
  if (status != STATUS_SUCCESS) {
    SmpLog(step, "NtSetInformationProcess(ProcessDeviceMap) failed - Status == " + SmpHex(status));
    return false;
  }
  return true;
}

/** The session's named objects directory gets Global, Local and Session; BNOLINKS\<n> names it. */
function SmpLinkNamedObjects(step: string, sessionId: u32, path: string): bool {
  const directory = SmpOpenDirectory(step, path, sessionId == 0);
  if (directory == 0) return false;
  let ok = true;
  const links: StaticArray<string> = ["Global", GLOBAL_NAMED_OBJECTS, "Local", path, "Session", BNOLINKS];
  for (let i = 0; i < links.length; i += 2) {
    const status = SmpCreatePermanentLink(links[i], directory, links[i + 1]);
    if (status != STATUS_SUCCESS) { SmpLog(step, "link " + path + "\\" + links[i] + " failed - Status == " + SmpHex(status)); ok = false; }
  }
  NtClose(directory);
  const bnolinks = SmpOpenDirectory(step, BNOLINKS, true);
  if (bnolinks == 0) return false;
  const status = SmpCreatePermanentLink(SmpDecimal(sessionId), bnolinks, path);
  if (status != STATUS_SUCCESS) { SmpLog(step, "link " + BNOLINKS + "\\" + SmpDecimal(sessionId) + " failed - Status == " + SmpHex(status)); ok = false; }
  NtClose(bnolinks);
  return ok;
}

/** Both, for session `sessionId` (this copy is in it already); one line says what the session got. */
export function SmpSetSessionObjectDirectories(sessionId: u32): void {
  const step = "session " + SmpDecimal(sessionId);
  const named = sessionId == 0 ? GLOBAL_NAMED_OBJECTS : "\\Sessions\\" + SmpDecimal(sessionId) + "\\BaseNamedObjects";
  const mapped = sessionId != 0 && SmpSetSessionDeviceMap(step, sessionId);
  const linked = SmpLinkNamedObjects(step, sessionId, named);
  SmpLog(step, "DOS devices: " + (sessionId == 0 ? GLOBAL_DOS_DEVICES + " (the global ones)"
    : mapped ? "\\Sessions\\" + SmpDecimal(sessionId) + "\\DosDevices (Global -> " + GLOBAL_DOS_DEVICES + "), this session's device map" : "the global ones")
    + "; named objects: " + named + (linked ? " (Global, Local, Session; " + BNOLINKS + "\\" + SmpDecimal(sessionId) + ")" : ""));
}

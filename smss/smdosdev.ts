// Step 4a, DOS devices, and 4b, \Sessions.
//
// Each value of Session Manager\DOS Devices is a permanent symbolic link
// \??\<name> -> <data> (REG_EXPAND_SZ expanded). A link that is there
// already (the kernel makes \??\C: and \??\COM1) is made temporary, so it
// goes with its last handle, and created again with the registry's target.
// A target that is a path rather than a device (`X:` -> `\??\C:\Windows`)
// is a subst drive: the same link, which the object manager follows with
// the rest of the name. A link that cannot be made is fatal, as in NT.

import {
  NtClose, NtCreateSymbolicLinkObject, NtOpenSymbolicLinkObject, NtMakeTemporaryObject, NtCreateDirectoryObject,
  DIRECTORY_ALL_ACCESS, SYMBOLIC_LINK_ALL_ACCESS, OBJ_PERMANENT, OBJ_OPENIF, REG_EXPAND_SZ, STATUS_SUCCESS, STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_EXISTS,
} from "./ntapi";
import { SmpDosDevices } from "./sminit";
import { SmpExpand } from "./smenv";
import { SmpIsText, SmpTypeName } from "./smreg";
import { SmpAttributes, SmpSharedAttributes, SMP_WORLD_READ, SmpJoin, SmpLog, SmpLogFailure, SmpSlot, SmpUnicode, SmpDecimal } from "./smutil";
import { SmpFatal } from "./smfail";

/** Whether `target` names a path inside a drive (`\??\C:\Windows`) rather than a device. */
function isSubst(target: string): bool {
  // \??\X:\... or \DosDevices\X:\...
  for (let i = 0; i + 2 < target.length; i++) {
    if (target.charCodeAt(i) == 0x3A && target.charCodeAt(i + 1) == 0x5C) return true;
  }
  return false;
}

/** Creates the permanent link \??\`name` -> `target`, replacing one that exists. */
export function SmpCreateDosLink(name: string, target: string): u32 {
  const handle = SmpSlot();
  const path = "\\??\\" + name;
  let status = NtCreateSymbolicLinkObject(handle, SYMBOLIC_LINK_ALL_ACCESS, SmpSharedAttributes(path, OBJ_PERMANENT, 0, SMP_WORLD_READ), SmpUnicode(target));
  if (status == STATUS_OBJECT_NAME_COLLISION) {
    // Re-created: the old one is made temporary (it goes when its last handle closes), then made anew.
    const open = NtOpenSymbolicLinkObject(handle, SYMBOLIC_LINK_ALL_ACCESS, SmpAttributes(path, 0, 0));
    if (open == STATUS_SUCCESS) {
      NtMakeTemporaryObject(load<u32>(handle));
      NtClose(load<u32>(handle));
    }
    status = NtCreateSymbolicLinkObject(handle, SYMBOLIC_LINK_ALL_ACCESS, SmpSharedAttributes(path, OBJ_PERMANENT, 0, SMP_WORLD_READ), SmpUnicode(target));
  }
  if (status == STATUS_SUCCESS) NtClose(load<u32>(handle));
  return status;
}

/** Step 4a. */
export function SmpInitializeDosDevices(): void {
  const made = new Array<string>();
  for (let i = 0; i < SmpDosDevices.length; i++) {
    const v = SmpDosDevices[i];
    if (!SmpIsText(v)) {
      SmpLog("DOS devices", v.name + " is " + SmpTypeName(v.type) + " of " + SmpDecimal(v.length) + " bytes, not a string - skipped");
      continue;
    }
    const target = v.type == REG_EXPAND_SZ ? SmpExpand(v.text()) : v.text();
    const status = SmpCreateDosLink(v.name, target);
    if (status != STATUS_SUCCESS) {
      SmpLogFailure("NtCreateSymbolicLinkObject", status, "\\??\\" + v.name + " -> " + target);
      SmpFatal("DOS devices", status);
      return;
    }
    made.push(v.name + (isSubst(target) ? " (subst " : " (") + target + ")");
  }
  SmpLog("DOS devices", SmpDecimal(made.length) + " permanent links in \\??: " + SmpJoin(made, ", "));
}

/** Step 4b: \Sessions, where part 2 puts each session's directories. */
export function SmpCreateSessionsDirectory(): void {
  const handle = SmpSlot();
  const status = NtCreateDirectoryObject(handle, DIRECTORY_ALL_ACCESS, SmpSharedAttributes("\\Sessions", OBJ_PERMANENT | OBJ_OPENIF, 0, SMP_WORLD_READ));
  if (status != STATUS_SUCCESS && status != STATUS_OBJECT_NAME_EXISTS) {
    SmpLogFailure("NtCreateDirectoryObject", status, "\\Sessions");
    SmpFatal("sessions", status);
    return;
  }
  NtClose(load<u32>(handle));
  SmpLog("sessions", "\\Sessions created (permanent); session 0 is smss's own");
}

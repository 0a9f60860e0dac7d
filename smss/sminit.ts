// Step 2: the Session Manager's configuration, read once from
// HKLM\SYSTEM\CurrentControlSet\Control\Session Manager (SMSS.md, with the
// defaults NT uses when a value is missing or malformed), and the object
// directories it names.

import {
  NtClose, NtCreateDirectoryObject, DIRECTORY_ALL_ACCESS, KEY_READ, OBJ_PERMANENT, OBJ_OPENIF, STATUS_SUCCESS, STATUS_OBJECT_NAME_EXISTS,
} from "./ntapi";
import { SmpEnumerateValues, SmpKeyExists, SmpOpenKey, SmpReadDword, SmpTryOpenKey, SmpReadMultiSz, SmpReadString, SmpLastStringExpand, SmpValue } from "./smreg";
import { SmpAttributes, SmpSharedAttributes, SmpDecimal, SmpJoin, SmpLog, SmpLogFailure, SmpSlot } from "./smutil";
import { SmpFatal } from "./smfail";

export const SESSION_MANAGER = "\\Registry\\Machine\\System\\CurrentControlSet\\Control\\Session Manager";
export const MININT = "\\Registry\\Machine\\System\\CurrentControlSet\\Control\\MiniNT";

/** The Session Manager key, open for the whole of initialization (renames delete values under it). */
export let SmpSessionManagerKey: u32 = 0;

export let SmpProtectionMode: u32 = 1;
export let SmpAllowProtectedRenames: u32 = 0;
export let SmpObjectDirectories: string[] = [];
export let SmpBootExecute: string[] = [];
export let SmpSetupExecute: string[] = [];
export let SmpExecute: string[] = [];
export let SmpRenames: string[] = [];
export let SmpRenames2: string[] = [];
export let SmpExcludeKnownDlls: string[] = [];
export let SmpPagingFiles: string[] = [];
export let SmpDosDevices: SmpValue[] = [];
export let SmpKnownDlls: SmpValue[] = [];
export let SmpEnvironmentValues: SmpValue[] = [];
/** SubSystems (part 2 starts them: SMSS.md step 4h). */
export let SmpSubSystemsRequired: string[] = [];
export let SmpSubSystemsOptional: string[] = [];
export let SmpSubSystemKmode = "";
export let SmpSubSystemWindows = "";
export let SmpSubSystemWindowsExpand = false;
export let SmpSubSystemDebug = "";
export let SmpSubSystemValues: SmpValue[] = [];
/** HKLM\SYSTEM\CurrentControlSet\Control\MiniNT exists: no renames, no paging files. */
export let SmpMiniNT = false;

const sessionManagerSlot = SmpSlot();

function subkeyValues(name: string): SmpValue[] {
  const key = SmpOpenKey(name, SmpSessionManagerKey, KEY_READ);
  const values = SmpEnumerateValues(key);
  if (key != 0) NtClose(key);
  return values;
}

/** Reads every value of SMSS.md step 2; a Session Manager key that cannot be opened is fatal. A session's copy reads it `quiet`. */
export function SmpLoadConfiguration(quiet: bool = false): void {
  const status = SmpTryOpenKey(SESSION_MANAGER, 0, 0xF003F /* KEY_ALL_ACCESS: renames delete values */, sessionManagerSlot);
  SmpSessionManagerKey = load<u32>(sessionManagerSlot);
  if (status != STATUS_SUCCESS) {
    SmpLogFailure("NtOpenKey", status, SESSION_MANAGER);
    SmpFatal("configuration", status);
  }
  const key = SmpSessionManagerKey;
  SmpProtectionMode = SmpReadDword(key, "ProtectionMode", 1);
  SmpAllowProtectedRenames = SmpReadDword(key, "AllowProtectedRenames", 0);
  SmpObjectDirectories = SmpReadMultiSz(key, "ObjectDirectories", ["\\Windows", "\\RPC Control"]);
  SmpBootExecute = SmpReadMultiSz(key, "BootExecute", ["autocheck autochk *"]);
  SmpSetupExecute = SmpReadMultiSz(key, "SetupExecute", []);
  SmpExecute = SmpReadMultiSz(key, "Execute", []);
  SmpRenames = SmpReadMultiSz(key, "PendingFileRenameOperations", [], true);
  SmpRenames2 = SmpReadMultiSz(key, "PendingFileRenameOperations2", [], true);
  SmpExcludeKnownDlls = SmpReadMultiSz(key, "ExcludeFromKnownDlls", []);
  const memoryKey = SmpOpenKey("Memory Management", key, KEY_READ);
  SmpPagingFiles = memoryKey != 0 ? SmpReadMultiSz(memoryKey, "PagingFiles", ["?:\\pagefile.sys"]) : ["?:\\pagefile.sys"];
  if (memoryKey != 0) NtClose(memoryKey);
  SmpDosDevices = subkeyValues("DOS Devices");
  SmpKnownDlls = subkeyValues("KnownDlls");
  SmpEnvironmentValues = subkeyValues("Environment");
  const subsystems = SmpOpenKey("SubSystems", key, KEY_READ);
  SmpSubSystemValues = SmpEnumerateValues(subsystems);
  SmpSubSystemsRequired = SmpReadMultiSz(subsystems, "Required", ["Debug", "Windows"]);
  SmpSubSystemsOptional = SmpReadMultiSz(subsystems, "Optional", []);
  SmpSubSystemKmode = SmpReadString(subsystems, "Kmode", "");
  SmpSubSystemWindows = SmpReadString(subsystems, "Windows", "");
  SmpSubSystemWindowsExpand = SmpLastStringExpand;
  SmpSubSystemDebug = SmpReadString(subsystems, "Debug", "");
  if (subsystems != 0) NtClose(subsystems);
  SmpMiniNT = SmpKeyExists(MININT);
  if (quiet) return;

  SmpLog("configuration", "Session Manager: ProtectionMode " + SmpDecimal(SmpProtectionMode)
    + ", ObjectDirectories " + SmpDecimal(SmpObjectDirectories.length)
    + ", BootExecute " + SmpDecimal(SmpBootExecute.length)
    + ", SetupExecute " + SmpDecimal(SmpSetupExecute.length) + ", Execute " + SmpDecimal(SmpExecute.length)
    + ", renames " + SmpDecimal(SmpRenames.length >> 1) + "+" + SmpDecimal(SmpRenames2.length >> 1)
    + ", ExcludeFromKnownDlls " + SmpDecimal(SmpExcludeKnownDlls.length)
    + ", PagingFiles " + SmpDecimal(SmpPagingFiles.length)
    + ", DOS Devices " + SmpDecimal(SmpDosDevices.length) + ", KnownDlls " + SmpDecimal(SmpKnownDlls.length)
    + ", Environment " + SmpDecimal(SmpEnvironmentValues.length)
    + ", Required " + SmpJoin(SmpSubSystemsRequired, " ")
    + (SmpMiniNT ? "; MiniNT: no renames, no paging files" : ""));
}

/** The permanent object directories of ObjectDirectories (\Windows, \RPC Control). */
export function SmpCreateObjectDirectories(): void {
  const made = new Array<string>();
  const handle = SmpSlot();
  for (let i = 0; i < SmpObjectDirectories.length; i++) {
    const name = SmpObjectDirectories[i];
    const status = NtCreateDirectoryObject(handle, DIRECTORY_ALL_ACCESS,
      // Everyone may look; in \RPC Control everyone may also make endpoints (NT's liberal descriptor).
      SmpSharedAttributes(name, OBJ_PERMANENT | OBJ_OPENIF, 0, name.toLowerCase() == "\\rpc control" ? 0xE0000000 : 0xA0000000));
    if (status != STATUS_SUCCESS && status != STATUS_OBJECT_NAME_EXISTS) {
      SmpLogFailure("NtCreateDirectoryObject", status, name);
      continue;
    }
    NtClose(load<u32>(handle));
    made.push(name);
  }
  SmpLog("object directories", made.length != 0 ? SmpJoin(made, ", ") + " (permanent)" : "none");
}

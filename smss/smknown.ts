// Step 4e: KnownDlls. The DLLs every process loads are opened once, here,
// as permanent image sections in \KnownDlls; ntdll's loader maps a known
// DLL from its section instead of opening the file again.
//
// \KnownDlls\KnownDllPath is a link whose target is DllDirectory (a DOS
// path, REG_EXPAND_SZ expanded), which the loader reads to name the
// sections' files. Each value of the KnownDlls key other than DllDirectory
// names a DLL in that directory; each DLL it imports is made known too, as
// NT does, unless ExcludeFromKnownDlls names it. A listed file that is not
// a DLL is fatal with NT's own words; a missing one is logged and skipped.
// Making \KnownDlls or the link is fatal when it fails.

import {
  NtClose, NtOpenFile, NtCreateSection, NtQuerySection, NtMapViewOfSection, NtUnmapViewOfSection, NtCreateDirectoryObject,
  NtCreateSymbolicLinkObject, NtCurrentProcess, DIRECTORY_ALL_ACCESS, SYMBOLIC_LINK_ALL_ACCESS, SECTION_ALL_ACCESS, OBJ_PERMANENT, OBJ_OPENIF,
  SYNCHRONIZE, FILE_EXECUTE, FILE_READ_DATA, FILE_SHARE_READ, FILE_SHARE_DELETE, FILE_SYNCHRONOUS_IO_NONALERT, FILE_NON_DIRECTORY_FILE,
  PAGE_EXECUTE, SEC_IMAGE, REG_EXPAND_SZ, STATUS_SUCCESS, STATUS_OBJECT_NAME_EXISTS, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_INVALID_IMPORT_OF_NON_DLL,
} from "./ntapi";
import { SmpExcludeKnownDlls, SmpKnownDlls } from "./sminit";
import { SmpExpand } from "./smenv";
import { SmpNtPath } from "./smexec";
import { SmpIsText } from "./smreg";
import { SmpAttributes, SmpSharedAttributes, SMP_WORLD_READ, SmpDecimal, SmpEqualNoCase, SmpJoin, SmpLog, SmpLogFailure, SmpSlot, SmpUnicode } from "./smutil";
import { SmpFatal, SmpTerminate } from "./smfail";

const SectionImageInformation: u32 = 1;
const IMAGE_FILE_DLL: u16 = 0x2000;
const ViewUnmap: u32 = 2;
const PAGE_READONLY: u32 = 2;

/** The handles of \KnownDlls and its sections: smss keeps them open (the objects are permanent anyway). */
let SmpKnownDllsDirectory: u32 = 0;

function excluded(name: string): bool {
  for (let i = 0; i < SmpExcludeKnownDlls.length; i++) if (SmpEqualNoCase(SmpExcludeKnownDlls[i], name)) return true;
  return false;
}

function listed(list: string[], name: string): bool {
  for (let i = 0; i < list.length; i++) if (SmpEqualNoCase(list[i], name)) return true;
  return false;
}

/** The names of the DLLs a mapped image imports (its import directory, every read inside the view). */
function SmpImportedNames(base: usize, size: u32): string[] {
  const names = new Array<string>();
  if (size < 0x40) return names;
  const nt = load<u32>(base + 0x3C);
  if (nt > size - 0xF8) return names;
  const directory = load<u32>(base + nt + 0x80), directorySize = load<u32>(base + nt + 0x84);
  if (directory == 0 || directory >= size || directorySize > size - directory) return names;
  for (let d = directory; d + 20 <= size; d += 20) {
    const nameRva = load<u32>(base + d + 12);
    if (nameRva == 0) break;
    if (nameRva >= size) continue;
    let name = "";
    for (let i = nameRva; i < size && load<u8>(base + i) != 0 && name.length < 64; i++) name += String.fromCharCode(load<u8>(base + i), -1);
    names.push(name);
  }
  return names;
}

/**
 * Makes \KnownDlls\`name` from `directory`\`name`; returns the DLLs it imports.
 * A non-DLL stops the system; a missing file is logged and skipped.
 */
function SmpAddKnownDll(ntDirectory: string, name: string, made: string[]): string[] {
  const handle = SmpSlot(), iosb = SmpSlot();
  const path = ntDirectory + "\\" + name;
  let status = NtOpenFile(handle, SYNCHRONIZE | FILE_EXECUTE | FILE_READ_DATA, SmpAttributes(path, 0, 0), iosb,
    FILE_SHARE_READ | FILE_SHARE_DELETE, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE);
  if (status != STATUS_SUCCESS) {
    SmpLogFailure("NtOpenFile", status, path + " - KnownDll skipped");
    return [];
  }
  const file = load<u32>(handle);
  const section = SmpSlot();
  status = NtCreateSection(section, SECTION_ALL_ACCESS, SmpSharedAttributes(name, OBJ_PERMANENT, SmpKnownDllsDirectory, 0xA0000002 /* and SECTION_MAP_WRITE: copy-on-write views */), 0, PAGE_EXECUTE, SEC_IMAGE, file);
  NtClose(file);
  if (status != STATUS_SUCCESS) {
    SmpLogFailure("NtCreateSection", status, path + " - KnownDll skipped");
    return [];
  }
  const info = heap.alloc(0x30);
  memory.fill(info, 0, 0x30);
  status = NtQuerySection(load<u32>(section), SectionImageInformation, info, 0x30, 0);
  // SECTION_IMAGE_INFORMATION.ImageCharacteristics at +0x1C.
  if (status == STATUS_SUCCESS && (load<u16>(info, 0x1C) & IMAGE_FILE_DLL) == 0) {
    SmpLog("KnownDlls", name + ": Non-DLL file included in KnownDLL list.");
    SmpTerminate("Non-DLL file included in KnownDLL list.", STATUS_INVALID_IMPORT_OF_NON_DLL, name);
    return [];
  }
  made.push(name);
  // What it imports, from a view of the section.
  const base = SmpSlot(), viewSize = SmpSlot();
  let imports: string[] = [];
  status = NtMapViewOfSection(load<u32>(section), NtCurrentProcess, base, 0, 0, 0, viewSize, ViewUnmap, 0, PAGE_READONLY);
  if ((status & 0x80000000) == 0) {
    imports = SmpImportedNames(load<usize>(base), load<u32>(viewSize));
    NtUnmapViewOfSection(NtCurrentProcess, load<usize>(base));
  }
  NtClose(load<u32>(section)); // permanent: it stays in \KnownDlls
  return imports;
}

/** Step 4e. */
export function SmpInitializeKnownDlls(): void {
  // DllDirectory first: without it there is nothing to name the files by.
  let directory = "";
  const names = new Array<string>();
  for (let i = 0; i < SmpKnownDlls.length; i++) {
    const v = SmpKnownDlls[i];
    if (!SmpIsText(v)) { SmpLog("KnownDlls", v.name + " is not a string - skipped"); continue; }
    if (SmpEqualNoCase(v.name, "DllDirectory")) directory = v.type == REG_EXPAND_SZ ? SmpExpand(v.text()) : v.text();
    else if (v.text().length != 0 && !listed(names, v.text())) names.push(v.text());
  }
  const handle = SmpSlot();
  let status = NtCreateDirectoryObject(handle, DIRECTORY_ALL_ACCESS, SmpSharedAttributes("\\KnownDlls", OBJ_PERMANENT | OBJ_OPENIF, 0, SMP_WORLD_READ));
  if (status != STATUS_SUCCESS && status != STATUS_OBJECT_NAME_EXISTS) {
    SmpLogFailure("NtCreateDirectoryObject", status, "\\KnownDlls");
    SmpFatal("KnownDlls", status);
    return;
  }
  SmpKnownDllsDirectory = load<u32>(handle);
  if (directory.length == 0) {
    SmpLogFailure("SmpInitializeKnownDlls", STATUS_OBJECT_NAME_NOT_FOUND, "no DllDirectory value");
    SmpFatal("KnownDlls", STATUS_OBJECT_NAME_NOT_FOUND);
    return;
  }
  status = NtCreateSymbolicLinkObject(handle, SYMBOLIC_LINK_ALL_ACCESS, SmpSharedAttributes("KnownDllPath", OBJ_PERMANENT, SmpKnownDllsDirectory, SMP_WORLD_READ), SmpUnicode(directory));
  if (status != STATUS_SUCCESS) {
    SmpLogFailure("NtCreateSymbolicLinkObject", status, "\\KnownDlls\\KnownDllPath -> " + directory);
    SmpFatal("KnownDlls", status);
    return;
  }
  NtClose(load<u32>(handle));
  const ntDirectory = SmpNtPath(directory);
  const made = new Array<string>();
  const skipped = new Array<string>();
  const seen = new Array<string>();
  // The listed DLLs, then each DLL one of them imports (the list grows as it is walked).
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (listed(seen, name)) continue;
    seen.push(name);
    if (excluded(name)) { skipped.push(name); continue; }
    const imports = SmpAddKnownDll(ntDirectory, name, made);
    for (let k = 0; k < imports.length; k++) if (!listed(names, imports[k])) names.push(imports[k]);
  }
  SmpLog("KnownDlls", SmpDecimal(made.length) + (made.length == 1 ? " section" : " sections") + " in \\KnownDlls (" + SmpJoin(made, ", ") + "), KnownDllPath -> " + directory
    + (skipped.length != 0 ? "; excluded: " + SmpJoin(skipped, ", ") : ""));
}

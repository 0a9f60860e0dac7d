// The image loader: what LdrInitializeThunk does in a new process before
// its first instruction, and LdrLoadDll / LdrGetDllHandle /
// LdrGetProcedureAddress afterwards.
//
// Every user thread of a process made from an image starts in
// LdrInitializeThunk(Context, NtdllBase) (kernel/ps/psdll.ts). The DLL
// linker's entry stub (scripts/pe/ntdll.ts) sets up this module once per
// process and comes here, to LdrpInitialize. The first thread initializes
// the process:
//
//   1. the process heap (PEB->ProcessHeap), then the process parameters
//      the creator wrote (offsets) turned into pointers;
//   2. PEB->Ldr: a PEB_LDR_DATA with the three module lists, and an
//      LDR_DATA_TABLE_ENTRY for the program and for ntdll.dll;
//   3. the program relocated if it is not at its base;
//   4. the program's imports, depth first: each DLL named is found among the
//      loaded modules by its base name, else as a section in \KnownDlls,
//      else on the DLL path (ProcessParameters->DllPath, or
//      \SystemRoot\System32 without parameters); mapped as an image;
//      relocated when it could not have its base; its own imports bound;
//      then put on the initialization-order list (so a DLL comes after
//      those it imports from). Imports are bound by name (the hint tried
//      first, then a binary search of the sorted name table) or by ordinal;
//      forwarders ("OTHER.Name", "OTHER.#7") are followed;
//   5. each DLL's entry point, in initialization order, with
//      DLL_PROCESS_ATTACH and the context as lpReserved (a static load).
//
// Then every thread continues into its context with NtContinue: the
// program's entry point for the first, the start address for others (which
// first call the DLLs' entry points with DLL_THREAD_ATTACH).
//
// A failure ends the process with its status (STATUS_DLL_NOT_FOUND,
// STATUS_ENTRYPOINT_NOT_FOUND, STATUS_ORDINAL_NOT_FOUND,
// STATUS_INVALID_IMAGE_FORMAT for a bad import or relocation table,
// STATUS_DLL_INIT_FAILED when an entry point returns FALSE) after a line
// naming what was missing, shown with NtDisplayString ("LDR: ..."). Every
// RVA in a table is checked against the image's size before it is used.
//
// The image side (structure layouts, PE header fields, strings, the
// "LDR:" lines, base relocation) is in ldrimage.ts.
//
// Not done: thread-local storage (.tls), bound imports and delay loads, DLL
// unloading (LdrUnloadDll only counts down), a loader lock (LdrLoadDll is
// for one thread at a time).

import {
  NtClose, NtOpenFile, NtCreateSection, RtlGetCurrentPeb, RtlpStrLen, RtlpInitObjectAttributes, PEB_PROCESS_HEAP, PEB_PROCESS_PARAMETERS,
} from "./nt";
import { RtlCreateHeap, RtlAllocateHeap, RtlFreeHeap } from "./heap";
import { RtlEnterCriticalSection, RtlLeaveCriticalSection } from "./critsect";
import { RtlEqualUnicodeString, RtlUpcaseUnicodeChar, setString } from "./string";
import { RtlNormalizeProcessParams } from "./process";
import { RtlDosSearchPath_U, RtlDosPathNameToNtPathName_U } from "./path";
import {
  ENTRY_SIZE, E_BASE_NAME, E_DLL_BASE, E_ENTRY, E_FLAGS, E_FULL_NAME, E_HASH_LINKS, E_INIT_LINKS, E_LOAD_COUNT, E_LOAD_LINKS, E_MEMORY_LINKS, E_SIZE, E_TIMESTAMP, HEAP_GROWABLE, HEAP_ZERO_MEMORY, LDR_DATA_SIZE, LD_INITIALIZED, LD_INIT_ORDER, LD_LOAD_ORDER, LD_MEMORY_ORDER, LdrpAnsiToUnicode, LdrpConcat, LdrpProtect, LdrpRelocate, LdrpReport, PEB_IMAGE_BASE, PEB_LDR, P_DLLPATH, P_IMAGE, asciiInside, characteristics, directory, heap, inside, lineBegin, lineEnd, lineName, lineText, nameOf, ntHeaders, sizeOfImage, ustrBuffer, ustrLength,
} from "./ldrimage";
import { InitializeListHead, InsertTailList, RemoveEntryList } from "../../../kernel/sdk/list";
import { IMAGE_NT_HEADERS32 } from "../../../kernel/sdk/pe";
import { PEB } from "../../../kernel/sdk/peb";
import { IMAGE_EXPORT_DIRECTORY, IMAGE_IMPORT_DESCRIPTOR } from "../../../kernel/sdk/pe";
import {
  NT_SUCCESS, STATUS_DLL_INIT_FAILED, STATUS_DLL_NOT_FOUND, STATUS_ENTRYPOINT_NOT_FOUND,
  STATUS_IMAGE_NOT_AT_BASE, STATUS_INVALID_IMAGE_FORMAT, STATUS_INVALID_PARAMETER,
  STATUS_NO_MEMORY, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_ORDINAL_NOT_FOUND, STATUS_SUCCESS,
} from "../../../kernel/sdk/ntstatus";
import { IO_STATUS_BLOCK, NtCurrentProcess, OBJ_CASE_INSENSITIVE, OBJECT_ATTRIBUTES, PAGE_READWRITE, STRING } from "../../../kernel/sdk/ntdef";
import {
  DLL_PROCESS_ATTACH, DLL_THREAD_ATTACH, LDRP_ENTRY_PROCESSED, LDRP_IMAGE_DLL, LDRP_PROCESS_ATTACH_CALLED,
} from "../../../kernel/sdk/peb";
import { IMAGE_DIRECTORY_ENTRY_EXPORT, IMAGE_DIRECTORY_ENTRY_IMPORT, IMAGE_FILE_DLL, IMAGE_ORDINAL_FLAG32 } from "../../../kernel/sdk/pe";

@external("ntdll", "NtOpenSection") declare function NtOpenSection(section: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtMapViewOfSection") declare function NtMapViewOfSection(section: u32, process: u32, base: usize, zeroBits: u32,
  commitSize: u32, offset: usize, viewSize: usize, inherit: u32, allocationType: u32, protect: u32): u32;
@external("ntdll", "NtUnmapViewOfSection") declare function NtUnmapViewOfSection(process: u32, base: usize): u32;
@external("ntdll", "NtOpenSymbolicLinkObject") declare function NtOpenSymbolicLinkObject(link: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQuerySymbolicLinkObject") declare function NtQuerySymbolicLinkObject(link: u32, target: usize, length: usize): u32;
@external("ntdll", "NtContinue") declare function NtContinue(context: usize, testAlert: u32): u32;
@external("ntdll", "NtTerminateProcess") declare function NtTerminateProcess(process: u32, status: u32): u32;
/** Calls a DLL entry point, BOOL WINAPI DllMain(hinst, reason, reserved), at a raw address (the DLL linker's helper). */
@external("ntdll", "LdrpCallInitRoutine") declare function LdrpCallInitRoutine(routine: usize, base: usize, reason: u32, context: usize): u32;

/**
 * The loader lock (NT's LdrpLoaderLock, which PEB.LoaderLock names): held by
 * LdrLoadDll, LdrGetDllHandle, LdrGetProcedureAddress and LdrUnloadDll for
 * their whole work, so two threads never walk or change the module lists,
 * or use the loader's static cells, at once. Recursive: a DllMain may load.
 * Process start-up (LdrpInitialize) runs before any second thread exists.
 */
const LdrpLoaderLock = memory.data<i32>([0, -1, 0, 0, 0, 0]);

let LdrpInitialized: bool = false;
let LdrpData: usize = 0;
let LdrpImageEntry: usize = 0;
let LdrpNtdllEntry: usize = 0;
/** \KnownDlls\KnownDllPath's target (a UNICODE_STRING on the heap), or 0 without \KnownDlls. */
let LdrpKnownDllPath: usize = 0;

// ---- the module list ----

/** A new LDR_DATA_TABLE_ENTRY for the image at `base` named `fullName` (copied), on the load and memory lists. */
function LdrpAddModule(base: usize, fullName: usize, dll: bool): usize {
  const length = fullName != 0 ? ustrLength(fullName) : 0;
  const entry = RtlAllocateHeap(heap(), HEAP_ZERO_MEMORY, ENTRY_SIZE + length + 2);
  if (entry == 0) return 0;
  const name = entry + ENTRY_SIZE;
  if (length != 0) memory.copy(name, ustrBuffer(fullName), length);
  store<u16>(name + length, 0);
  setString(entry + E_FULL_NAME, length, length + 2, name);
  let start: u32 = 0; // the base name: after the last separator
  for (let i: u32 = 0; i < length >> 1; i++) {
    const c = <u32>load<u16>(name + (i << 1));
    if (c == 0x5C || c == 0x2F || c == 0x3A) start = i + 1;
  }
  setString(entry + E_BASE_NAME, length - (start << 1), length - (start << 1) + 2, name + (start << 1));
  const entryRva = changetype<IMAGE_NT_HEADERS32>(ntHeaders(base)).OptionalHeader.AddressOfEntryPoint;
  store<usize>(entry + E_DLL_BASE, base);
  store<usize>(entry + E_ENTRY, entryRva != 0 ? base + entryRva : 0);
  store<u32>(entry + E_SIZE, sizeOfImage(base));
  store<u32>(entry + E_FLAGS, dll ? LDRP_IMAGE_DLL : 0);
  store<u16>(entry + E_LOAD_COUNT, 1);
  store<u32>(entry + E_TIMESTAMP, changetype<IMAGE_NT_HEADERS32>(ntHeaders(base)).FileHeader_TimeDateStamp);
  InitializeListHead(entry + E_HASH_LINKS);
  InitializeListHead(entry + E_INIT_LINKS);
  InsertTailList(LdrpData + LD_LOAD_ORDER, entry + E_LOAD_LINKS);
  InsertTailList(LdrpData + LD_MEMORY_ORDER, entry + E_MEMORY_LINKS);
  return entry;
}

/** True when the base name `a` (a UNICODE_STRING) names `b`, case-insensitively, ".dll" assumed when `a` has no extension. */
function LdrpSameName(a: usize, b: usize): bool {
  if (RtlEqualUnicodeString(a, b, true)) return true;
  const la = ustrLength(a) >> 1, lb = ustrLength(b) >> 1;
  for (let i: u32 = 0; i < la; i++) if (load<u16>(ustrBuffer(a) + (i << 1)) == 0x2E) return false;
  if (lb != la + 4) return false;
  for (let i: u32 = 0; i < la; i++) {
    if (RtlUpcaseUnicodeChar(load<u16>(ustrBuffer(a) + (i << 1))) != RtlUpcaseUnicodeChar(load<u16>(ustrBuffer(b) + (i << 1)))) return false;
  }
  const ext = ".DLL";
  for (let i: u32 = 0; i < 4; i++) if (RtlUpcaseUnicodeChar(load<u16>(ustrBuffer(b) + ((la + i) << 1))) != <u32>ext.charCodeAt(i)) return false;
  return true;
}

/** The loaded module whose base name is `name` (or whose base is `base`, when `name` is 0), or 0. */
function LdrpFindModule(name: usize, base: usize): usize {
  if (LdrpData == 0) return 0;
  const head = LdrpData + LD_LOAD_ORDER;
  for (let link = load<usize>(head); link != head; link = load<usize>(link)) {
    const entry = link - E_LOAD_LINKS;
    if (name != 0 ? LdrpSameName(name, entry + E_BASE_NAME) : load<usize>(entry + E_DLL_BASE) == base) return entry;
  }
  return 0;
}

// ---- exports ----

/** Export name `i` of the name table at `nameTable` (0 when it leaves the image). */
function nameAt(i: u32, base: usize, nameTable: u32): usize {
  const r = load<u32>(base + nameTable + (i << 2));
  return asciiInside(base, r) ? base + r : 0;
}

/** Compares the CHAR string at `a` with `count` CHARs at `b` followed by a NUL (`b` ends at `count`). */
function LdrpCompareName(a: usize, b: usize, count: u32): i32 {
  for (let i: u32 = 0; i < count; i++) {
    const x = <i32>load<u8>(a + i), y = <i32>load<u8>(b + i);
    if (x != y) return x - y;
    if (x == 0) return -1;
  }
  return load<u8>(a + count) == 0 ? 0 : 1;
}

/**
 * The address the module `entry` exports as `name` (`count` CHARs; or, when
 * `name` is 0, as `ordinal`), following forwarders; 0 when there is none.
 */
function LdrpGetProcedure(entry: usize, name: usize, count: u32, ordinal: u32, hint: u32, depth: u32): usize {
  const base = load<usize>(entry + E_DLL_BASE);
  const sizeCell = memory.data(4, 4); // read at once below
  const rva = directory(base, IMAGE_DIRECTORY_ENTRY_EXPORT, sizeCell);
  const size = load<u32>(sizeCell);
  if (rva == 0 || !inside(base, rva, <u32>offsetof<IMAGE_EXPORT_DIRECTORY>())) return 0;
  const dir = changetype<IMAGE_EXPORT_DIRECTORY>(base + rva);
  const functions = dir.NumberOfFunctions, names = dir.NumberOfNames;
  const functionTable = dir.AddressOfFunctions, nameTable = dir.AddressOfNames, ordinalTable = dir.AddressOfNameOrdinals;
  if (functions > 0x10000 || names > functions + 0x10000) return 0;
  if (!inside(base, functionTable, functions << 2) || !inside(base, nameTable, names << 2) || !inside(base, ordinalTable, names << 1)) return 0;
  let index: u32 = 0xFFFFFFFF;
  if (name != 0) {
    let found: i32 = -1;
    if (hint < names) {
      const candidate = nameAt(hint, base, nameTable);
      if (candidate != 0 && LdrpCompareName(candidate, name, count) == 0) found = <i32>hint;
    }
    let low: i32 = 0, high: i32 = <i32>names - 1;
    while (found < 0 && low <= high) {
      const middle = (low + high) >> 1;
      const candidate = nameAt(<u32>middle, base, nameTable);
      if (candidate == 0) return 0;
      const c = LdrpCompareName(candidate, name, count);
      if (c == 0) found = middle; else if (c < 0) low = middle + 1; else high = middle - 1;
    }
    if (found < 0) return 0;
    index = <u32>load<u16>(base + ordinalTable + (<u32>found << 1));
  } else {
    index = ordinal - dir.Base;
  }
  if (index >= functions) return 0;
  const target = load<u32>(base + functionTable + (index << 2));
  if (target == 0 || target >= sizeOfImage(base)) return 0;
  if (target < rva || target - rva >= size) return base + target;
  // A forwarder: "DLL.Name" or "DLL.#ordinal", inside the export directory.
  if (depth >= 8 || !asciiInside(base, target)) return 0;
  const text = base + target;
  const length = RtlpStrLen(text);
  let dot: u32 = 0;
  while (dot < length && load<u8>(text + dot) != 0x2E) dot++;
  if (dot == 0 || dot + 1 >= length) return 0;
  const dll = LdrpAnsiToUnicode(text, dot, ".dll");
  if (dll == 0) return 0;
  const out = memory.data(4, 4);
  let result: usize = 0;
  if (NT_SUCCESS(LdrpLoad(dll, 0, out, false))) {
    const other = load<usize>(out);
    if (load<u8>(text + dot + 1) == 0x23) { // '#'
      let n: u32 = 0;
      for (let i = dot + 2; i < length; i++) n = n * 10 + (<u32>load<u8>(text + i) - 0x30);
      result = LdrpGetProcedure(other, 0, 0, n, 0, depth + 1);
    } else {
      result = LdrpGetProcedure(other, text + dot + 1, length - dot - 1, 0, 0xFFFFFFFF, depth + 1);
    }
  }
  RtlFreeHeap(heap(), 0, dll);
  return result;
}

// ---- imports ----

/** Binds the import address table of one import descriptor of `entry` to `dll`. */
function LdrpSnapImports(entry: usize, descriptor: usize, dll: usize, dllName: usize): u32 {
  const base = load<usize>(entry + E_DLL_BASE);
  const d = changetype<IMAGE_IMPORT_DESCRIPTOR>(descriptor);
  const iat = d.FirstThunk;
  let lookup = d.OriginalFirstThunk;
  if (lookup == 0) lookup = iat;
  // Count the thunks (both tables must hold them all, up to the NUL).
  let count: u32 = 0;
  while (true) {
    if (!inside(base, lookup + (count << 2), 4) || !inside(base, iat + (count << 2), 4)) return STATUS_INVALID_IMAGE_FORMAT;
    if (load<u32>(base + lookup + (count << 2)) == 0) break;
    count++;
  }
  if (count == 0) return STATUS_SUCCESS;
  const args = RtlAllocateHeap(heap(), 0, 16);
  if (args == 0) return STATUS_NO_MEMORY;
  let status = LdrpProtect(base, iat, count << 2, PAGE_READWRITE, args);
  const oldProtect = load<u32>(args, 8), protectedAt = load<usize>(args), protectedSize = load<u32>(args, 4);
  for (let i: u32 = 0; NT_SUCCESS(status) && i < count; i++) {
    const thunk = load<u32>(base + lookup + (i << 2));
    let address: usize = 0;
    if ((thunk & IMAGE_ORDINAL_FLAG32) != 0) {
      address = LdrpGetProcedure(dll, 0, 0, thunk & 0xFFFF, 0, 0);
      if (address == 0) {
        status = STATUS_ORDINAL_NOT_FOUND;
        const ordinal = LdrpOrdinalText(thunk & 0xFFFF);
        LdrpMissing("ordinal ", ordinal, dllName, entry, status);
        if (ordinal != 0) RtlFreeHeap(heap(), 0, ordinal);
      }
    } else {
      if (!inside(base, thunk, 3) || !asciiInside(base, thunk + 2)) { status = STATUS_INVALID_IMAGE_FORMAT; break; }
      const name = base + thunk + 2;
      address = LdrpGetProcedure(dll, name, RtlpStrLen(name), 0, <u32>load<u16>(base + thunk), 0);
      if (address == 0) {
        status = STATUS_ENTRYPOINT_NOT_FOUND;
        const wide = LdrpAnsiToUnicode(name, RtlpStrLen(name), "");
        LdrpMissing("procedure ", wide, dllName, entry, status);
        if (wide != 0) RtlFreeHeap(heap(), 0, wide);
      }
    }
    if (address != 0) store<usize>(base + iat + (i << 2), address);
  }
  // Back to what the pages had.
  if (protectedSize != 0) LdrpProtect(protectedAt, 0, protectedSize, oldProtect, args);
  RtlFreeHeap(heap(), 0, args);
  return status;
}

/** "#n" as a UNICODE_STRING on the heap. */
function LdrpOrdinalText(n: u32): usize {
  const block = RtlAllocateHeap(heap(), 0, 8 + 24);
  if (block == 0) return 0;
  const digits = block + 8;
  let count: u32 = 0;
  let v = n;
  do { count++; v /= 10; } while (v != 0);
  store<u16>(digits, 0x23);
  v = n;
  for (let i = count; i >= 1; i--) { store<u16>(digits + (i << 1), <u16>(0x30 + v % 10)); v /= 10; }
  setString(block, (count + 1) << 1, (count + 1) << 1, digits);
  return block;
}

/** "LDR: <what><name> could not be located in <dll> (imported by <module>), status S". */
function LdrpMissing(what: string, name: usize, dll: usize, importer: usize, status: u32): void {
  lineBegin(what);
  lineName(name);
  lineText(" could not be located in ");
  lineName(dll);
  lineText(" (imported by ");
  lineName(nameOf(importer));
  lineText(")");
  lineEnd(status);
}

/** Loads what the module `entry` imports and binds its import address tables. */
function LdrpWalkImports(entry: usize): u32 {
  const base = load<usize>(entry + E_DLL_BASE);
  const cell = memory.data(4, 4);
  let rva = directory(base, IMAGE_DIRECTORY_ENTRY_IMPORT, cell);
  if (rva == 0) return STATUS_SUCCESS;
  const out = RtlAllocateHeap(heap(), 0, 4);
  if (out == 0) return STATUS_NO_MEMORY;
  let status = STATUS_SUCCESS;
  while (true) {
    if (!inside(base, rva, <u32>offsetof<IMAGE_IMPORT_DESCRIPTOR>())) { status = STATUS_INVALID_IMAGE_FORMAT; break; }
    const descriptor = base + rva;
    const nameRva = changetype<IMAGE_IMPORT_DESCRIPTOR>(descriptor).Name;
    if (nameRva == 0 && changetype<IMAGE_IMPORT_DESCRIPTOR>(descriptor).FirstThunk == 0) break; // the terminating descriptor
    if (!asciiInside(base, nameRva)) { status = STATUS_INVALID_IMAGE_FORMAT; break; }
    const dllName = LdrpAnsiToUnicode(base + nameRva, RtlpStrLen(base + nameRva), "");
    if (dllName == 0) { status = STATUS_NO_MEMORY; break; }
    status = LdrpLoad(dllName, 0, out, true);
    if (!NT_SUCCESS(status)) {
      lineBegin("");
      lineName(dllName);
      lineText(status == STATUS_DLL_NOT_FOUND ? " could not be found (imported by " : " could not be loaded (imported by ");
      lineName(nameOf(entry));
      lineText(")");
      lineEnd(status);
    } else {
      status = LdrpSnapImports(entry, descriptor, load<usize>(out), dllName);
    }
    RtlFreeHeap(heap(), 0, dllName);
    if (!NT_SUCCESS(status)) break;
    rva += 20;
  }
  RtlFreeHeap(heap(), 0, out);
  if (status == STATUS_INVALID_IMAGE_FORMAT) LdrpReport(nameOf(entry), " has a bad import table", status);
  return status;
}

// ---- mapping a DLL ----

/** Opens the section of `name` (a base name): from \KnownDlls, or the file found on the DLL path. `fullName` gets the path. */
function LdrpOpenDll(name: usize, searchPath: usize, section: usize, fullName: usize): u32 {
  const h = heap();
  const block = RtlAllocateHeap(h, HEAP_ZERO_MEMORY, 64); // OBJECT_ATTRIBUTES, IO_STATUS_BLOCK, file (8 kept), NT name
  if (block == 0) return STATUS_NO_MEMORY;
  const oa = block, iosb = oa + offsetof<OBJECT_ATTRIBUTES>(), file = iosb + offsetof<IO_STATUS_BLOCK>(), ntName = file + 8;
  store<usize>(fullName, 0);
  let status: u32 = STATUS_DLL_NOT_FOUND;
  // 1. \KnownDlls\<name>: a section smss made at boot.
  if (LdrpKnownDllPath != 0 && searchPath == 0) {
    const known = LdrpConcat(0, "\\KnownDlls\\", name);
    if (known != 0) {
      RtlpInitObjectAttributes(oa, known, OBJ_CASE_INSENSITIVE, 0);
      if (NT_SUCCESS(NtOpenSection(section, 0x000F /* SECTION_QUERY | MAP_WRITE | MAP_READ | MAP_EXECUTE */, oa))) {
        store<usize>(fullName, LdrpConcat(LdrpKnownDllPath, "\\", name));
        RtlFreeHeap(h, 0, known);
        RtlFreeHeap(h, 0, block);
        return STATUS_SUCCESS;
      }
      RtlFreeHeap(h, 0, known);
    }
  }
  // 2. The DLL path (DOS directories, ';'-separated), or \SystemRoot\System32.
  let path = searchPath;
  const params = load<usize>(RtlGetCurrentPeb() + PEB_PROCESS_PARAMETERS);
  if (path == 0 && params != 0 && ustrLength(params + P_DLLPATH) != 0) path = ustrBuffer(params + P_DLLPATH);
  let ntPath: usize = 0;
  if (path != 0) {
    const found = RtlAllocateHeap(h, 0, 520);
    if (found != 0) {
      const bytes = RtlDosSearchPath_U(path, ustrBuffer(name), 0, 520, found, 0);
      if (bytes != 0 && bytes < 520) {
        const dos = memory.data(8, 4);
        setString(dos, bytes, bytes + 2, found);
        store<usize>(fullName, LdrpConcat(dos, "", 0));
        if (RtlDosPathNameToNtPathName_U(found, ntName, 0, 0)) ntPath = ntName;
      }
      RtlFreeHeap(h, 0, found);
    }
  } else {
    const full = LdrpConcat(0, "\\SystemRoot\\System32\\", name);
    if (full != 0) { store<usize>(fullName, full); ntPath = full; }
  }
  if (ntPath != 0) {
    RtlpInitObjectAttributes(oa, ntPath, OBJ_CASE_INSENSITIVE, 0);
    status = NtOpenFile(file, 0x100021 /* SYNCHRONIZE | FILE_EXECUTE | FILE_READ_DATA */, oa, iosb, 5 /* share read, delete */, 0x60);
    if (status == STATUS_OBJECT_NAME_NOT_FOUND || status == STATUS_OBJECT_PATH_NOT_FOUND) status = STATUS_DLL_NOT_FOUND;
    if (NT_SUCCESS(status)) {
      status = NtCreateSection(section, 0xF001F, 0, 0, 0x10 /* PAGE_EXECUTE */, 0x1000000 /* SEC_IMAGE */, load<u32>(file));
      NtClose(load<u32>(file));
    }
    if (ntPath == ntName) RtlFreeHeap(h, 0, ustrBuffer(ntName));
  }
  if (!NT_SUCCESS(status) && load<usize>(fullName) != 0) { RtlFreeHeap(h, 0, load<usize>(fullName)); store<usize>(fullName, 0); }
  RtlFreeHeap(h, 0, block);
  return status;
}

/**
 * The module `name` (a base name; a UNICODE_STRING) in *out: already loaded,
 * or found, mapped, relocated and bound now (its entry point not yet
 * called: it joins the initialization-order list).
 */
function LdrpLoad(name: usize, searchPath: usize, out: usize, counted: bool): u32 {
  const loaded = LdrpFindModule(name, 0);
  if (loaded != 0) {
    const count = <u32>load<u16>(loaded + E_LOAD_COUNT);
    if (counted && count != 0xFFFF) store<u16>(loaded + E_LOAD_COUNT, <u16>(count + 1));
    store<usize>(out, loaded);
    return STATUS_SUCCESS;
  }
  const h = heap();
  const cells = RtlAllocateHeap(h, HEAP_ZERO_MEMORY, 16); // +0 section, +4 base, +8 view size, +12 full name
  if (cells == 0) return STATUS_NO_MEMORY;
  let status = LdrpOpenDll(name, searchPath, cells, cells + 12);
  if (NT_SUCCESS(status)) {
    status = NtMapViewOfSection(load<u32>(cells), NtCurrentProcess, cells + 4, 0, 0, 0, cells + 8, 1 /* ViewShare */, 0, PAGE_READWRITE);
    NtClose(load<u32>(cells));
  }
  let entry: usize = 0;
  if (NT_SUCCESS(status)) {
    const base = load<usize>(cells, 4);
    const relocate = status == STATUS_IMAGE_NOT_AT_BASE;
    status = STATUS_SUCCESS;
    if ((characteristics(base) & IMAGE_FILE_DLL) == 0) {
      status = STATUS_INVALID_IMAGE_FORMAT;
      LdrpReport(name, " is not a DLL", status);
    } else {
      entry = LdrpAddModule(base, load<usize>(cells, 12), true);
      if (entry == 0) status = STATUS_NO_MEMORY;
    }
    if (NT_SUCCESS(status) && relocate) status = LdrpRelocate(entry);
    if (NT_SUCCESS(status)) status = LdrpWalkImports(entry);
    if (NT_SUCCESS(status)) InsertTailList(LdrpData + LD_INIT_ORDER, entry + E_INIT_LINKS);
    if (!NT_SUCCESS(status)) {
      if (entry != 0) {
        RemoveEntryList(entry + E_LOAD_LINKS);
        RemoveEntryList(entry + E_MEMORY_LINKS);
        RtlFreeHeap(h, 0, entry);
        entry = 0;
      }
      NtUnmapViewOfSection(NtCurrentProcess, base);
    }
  }
  if (load<usize>(cells, 12) != 0) RtlFreeHeap(h, 0, load<usize>(cells, 12));
  RtlFreeHeap(h, 0, cells);
  if (NT_SUCCESS(status)) store<usize>(out, entry);
  return status;
}

/** Calls the entry points of the DLLs on the initialization list not yet attached. */
function LdrpRunInitializeRoutines(context: usize): u32 {
  const head = LdrpData + LD_INIT_ORDER;
  for (let link = load<usize>(head); link != head; link = load<usize>(link)) {
    const entry = link - E_INIT_LINKS;
    const flags = load<u32>(entry + E_FLAGS);
    if ((flags & (LDRP_ENTRY_PROCESSED | LDRP_PROCESS_ATTACH_CALLED)) != 0) continue;
    store<u32>(entry + E_FLAGS, flags | LDRP_ENTRY_PROCESSED);
    const routine = load<usize>(entry + E_ENTRY);
    if (routine == 0) continue;
    const ok = LdrpCallInitRoutine(routine, load<usize>(entry + E_DLL_BASE), DLL_PROCESS_ATTACH, context);
    store<u32>(entry + E_FLAGS, load<u32>(entry + E_FLAGS) | LDRP_PROCESS_ATTACH_CALLED);
    if ((ok & 0xFF) == 0) {
      lineBegin("the entry point of ");
      lineName(nameOf(entry));
      lineText(" failed (DLL_PROCESS_ATTACH returned FALSE)");
      lineEnd(STATUS_DLL_INIT_FAILED);
      return STATUS_DLL_INIT_FAILED;
    }
  }
  return STATUS_SUCCESS;
}

/** Reads \KnownDlls\KnownDllPath (when smss has made \KnownDlls). */
function LdrpReadKnownDllPath(): void {
  const h = heap();
  const block = RtlAllocateHeap(h, HEAP_ZERO_MEMORY, 48); // OBJECT_ATTRIBUTES, then the link's handle
  if (block == 0) return;
  const link = block + offsetof<OBJECT_ATTRIBUTES>();
  const name = LdrpConcat(0, "\\KnownDlls\\KnownDllPath", 0);
  if (name != 0) {
    RtlpInitObjectAttributes(block, name, OBJ_CASE_INSENSITIVE, 0);
    if (NT_SUCCESS(NtOpenSymbolicLinkObject(link, 1 /* SYMBOLIC_LINK_QUERY */, block))) {
      const target = RtlAllocateHeap(h, 0, 8 + 520);
      if (target != 0) {
        setString(target, 0, 518, target + 8);
        if (NT_SUCCESS(NtQuerySymbolicLinkObject(load<u32>(link), target, 0))) LdrpKnownDllPath = target;
        else RtlFreeHeap(h, 0, target);
      }
      NtClose(load<u32>(link));
    }
    RtlFreeHeap(h, 0, name);
  }
  RtlFreeHeap(h, 0, block);
}

/** The first thread's work: heap, parameters, module list, imports, DLL entry points. */
function LdrpInitializeProcess(context: usize, ntdllBase: usize): u32 {
  const peb = RtlGetCurrentPeb();
  if (load<usize>(peb + PEB_PROCESS_HEAP) == 0) {
    const processHeap = RtlCreateHeap(HEAP_GROWABLE, 0, 0, 0, 0, 0);
    if (processHeap == 0) return STATUS_NO_MEMORY;
    store<usize>(peb + PEB_PROCESS_HEAP, processHeap);
  }
  const params = RtlNormalizeProcessParams(load<usize>(peb + PEB_PROCESS_PARAMETERS));
  const ldr = RtlAllocateHeap(heap(), HEAP_ZERO_MEMORY, LDR_DATA_SIZE);
  if (ldr == 0) return STATUS_NO_MEMORY;
  store<u32>(ldr, LDR_DATA_SIZE);
  InitializeListHead(ldr + LD_LOAD_ORDER);
  InitializeListHead(ldr + LD_MEMORY_ORDER);
  InitializeListHead(ldr + LD_INIT_ORDER);
  LdrpData = ldr;
  store<usize>(peb + PEB_LDR, ldr);
  changetype<PEB>(peb).LoaderLock = LdrpLoaderLock;
  // The program (named by the parameters' ImagePathName) and ntdll.dll.
  const exeBase = load<usize>(peb + PEB_IMAGE_BASE);
  LdrpImageEntry = LdrpAddModule(exeBase, params != 0 ? params + P_IMAGE : 0, false);
  const ntdllName = LdrpConcat(0, "\\SystemRoot\\System32\\ntdll.dll", 0);
  LdrpNtdllEntry = ntdllName != 0 ? LdrpAddModule(ntdllBase, ntdllName, true) : 0;
  if (ntdllName != 0) RtlFreeHeap(heap(), 0, ntdllName);
  if (LdrpImageEntry == 0 || LdrpNtdllEntry == 0) return STATUS_NO_MEMORY;
  store<u32>(LdrpNtdllEntry + E_FLAGS, load<u32>(LdrpNtdllEntry + E_FLAGS) | LDRP_ENTRY_PROCESSED | LDRP_PROCESS_ATTACH_CALLED);
  store<u16>(LdrpNtdllEntry + E_LOAD_COUNT, 0xFFFF);
  store<u16>(LdrpImageEntry + E_LOAD_COUNT, 0xFFFF);
  InsertTailList(ldr + LD_INIT_ORDER, LdrpNtdllEntry + E_INIT_LINKS);
  LdrpReadKnownDllPath();
  let status = LdrpRelocate(LdrpImageEntry);
  if (NT_SUCCESS(status)) status = LdrpWalkImports(LdrpImageEntry);
  // Statically loaded DLLs stay: their counts are pinned.
  const head = ldr + LD_LOAD_ORDER;
  for (let link = load<usize>(head); link != head; link = load<usize>(link)) store<u16>(link - E_LOAD_LINKS + E_LOAD_COUNT, 0xFFFF);
  store<u32>(ldr + LD_INITIALIZED, 1);
  if (NT_SUCCESS(status)) status = LdrpRunInitializeRoutines(context);
  return status;
}

/**
 * Where LdrInitializeThunk goes once this module is set up: initializes the
 * process (first thread) or tells the DLLs of a new thread, then continues
 * into the thread's context. Never returns.
 */
export function LdrpInitialize(context: usize, ntdllBase: usize): void {
  if (!LdrpInitialized) {
    LdrpInitialized = true;
    const status = LdrpInitializeProcess(context, ntdllBase);
    if (!NT_SUCCESS(status)) {
      lineBegin("process initialization failed for ");
      lineName(nameOf(LdrpImageEntry));
      lineEnd(status);
      NtTerminateProcess(NtCurrentProcess, status);
    }
  } else if (LdrpData != 0) {
    const head = LdrpData + LD_INIT_ORDER;
    for (let link = load<usize>(head); link != head; link = load<usize>(link)) {
      const entry = link - E_INIT_LINKS;
      const routine = load<usize>(entry + E_ENTRY);
      if (routine != 0 && (load<u32>(entry + E_FLAGS) & LDRP_PROCESS_ATTACH_CALLED) != 0 && entry != LdrpNtdllEntry) {
        LdrpCallInitRoutine(routine, load<usize>(entry + E_DLL_BASE), DLL_THREAD_ATTACH, 0);
      }
    }
  }
  NtContinue(context, 1);
  NtTerminateProcess(NtCurrentProcess, STATUS_INVALID_PARAMETER); // NtContinue refused the context
}

// ---- exported loader services ----

/** The base name part of a UNICODE_STRING path, as a new heap UNICODE_STRING (".dll" added without an extension). */
function LdrpBaseName(name: usize): usize {
  const length = ustrLength(name) >> 1;
  const buffer = ustrBuffer(name);
  let start: u32 = 0, dot = false;
  for (let i: u32 = 0; i < length; i++) {
    const c = <u32>load<u16>(buffer + (i << 1));
    if (c == 0x5C || c == 0x2F || c == 0x3A) { start = i + 1; dot = false; } else if (c == 0x2E) dot = true;
  }
  const part = memory.data(8, 4);
  setString(part, (length - start) << 1, (length - start) << 1, buffer + (start << 1));
  return LdrpConcat(part, dot ? "" : ".dll", 0);
}

/**
 * LdrLoadDll(SearchPath, DllCharacteristics, DllName, *BaseAddress): the
 * DLL (and what it imports) loaded and initialized, or its count raised.
 */
function LdrpLoadDllLocked(searchPath: usize, characteristics: usize, name: usize, baseAddress: usize): u32 {
  if (name == 0 || baseAddress == 0 || LdrpData == 0) return STATUS_INVALID_PARAMETER;
  const base = LdrpBaseName(name);
  if (base == 0) return STATUS_NO_MEMORY;
  const out = memory.data(4, 4);
  let status = LdrpLoad(base, searchPath, out, true);
  if (status == STATUS_DLL_NOT_FOUND) LdrpReport(base, " could not be found", status);
  const loaded = NT_SUCCESS(status) ? load<usize>(load<usize>(out) + E_DLL_BASE) : 0;
  if (NT_SUCCESS(status)) status = LdrpRunInitializeRoutines(0);
  if (NT_SUCCESS(status)) store<usize>(baseAddress, loaded);
  RtlFreeHeap(heap(), 0, base);
  return status;
}

/** LdrGetDllHandle(Path, Characteristics, DllName, *Handle): the base of a loaded module, or STATUS_DLL_NOT_FOUND. */
function LdrpGetDllHandleLocked(path: usize, characteristics: usize, name: usize, handle: usize): u32 {
  if (name == 0 || handle == 0) return STATUS_INVALID_PARAMETER;
  const base = LdrpBaseName(name);
  if (base == 0) return STATUS_NO_MEMORY;
  const entry = LdrpFindModule(base, 0);
  RtlFreeHeap(heap(), 0, base);
  if (entry == 0) return STATUS_DLL_NOT_FOUND;
  store<usize>(handle, load<usize>(entry + E_DLL_BASE));
  return STATUS_SUCCESS;
}

/**
 * LdrGetProcedureAddress(BaseAddress, Name (ANSI_STRING, or NULL), Ordinal,
 * *Address): an export of a loaded module.
 */
function LdrpGetProcedureAddressLocked(base: usize, name: usize, ordinal: u32, address: usize): u32 {
  if (address == 0) return STATUS_INVALID_PARAMETER;
  store<usize>(address, 0);
  const entry = LdrpFindModule(0, base);
  if (entry == 0) return STATUS_DLL_NOT_FOUND;
  let result: usize = 0;
  if (name != 0) result = LdrpGetProcedure(entry, changetype<STRING>(name).Buffer, <u32>changetype<STRING>(name).Length, 0, 0xFFFFFFFF, 0);
  else result = LdrpGetProcedure(entry, 0, 0, ordinal, 0, 0);
  if (result == 0) return name != 0 ? STATUS_ENTRYPOINT_NOT_FOUND : STATUS_ORDINAL_NOT_FOUND;
  store<usize>(address, result);
  return STATUS_SUCCESS;
}

/** LdrUnloadDll(BaseAddress): counts a dynamic load down (DLLs are not unmapped yet). */
function LdrpUnloadDllLocked(base: usize): u32 {
  const entry = LdrpFindModule(0, base);
  if (entry == 0) return STATUS_DLL_NOT_FOUND;
  const count = <u32>load<u16>(entry + E_LOAD_COUNT);
  if (count != 0xFFFF && count != 0) store<u16>(entry + E_LOAD_COUNT, <u16>(count - 1));
  return STATUS_SUCCESS;
}


// ---- the exports: each under the loader lock ----

/** LdrLoadDll: see LdrpLoadDllLocked. */
export function LdrLoadDll(searchPath: usize, characteristics: usize, name: usize, baseAddress: usize): u32 {
  RtlEnterCriticalSection(LdrpLoaderLock);
  const status = LdrpLoadDllLocked(searchPath, characteristics, name, baseAddress);
  RtlLeaveCriticalSection(LdrpLoaderLock);
  return status;
}

/** LdrGetDllHandle: see LdrpGetDllHandleLocked. */
export function LdrGetDllHandle(path: usize, characteristics: usize, name: usize, handle: usize): u32 {
  RtlEnterCriticalSection(LdrpLoaderLock);
  const status = LdrpGetDllHandleLocked(path, characteristics, name, handle);
  RtlLeaveCriticalSection(LdrpLoaderLock);
  return status;
}

/** LdrGetProcedureAddress: see LdrpGetProcedureAddressLocked. */
export function LdrGetProcedureAddress(base: usize, name: usize, ordinal: u32, address: usize): u32 {
  RtlEnterCriticalSection(LdrpLoaderLock);
  const status = LdrpGetProcedureAddressLocked(base, name, ordinal, address);
  RtlLeaveCriticalSection(LdrpLoaderLock);
  return status;
}

/** LdrUnloadDll: see LdrpUnloadDllLocked. */
export function LdrUnloadDll(base: usize): u32 {
  RtlEnterCriticalSection(LdrpLoaderLock);
  const status = LdrpUnloadDllLocked(base);
  RtlLeaveCriticalSection(LdrpLoaderLock);
  return status;
}

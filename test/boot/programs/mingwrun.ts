// Runs the MinGW-w64 programs (test/mingw/*.c, on the disk as
// \mingw\NAME.exe) one after another, as RtlCreateUserProcess would:
// NtCreateFile -> NtCreateSection(SEC_IMAGE) -> NtCreateProcessEx, a
// denormalized RTL_USER_PROCESS_PARAMETERS written into the child and linked
// from its PEB, a stack whose first frame is (return 0, PEB) for
// NtProcessStartup(PEB), and a first thread at the image's entry point (the
// kernel starts it in ntdll's LdrInitializeThunk, which loads the imports
// and continues there). Waits for each and prints `NAME exit 0x........`.
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { NtClose, NtCreateProcessEx, NtAllocateVirtualMemory, NtCreateThread, NtWaitForSingleObject, NtQueryInformationProcess,
  NtWriteVirtualMemory, NtTerminateProcess, NtQuerySystemInformation, ms, put, putDec, putHex, flush, unicode } from "./nt";
import { SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION, SystemPerformanceInformation } from "../../../kernel/sdk/sysinfo";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";

@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtCreateSection") declare function NtCreateSection(handle: usize, access: u32, oa: usize, maximumSize: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtQuerySection") declare function NtQuerySection(section: u32, cls: u32, info: usize, length: u32, result: usize): u32;

const h = memory.data(16, 4);      // +0 file, +4 section, +8 process, +12 thread
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const info = memory.data(48, 8);   // SECTION_IMAGE_INFORMATION
const pbi = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);    // PROCESS_BASIC_INFORMATION
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
const args = memory.data(16, 4);
const frame = memory.data(8, 4);
const t = memory.data(8, 8);
const PARAMS_BYTES: u32 = 0x800;
const params = memory.data(0x800, 4);

const SIZEOF_PARAMS: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>();
let paramsEnd: u32 = 0;

/** Appends `s` (with a NUL) after the block and points the UNICODE_STRING at `field` to it by offset (denormalized). */
function paramString(field: u32, s: string, maximum: u32): void {
  const bytes = <u32>s.length << 1;
  for (let i = 0; i < s.length; i++) store<u16>(params + paramsEnd + (<u32>i << 1), <u16>s.charCodeAt(i));
  store<u16>(params + paramsEnd + bytes, 0);
  if (maximum < bytes + 2) maximum = bytes + 2;
  InitializeCountedString(params + field, paramsEnd, bytes, maximum);
  paramsEnd += (maximum + 3) & ~3;
}

/** The child's RTL_USER_PROCESS_PARAMETERS, denormalized (Buffers are offsets from the block). */
function buildParams(dosImage: string, commandLine: string): u32 {
  memory.fill(params, 0, PARAMS_BYTES);
  paramsEnd = SIZEOF_PARAMS;
  paramString(offsetof<RTL_USER_PROCESS_PARAMETERS>("CurrentDirectory_DosPath_Length"), "C:\\", 520);
  paramString(offsetof<RTL_USER_PROCESS_PARAMETERS>("DllPath_Length"), "C:\\Windows\\System32", 0);
  paramString(offsetof<RTL_USER_PROCESS_PARAMETERS>("ImagePathName_Length"), dosImage, 0);
  paramString(offsetof<RTL_USER_PROCESS_PARAMETERS>("CommandLine_Length"), commandLine, 0);
  const block = changetype<RTL_USER_PROCESS_PARAMETERS>(params);
  block.MaximumLength = paramsEnd;
  block.Length = paramsEnd;
  block.Flags = 0;                               // not normalized
  return paramsEnd;
}

function fail(program: string, what: string, status: u32): u32 {
  put(program); put(" "); put(what); put(" failed "); putHex(status); flush();
  return status;
}

/**
 * Starts \??\C:\mingw\<program>.exe (`ntImage`; `dosImage` and `commandLine`
 * for its parameters), waits for it, prints its exit status. (Literals, not
 * concatenations: the stub runtime has no abort to link.)
 */
export function run(program: string, ntImage: string, dosImage: string, commandLine: string): u32 {
  unicode(name, ntImage);
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  let status = NtCreateFile(h, 0x80000000 | 0x20000000 | 0x100000, oa, iosb, 0, 0, 1, 1, 0x60, 0, 0);
  if (status != 0) return fail(program, "open", status);
  status = NtCreateSection(h + 4, 0xF001F, 0, 0, 0x10, 0x1000000, load<u32>(h));
  NtClose(load<u32>(h));
  if (status != 0) return fail(program, "section", status);
  const section = load<u32>(h, 4);
  status = NtQuerySection(section, 1, info, 48, 0);
  if (status == 0) status = NtCreateProcessEx(h + 8, 0x1F0FFF, 0, 0xFFFFFFFF, 0, section, 0, 0, 0);
  NtClose(section);
  if (status != 0) return fail(program, "process", status);
  const process = load<u32>(h, 8);
  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  const peb = changetype<PROCESS_BASIC_INFORMATION>(pbi).PebBaseAddress;

  // The process parameters, written into the child and linked from PEB->ProcessParameters.
  const bytes = buildParams(dosImage, commandLine);
  store<u32>(args, 0); store<u32>(args, bytes, 4);
  status = NtAllocateVirtualMemory(process, args, 0, args + 4, 0x3000, 0x04);
  if (status == 0) status = NtWriteVirtualMemory(process, load<u32>(args), params, bytes, 0);
  if (status == 0) status = NtWriteVirtualMemory(process, peb + 0x10, args, 4, 0);
  if (status != 0) { NtTerminateProcess(process, status); NtClose(process); return fail(program, "parameters", status); }

  // A 64 KiB stack; NtProcessStartup(PEB) sees a return address of 0 and its argument.
  store<u32>(args, 0); store<u32>(args, 0x10000, 4);
  status = NtAllocateVirtualMemory(process, args, 0, args + 4, 0x3000, 0x04);
  const bottom = load<u32>(args), top = bottom + load<u32>(args, 4);
  store<u32>(frame, 0); store<u32>(frame, peb, 4);
  if (status == 0) status = NtWriteVirtualMemory(process, top - 8, frame, 8, 0);
  if (status != 0) { NtTerminateProcess(process, status); NtClose(process); return fail(program, "stack", status); }

  memory.fill(context, 0, 716);
  store<u32>(context, 0x10007, 0);   // CONTEXT_FULL
  store<u32>(context, 0x3B, 0x90);   // SegFs
  store<u32>(context, 0x23, 0x94);   // SegEs
  store<u32>(context, 0x23, 0x98);   // SegDs
  store<u32>(context, peb, 0xB0);    // Eax
  store<u32>(context, load<u32>(info), 0xB8); // Eip: the entry point
  store<u32>(context, 0x1B, 0xBC);   // SegCs
  store<u32>(context, 0x202, 0xC0);  // EFlags
  store<u32>(context, top - 8, 0xC4); // Esp
  store<u32>(context, 0x23, 0xC8);   // SegSs
  store<u32>(initialTeb, 0); store<u32>(initialTeb, 0, 4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom, 12); store<u32>(initialTeb, bottom, 16);
  status = NtCreateThread(h + 12, 0x1F03FF, 0, process, 0, context, initialTeb, 0);
  if (status != 0) { NtTerminateProcess(process, status); NtClose(process); return fail(program, "thread", status); }
  NtClose(load<u32>(h, 12));

  status = NtWaitForSingleObject(process, 0, ms(t, 30000));
  if (status != 0) { NtTerminateProcess(process, 0xC0000001); NtClose(process); return fail(program, "wait", status); }
  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  NtClose(process);
  const exit = changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus;
  put(program); put(" exit "); putHex(exit); flush();
  return exit;
}

const performance = memory.data(<i32>SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 8);
/** SYSTEM_PERFORMANCE_INFORMATION.AvailablePages (offset 0x2C). */
function availablePages(): u32 {
  const status = NtQuerySystemInformation(SystemPerformanceInformation, performance, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 0);
  return status == 0 ? changetype<SYSTEM_PERFORMANCE_INFORMATION>(performance).AvailablePages : 0xFFFFFFFF;
}

export function main(): void {
  // The registry builds a key when it is first used and keeps it for the
  // hive's life (NT keeps its key control blocks the same way): a first run of
  // registry.exe builds what it opens, so the pages counted around the list
  // below are the programs' own.
  run("registry", "\\??\\C:\\mingw\\registry.exe", "C:\\mingw\\registry.exe", "registry.exe");
  const before = availablePages();
  run("hello", "\\??\\C:\\mingw\\hello.exe", "C:\\mingw\\hello.exe", "hello.exe");
  run("files", "\\??\\C:\\mingw\\files.exe", "C:\\mingw\\files.exe", "files.exe");
  run("registry", "\\??\\C:\\mingw\\registry.exe", "C:\\mingw\\registry.exe", "registry.exe");
  run("spawn", "\\??\\C:\\mingw\\spawn.exe", "C:\\mingw\\spawn.exe", "spawn.exe");
  run("critsect", "\\??\\C:\\mingw\\critsect.exe", "C:\\mingw\\critsect.exe", "critsect.exe");
  const after = availablePages();
  put("available pages "); putDec(before); put(" before the programs, "); putDec(after); put(" after"); flush();
  put("done"); flush();
}

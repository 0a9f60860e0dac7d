// The test launcher: a native program linked against ntdll.dll that the
// loader tests put on their disks as \Windows\System32\smss.exe, so the
// kernel starts it as the first process. It reads \??\C:\launch.txt, one
// command line per line (the first word an NT path to an image), and for
// each: RtlCreateProcessParameters + RtlCreateUserProcess, a check that the
// image is native (as smss checks what it runs), NtResumeThread, a wait,
// and the exit status:
//
//   launch: <command line> -> exit 0x........
//   launch: <command line> -> not started 0x........   (RtlCreateUserProcess failed)
//   launch: <command line> -> not native 0xC000007B    (subsystem not 1: terminated unstarted)
//   launch: <command line> -> timed out 0xC0000102     (after a line `timeout MS`: ran longer, ended)
//   launch: done
//
// A line `knowndll <NT path of a DLL> <name>` makes \KnownDlls (once, with
// \KnownDlls\KnownDllPath -> C:\Windows\System32) and an image section
// \KnownDlls\<name> of that file, as smss does for the KnownDlls key (the
// launcher keeps the handles, so the objects live as long as it does):
//
//   launch: knowndll <name> -> section 0x........
//
// Then it waits for ever, as the Session Manager would (the kernel
// bug-checks when the first process ends within 5 seconds).

import { put, putWide, putHex, flush } from "./out";

@external("ntdll", "NtOpenFile") declare function NtOpenFile(file: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;
@external("ntdll", "NtResumeThread") declare function NtResumeThread(thread: u32, previous: usize): u32;
@external("ntdll", "NtWaitForSingleObject") declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtQueryInformationProcess") declare function NtQueryInformationProcess(process: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtTerminateProcess") declare function NtTerminateProcess(process: u32, status: u32): u32;
@external("ntdll", "NtDelayExecution") declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtCreateDirectoryObject") declare function NtCreateDirectoryObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtCreateSymbolicLinkObject") declare function NtCreateSymbolicLinkObject(handle: usize, access: u32, oa: usize, target: usize): u32;
@external("ntdll", "NtCreateSection") declare function NtCreateSection(handle: usize, access: u32, oa: usize, size: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "RtlCreateProcessParameters") declare function RtlCreateProcessParameters(result: usize, image: usize, dllPath: usize, currentDirectory: usize,
  commandLine: usize, environment: usize, title: usize, desktop: usize, shell: usize, runtime: usize): u32;
@external("ntdll", "RtlDestroyProcessParameters") declare function RtlDestroyProcessParameters(params: usize): u32;
@external("ntdll", "RtlCreateUserProcess") declare function RtlCreateUserProcess(image: usize, attributes: u32, params: usize, processSd: usize, threadSd: usize,
  parent: u32, inherit: bool, debugPort: u32, exceptionPort: u32, info: usize): u32;

const text = memory.data(8192, 4);      // the file
const wide = memory.data(1024, 4);      // one command line as WCHARs
const image = memory.data(8, 4), command = memory.data(8, 4), ustr = memory.data(8, 4);
const oa = memory.data(24, 4), iosb = memory.data(8, 4), handle = memory.data(4, 4), params = memory.data(4, 4);
const info = memory.data(0x44, 4), pbi = memory.data(24, 4);
const forever = memory.data<u64>([0x8000000000000000]);
/** A "timeout MS" line: later programs that run longer are ended (the format fuzzer's mutated images may loop). */
const limit = memory.data(8, 8);
let limited = false;
function setString(s: usize, buffer: usize, bytes: u32): void { store<u16>(s, <u16>bytes); store<u16>(s, <u16>(bytes + 2), 2); store<usize>(s, buffer, 4); }

function report(what: string, status: u32): void {
  put("launch: "); putWide(load<usize>(command, 4), load<u16>(command)); put(" -> "); put(what); put(" "); putHex(status); flush();
}

const knownDir = memory.data(4, 4), knownHandles = memory.data(4 * 16, 4), known = memory.data(8, 4), target = memory.data(8, 4);
let knownCount: u32 = 0;

/** OBJECT_ATTRIBUTES at `oa` for the UNICODE_STRING `name` (case-insensitive), relative to `root`. */
function attributes(name: usize, root: u32): usize {
  store<u32>(oa, 24); store<u32>(oa, root, 4); store<usize>(oa, name, 8); store<u32>(oa, 0x40, 12); store<u32>(oa, 0, 16); store<u32>(oa, 0, 20);
  return oa;
}
/** A UNICODE_STRING `u` over a copy of `s` at `at`. */
function literal(u: usize, at: usize, s: string): usize {
  for (let i = 0; i < s.length; i++) store<u16>(at + (i << 1), <u16>s.charCodeAt(i));
  setString(u, at, s.length << 1);
  return u;
}

/** `knowndll PATH NAME` (`bytes` of WCHARs at `wide`, the keyword already checked). */
function knownDll(bytes: u32): void {
  let status: u32 = 0;
  const scratch = wide + 600;
  if (load<u32>(knownDir) == 0) {
    status = NtCreateDirectoryObject(knownDir, 0xF000F, attributes(literal(known, scratch, "\\KnownDlls"), 0));
    if (status == 0) status = NtCreateSymbolicLinkObject(knownHandles + (knownCount++ << 2), 0xF0001,
      attributes(literal(known, scratch, "KnownDllPath"), load<u32>(knownDir)), literal(target, scratch + 100, "C:\\Windows\\System32"));
  }
  // The path, then the name.
  let at: u32 = 18; // after "knowndll "
  let end = at;
  while (end < bytes && load<u16>(wide + end) != 0x20) end += 2;
  setString(image, wide + at, end - at);
  setString(command, wide + end + 2, end + 2 < bytes ? bytes - end - 2 : 0);
  if (status == 0) status = NtOpenFile(handle, 0x100021, attributes(image, 0), iosb, 5, 0x60);
  if (status == 0) {
    status = NtCreateSection(knownHandles + (knownCount << 2), 0xF001F, attributes(command, load<u32>(knownDir)), 0, 0x10, 0x1000000, load<u32>(handle));
    if (status == 0) knownCount++;
    NtClose(load<u32>(handle));
  }
  put("launch: knowndll "); putWide(load<usize>(command, 4), load<u16>(command)); put(" -> section "); putHex(status); flush();
}

/** Runs one command line (`bytes` of WCHARs at `wide`). */
function launch(bytes: u32): void {
  let first: u32 = 0;
  while (first < bytes && load<u16>(wide + first) != 0x20) first += 2;
  store<u16>(wide + first, 0);
  setString(image, wide, first);
  // The command line keeps the whole text (the space comes back).
  const copy = wide + 512;
  memory.copy(copy, wide, bytes);
  if (first < bytes) store<u16>(copy + first, 0x20);
  store<u16>(copy + bytes, 0);
  setString(command, copy, bytes);
  let status = RtlCreateProcessParameters(params, image, 0, 0, command, 0, 0, 0, 0, 0);
  if (status != 0) { report("no parameters", status); return; }
  status = RtlCreateUserProcess(image, 0x40 /* OBJ_CASE_INSENSITIVE */, load<usize>(params), 0, 0, 0, false, 0, 0, info);
  RtlDestroyProcessParameters(load<usize>(params));
  if (status != 0) { report("not started", status); return; }
  const process = load<u32>(info, 4), thread = load<u32>(info, 8);
  // SECTION_IMAGE_INFORMATION at +20: SubSystemType at +16.
  if (load<u32>(info, 20 + 16) != 1) {
    NtTerminateProcess(process, 0xC000007B);
    report("not native", 0xC000007B);
  } else {
    NtResumeThread(thread, 0);
    if (limited && NtWaitForSingleObject(process, 0, limit) == 0x102 /* STATUS_TIMEOUT */) {
      NtTerminateProcess(process, 0xC0000102);
      NtWaitForSingleObject(process, 0, 0);
      report("timed out", 0xC0000102);
    } else {
      NtWaitForSingleObject(process, 0, 0);
      NtQueryInformationProcess(process, 0, pbi, 24, 0);
      report("exit", load<u32>(pbi));
    }
  }
  NtClose(thread);
  NtClose(process);
}

export function main(): void {
  const name = "\\??\\C:\\launch.txt";
  for (let i = 0; i < name.length; i++) store<u16>(wide + (i << 1), <u16>name.charCodeAt(i));
  setString(ustr, wide, name.length << 1);
  store<u32>(oa, 24); store<u32>(oa, 0, 4); store<usize>(oa, ustr, 8); store<u32>(oa, 0x40, 12); store<u32>(oa, 0, 16); store<u32>(oa, 0, 20);
  let status = NtOpenFile(handle, 0x80100000 /* GENERIC_READ | SYNCHRONIZE */, oa, iosb, 1, 0x60);
  let size: u32 = 0;
  if (status == 0) {
    status = NtReadFile(load<u32>(handle), 0, 0, 0, iosb, text, 8191, 0, 0);
    if (status == 0) size = load<u32>(iosb, 4);
    NtClose(load<u32>(handle));
  }
  if (status != 0) { put("launch: cannot read \\??\\C:\\launch.txt "); putHex(status); flush(); }
  let at: u32 = 0;
  while (at < size) {
    let n: u32 = 0;
    while (at < size && load<u8>(text + at) != 10) {
      const c = <u32>load<u8>(text + at);
      if (c != 13 && n < 250) { store<u16>(wide + (n << 1), <u16>c); n++; }
      at++;
    }
    at++;
    if (n > 8 && load<u64>(wide) == 0x0065006D00690074 && load<u32>(wide, 8) == 0x0075006F && load<u16>(wide, 12) == 0x0074 && load<u16>(wide, 14) == 0x20) { // "timeout "
      let ms: i64 = 0;
      for (let i: u32 = 8; i < n; i++) ms = ms * 10 + <i64>(load<u16>(wide + (i << 1)) - 48);
      store<i64>(limit, -ms * 10000);
      limited = true;
    } else if (n > 9 && load<u64>(wide) == 0x0077006F006E006B && load<u64>(wide, 8) == 0x006C006C0064006E && load<u16>(wide, 16) == 0x20) knownDll(n << 1); // "knowndll "
    else if (n != 0) launch(n << 1);
  }
  put("launch: done"); flush();
  while (true) NtDelayExecution(0, forever);
}

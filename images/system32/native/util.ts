// The logon side's small tools: one log line per NtDisplayString (the
// kernel prints it as `<image name>: <text>`), numbers as text, counted
// strings and OBJECT_ATTRIBUTES over AssemblyScript strings, registry reads,
// starting a program, and reading a line from a file (COM1).
//
// Programs are built with AssemblyScript's stub runtime: memory from `new`
// is never given back. Every loop that runs for the life of a program
// (lsass's requests, winlogon's logons) allocates a bounded amount per turn.

import { InitializeCountedString, InitializeObjectAttributes, IO_STATUS_BLOCK, OBJECT_ATTRIBUTES } from "../../../kernel/sdk/ntdef";
import {
  NtDisplayString, NtOpenKey, NtQueryValueKey, NtEnumerateKey, NtClose, NtReadFile, NtQueryInformationProcess,
  RtlCreateProcessParameters, RtlDestroyProcessParameters, RtlCreateUserProcess, RtlExpandEnvironmentStrings_U,
  RtlDosPathNameToNtPathName_U, NtResumeThread, NtTerminateProcess,
  OBJ_CASE_INSENSITIVE, KEY_READ, STATUS_SUCCESS, STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_IMAGE_FORMAT,
} from "./nt";
import { ProcessBasicInformation, ProcessSessionInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { KeyBasicInformation, KeyValuePartialInformation, KEY_BASIC_INFORMATION, KEY_VALUE_PARTIAL_INFORMATION } from "../../../kernel/sdk/keyinfo";
import {
  RTL_USER_PROCESS_INFORMATION_CLIENT_ID, RTL_USER_PROCESS_INFORMATION_PROCESS, RTL_USER_PROCESS_INFORMATION_SIZE,
  RTL_USER_PROCESS_INFORMATION_SUBSYSTEM, RTL_USER_PROCESS_INFORMATION_THREAD, SIZEOF_RTL_USER_PROCESS_INFORMATION,
} from "../../../kernel/sdk/sm";

const line = memory.data(8, 4);

/** One log line: `<image>: <text>`. */
export function Log(text: string): void {
  const bytes = text.length << 1;
  const length = bytes > 0xFFFE ? 0xFFFE : bytes;
  InitializeCountedString(line, changetype<usize>(text), length, length);
  NtDisplayString(line);
}

/** NT's failure line: `<Call> failed - Status == 0x........ (about)`. */
export function LogFailure(call: string, status: u32, about: string): void {
  Log(call + " failed - Status == " + Hex(status) + (about.length != 0 ? " (" + about + ")" : ""));
}

/** `0x` and eight upper-case hexadecimal digits. */
export function Hex(value: u32): string {
  let s = "0x";
  for (let shift = 28; shift >= 0; shift -= 4) {
    const d = (value >>> <u32>shift) & 15;
    s += String.fromCharCode(d < 10 ? 48 + d : 55 + d, -1);
  }
  return s;
}

/** Eight upper-case hexadecimal digits, no prefix (SAM's RID key names). */
export function Hex8(value: u32): string { return Hex(value).substring(2, i32.MAX_VALUE); }

export function Decimal(value: u64): string {
  if (value == 0) return "0";
  let s = "";
  while (value != 0) { s = String.fromCharCode(<i32>(48 + value % 10), -1) + s; value /= 10; }
  return s;
}

/** ASCII upper case. */
export function Upper(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c, -1);
  }
  return out;
}

export function EqualNoCase(a: string, b: string): bool { return a.length == b.length && Upper(a) == Upper(b); }

/** A new UNICODE_STRING over a NUL-terminated copy of `s`. */
export function Unicode(s: string): usize {
  const bytes = <u32>s.length << 1;
  const u = heap.alloc(8 + bytes + 2);
  memory.copy(u + 8, changetype<usize>(s), bytes);
  store<u16>(u + 8 + bytes, 0);
  InitializeCountedString(u, u + 8, bytes, bytes + 2);
  return u;
}

/** `bytes` of UTF-16 at `p` as a string, up to the first NUL. */
export function StringAt(p: usize, bytes: u32): string {
  let n: u32 = 0;
  while (n + 1 < bytes && load<u16>(p + n) != 0) n += 2;
  return String.UTF16.decodeUnsafe(p, n);
}

/** A new OBJECT_ATTRIBUTES for `name` (case-insensitive, plus `attributes`), relative to `root`. */
export function Attributes(name: string, attributes: u32, root: u32): usize {
  return InitializeObjectAttributes(heap.alloc(offsetof<OBJECT_ATTRIBUTES>()), name.length != 0 ? Unicode(name) : 0, attributes | OBJ_CASE_INSENSITIVE, root, 0);
}

/** An 8-byte zeroed slot for a handle or another out value. */
export function Slot(): usize { const p = heap.alloc(8); store<u64>(p, 0); return p; }

/** A relative NT timeout of `ms` milliseconds (a new LARGE_INTEGER). */
export function Milliseconds(ms: i64): usize { const p = heap.alloc(8); store<i64>(p, -ms * 10000); return p; }

// ---- the registry ----


/** Opens `path` (relative to `root` when it is not 0) for reading into `handle` (0 there on failure); NtOpenKey's status. */
export function TryOpenKey(path: string, root: u32, handle: usize): u32 {
  store<u32>(handle, 0);
  const status = NtOpenKey(handle, KEY_READ, Attributes(path, 0, root));
  if (status != STATUS_SUCCESS) store<u32>(handle, 0);
  return status;
}

/** Opens `path` (relative to `root` when it is not 0) for reading; 0 when it cannot (TryOpenKey says why). */
export function OpenKey(path: string, root: u32): u32 {
  const h = Slot();
  return TryOpenKey(path, root, h) == STATUS_SUCCESS ? load<u32>(h) : 0;
}

/** A value's type, data (a private copy with two NULs after it) and length. */
export class Value {
  constructor(public type: u32, public data: usize, public length: u32) {}
  text(): string { return StringAt(this.data, this.length); }
  dword(): u32 { return this.length >= 4 ? load<u32>(this.data) : 0; }
}

// A new buffer per call, not one kept in a global: nsh gives its heap back
// after each command (nsh/heap.ts), which a kept buffer would not survive.
let buffer: usize = 0;
function room(size: u32): usize {
  buffer = heap.alloc(size);
  return buffer;
}
const resultLength = memory.data(4, 4);

/** The value `name` of `key` ("" for the default value), or null. */
export function QueryValue(key: u32, name: string): Value | null {
  if (key == 0) return null;
  const u = Unicode(name);
  let size: u32 = 256;
  let status: u32;
  while (true) {
    status = NtQueryValueKey(key, u, KeyValuePartialInformation, room(size), size, resultLength);
    if (status != STATUS_BUFFER_OVERFLOW && status != STATUS_BUFFER_TOO_SMALL) break;
    size = load<u32>(resultLength) + 16;
  }
  if (status != STATUS_SUCCESS) return null;
  const info = changetype<KEY_VALUE_PARTIAL_INFORMATION>(buffer);
  const length = info.DataLength;
  const data = heap.alloc(length + 4);
  memory.copy(data, buffer + offsetof<KEY_VALUE_PARTIAL_INFORMATION>("Data"), length);
  store<u32>(data + length, 0);
  return new Value(info.Type, data, length);
}

/** A REG_DWORD value, or `fallback`. */
export function ReadDword(key: u32, name: string, fallback: u32): u32 {
  const v = QueryValue(key, name);
  return v != null && v.type == 4 && v.length == 4 ? v.dword() : fallback;
}

/** A REG_SZ or REG_EXPAND_SZ value (REG_EXPAND_SZ expanded in this process's environment), or `fallback`. */
export function ReadString(key: u32, name: string, fallback: string): string {
  const v = QueryValue(key, name);
  if (v == null || (v.type != 1 && v.type != 2)) return fallback;
  return v.type == 2 ? Expand(v.text()) : v.text();
}

/** The strings of a REG_MULTI_SZ (empty ones dropped), or an empty list. */
export function ReadMultiSz(key: u32, name: string): string[] {
  const list = new Array<string>();
  const v = QueryValue(key, name);
  if (v == null || (v.type != 7 && v.type != 1)) return list;
  const chars = v.length >> 1;
  let start: u32 = 0;
  for (let i: u32 = 0; i <= chars; i++) {
    if (i == chars || load<u16>(v.data + (i << 1)) == 0) {
      if (i > start) list.push(String.UTF16.decodeUnsafe(v.data + (start << 1), (i - start) << 1));
      start = i + 1;
    }
  }
  return list;
}

/** The names of `key`'s subkeys, in the key's order. */
export function SubKeys(key: u32): string[] {
  const names = new Array<string>();
  if (key == 0) return names;
  const info = room(512);
  for (let index: u32 = 0; ; index++) {
    if (NtEnumerateKey(key, index, KeyBasicInformation, info, 512, resultLength) != STATUS_SUCCESS) break;
    names.push(String.UTF16.decodeUnsafe(info + offsetof<KEY_BASIC_INFORMATION>("Name"), changetype<KEY_BASIC_INFORMATION>(info).NameLength));
  }
  return names;
}

/** `%Name%` references expanded in this process's environment. */
export function Expand(s: string): string {
  const out = heap.alloc(8 + 1024);
  InitializeCountedString(out, out + 8, 0, 1024);
  if (RtlExpandEnvironmentStrings_U(0, Unicode(s), out, 0) != STATUS_SUCCESS) return s;
  return String.UTF16.decodeUnsafe(out + 8, load<u16>(out));
}

// ---- programs ----

/** A DOS path's NT path (`C:\x` -> `\??\C:\x`); an NT path as it is. */
export function NtPath(path: string): string {
  if (path.startsWith("\\")) return path;
  const nt = Slot();
  if (!RtlDosPathNameToNtPathName_U(load<usize>(Unicode(path), 4), nt, 0, 0)) return path;
  return StringAt(load<usize>(nt, 4), <u32>load<u16>(nt));
}

/**
 * The NT path of a command line's program: the first word (or the quoted
 * first part); a bare name is in %SystemRoot%\System32, where NT's
 * CreateProcess finds system programs.
 */
export function ImagePathOf(commandLine: string): string {
  let program = commandLine;
  if (program.startsWith("\"")) {
    const end = program.indexOf("\"", 1);
    program = end > 0 ? program.substring(1, end) : program.substring(1, program.length);
  } else {
    const space = program.indexOf(" ");
    if (space > 0) program = program.substring(0, space);
  }
  if (program.indexOf("\\") < 0) return "\\SystemRoot\\System32\\" + program;
  return NtPath(program);
}

/** What StartProcess started: handles and ids, or the status it failed with. */
export class Started {
  constructor(public process: u32, public thread: u32, public pid: u32, public status: u32) {}
}

/**
 * Starts the native program at `ntPath` with `commandLine` and `environment`
 * (0: this process's); resumed unless `suspended`. `processSd`: a security
 * descriptor for the new process (0: the kernel gives it this process's
 * token's defaults).
 */
export function StartProcess(ntPath: string, commandLine: string, environment: usize, suspended: bool, processSd: usize = 0): Started {
  const params = Slot();
  const image = Unicode(ntPath);
  let status = RtlCreateProcessParameters(params, image, 0, 0, Unicode(commandLine), environment, 0, 0, 0, 0);
  if (status != STATUS_SUCCESS) return new Started(0, 0, 0, status);
  const info = heap.alloc(SIZEOF_RTL_USER_PROCESS_INFORMATION);
  memory.fill(info, 0, SIZEOF_RTL_USER_PROCESS_INFORMATION);
  store<u32>(info + RTL_USER_PROCESS_INFORMATION_SIZE, SIZEOF_RTL_USER_PROCESS_INFORMATION);
  status = RtlCreateUserProcess(image, OBJ_CASE_INSENSITIVE, load<usize>(params), processSd, 0, 0, false, 0, 0, info);
  RtlDestroyProcessParameters(load<usize>(params));
  if (status != STATUS_SUCCESS) return new Started(0, 0, 0, status);
  const process = load<u32>(info + RTL_USER_PROCESS_INFORMATION_PROCESS), thread = load<u32>(info + RTL_USER_PROCESS_INFORMATION_THREAD);
  const pid = load<u32>(info + RTL_USER_PROCESS_INFORMATION_CLIENT_ID);
  // only native images
  if (load<u32>(info + RTL_USER_PROCESS_INFORMATION_SUBSYSTEM) != 1) {
    NtTerminateProcess(process, STATUS_INVALID_IMAGE_FORMAT);
    NtClose(thread); NtClose(process);
    return new Started(0, 0, 0, STATUS_INVALID_IMAGE_FORMAT);
  }
  if (!suspended) NtResumeThread(thread, 0);
  return new Started(process, thread, pid, STATUS_SUCCESS);
}

/** A process's exit status (PROCESS_BASIC_INFORMATION.ExitStatus). */
export function ExitStatus(process: u32): u32 {
  const pbi = heap.alloc(SIZEOF_PROCESS_BASIC_INFORMATION);
  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  return changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus;
}

/** This process's id and session id. */
export function CurrentProcessId(): u32 {
  const pbi = heap.alloc(SIZEOF_PROCESS_BASIC_INFORMATION);
  NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  return changetype<PROCESS_BASIC_INFORMATION>(pbi).UniqueProcessId;
}
export function CurrentSessionId(): u32 {
  const info = heap.alloc(8);
  store<u32>(info, 0);
  // ProcessSessionInformation (24): a ULONG.
  if (NtQueryInformationProcess(0xFFFFFFFF, ProcessSessionInformation, info, 4, 0) != STATUS_SUCCESS) return 0;
  return load<u32>(info);
}

// ---- reading a line ----

const iosb = memory.data(8, 4);
const byte = memory.data(4, 4);

/**
 * A line from `file` (a serial port: one byte per read), up to CR or LF,
 * at most `max` characters; backspace removes one. Nothing is echoed: COM1
 * carries only log lines, so the caller logs what it wants shown. Returns
 * null when the file fails.
 */
export function ReadLine(file: u32, max: i32): string | null {
  let s = "";
  while (true) {
    const status = NtReadFile(file, 0, 0, 0, iosb, byte, 1, 0, 0);
    if (status != STATUS_SUCCESS) return null;
    if (changetype<IO_STATUS_BLOCK>(iosb).Information == 0) continue;
    const c = load<u8>(byte);
    if (c == 0x0D || c == 0x0A) {
      if (s.length == 0 && c == 0x0A) continue; // the LF of a CR LF
      return s;
    }
    if (c == 0x08 || c == 0x7F) { if (s.length != 0) s = s.substring(0, s.length - 1); continue; }
    if (c < 0x20 || s.length >= max) continue;
    s += String.fromCharCode(c, -1);
  }
}

// csrss's small tools: the native API it imports from ntdll.dll, and log
// lines built in a caller's own buffer (each thread has one: csrss is built
// with AssemblyScript's stub runtime, whose allocator is not shared safely
// between threads, so the port threads allocate nothing).
//
//   line buffer (CSR_LINE_BYTES): +0 u32 length in characters  +4 UNICODE_STRING  +12 the text

export { NtDisplayString } from "../../../smss/ntapi";
export {
  NtClose, NtCreateDirectoryObject, NtOpenDirectoryObject, NtCreateSymbolicLinkObject, NtOpenSymbolicLinkObject, NtMakeTemporaryObject,
  NtDelayExecution, NtWaitForSingleObject, NtResumeThread, NtQueryInformationProcess, NtOpenProcess, NtDuplicateObject, NtCreatePort,
  NtConnectPort, NtReplyWaitReceivePort, NtAcceptConnectPort, NtCompleteConnectPort, NtRequestWaitReplyPort, NtTerminateProcess,
  RtlGetCurrentPeb, RtlCreateUserThread, RtlAdjustPrivilege, func_address, NtCurrentProcess, NtCurrentThread, NtCreateSection, NtMapViewOfSection,
  NtSetInformationProcess, RtlCreateProcessParameters, RtlDestroyProcessParameters, RtlCreateUserProcess, SECTION_ALL_ACCESS, PROCESS_DUP_HANDLE,
  PROCESS_QUERY_INFORMATION, THREAD_ALL_ACCESS, SYNCHRONIZE,
  STATUS_SUCCESS, STATUS_NOT_IMPLEMENTED, STATUS_INVALID_PARAMETER, STATUS_ACCESS_DENIED, STATUS_OBJECT_NAME_EXISTS,
  OBJ_CASE_INSENSITIVE, OBJ_OPENIF, OBJ_PERMANENT, DIRECTORY_ALL_ACCESS, SYMBOLIC_LINK_ALL_ACCESS, PROCESS_ALL_ACCESS,
} from "../../../smss/ntapi";
import { NtDisplayString } from "../../../smss/ntapi";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";

@external("ntdll", "NtSetDefaultHardErrorPort") export declare function NtSetDefaultHardErrorPort(port: u32): u32;
@external("ntdll", "NtReplyPort") export declare function NtReplyPort(port: u32, reply: usize): u32;
@external("ntdll", "NtReadVirtualMemory") export declare function NtReadVirtualMemory(process: u32, base: usize, buffer: usize, size: u32, done: usize): u32;
@external("ntdll", "NtQuerySymbolicLinkObject") export declare function NtQuerySymbolicLinkObject(link: u32, target: usize, length: usize): u32;

export const CSR_LINE_CHARS: u32 = 480;
export const CSR_LINE_BYTES: u32 = 12 + CSR_LINE_CHARS * 2;

/** Appends `s` to the line at `b`. */
export function put(b: usize, s: string): void {
  let n = load<u32>(b);
  for (let i = 0; i < s.length && n < CSR_LINE_CHARS; i++) { store<u16>(b + 12 + (n << 1), <u16>s.charCodeAt(i)); n++; }
  store<u32>(b, n);
}
/** Appends `count` characters of the WCHAR text at `text`. */
export function putWide(b: usize, text: usize, count: u32): void {
  let n = load<u32>(b);
  for (let i: u32 = 0; i < count && n < CSR_LINE_CHARS; i++) { store<u16>(b + 12 + (n << 1), load<u16>(text + (i << 1))); n++; }
  store<u32>(b, n);
}
export function putChar(b: usize, c: u32): void {
  const n = load<u32>(b);
  if (n < CSR_LINE_CHARS) { store<u16>(b + 12 + (n << 1), <u16>c); store<u32>(b, n + 1); }
}
export function putDec(b: usize, v: u32): void {
  if (v >= 10) putDec(b, v / 10);
  putChar(b, 48 + v % 10);
}
export function putHex(b: usize, v: u32): void {
  put(b, "0x");
  for (let s = 28; s >= 0; s -= 4) { const d = (v >>> <u32>s) & 15; putChar(b, d < 10 ? 48 + d : 55 + d); }
}
/** Writes the line (`csrss: <text>` on COM1) and empties it. */
export function flush(b: usize): void {
  const bytes = load<u32>(b) << 1;
  store<u16>(b + 4, <u16>bytes); store<u16>(b + 6, <u16>bytes); store<usize>(b + 8, b + 12);
  NtDisplayString(b + 4);
  store<u32>(b, 0);
}

/** A counted string over `count` characters at `text`, in `at` (8 bytes). */
export function CsrpCounted(at: usize, text: usize, count: u32): usize {
  InitializeCountedString(at, text, count << 1, count << 1);
  return at;
}

/** OBJECT_ATTRIBUTES (24 bytes at `at`) for the counted string `name`. */
export function CsrpAttributes(at: usize, name: usize, attributes: u32, root: u32 = 0): usize {
  return InitializeObjectAttributes(at, name, attributes, root, 0);
}

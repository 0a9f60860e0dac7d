// What a native program finds when ntdll.dll's loader has run: its process
// parameters (normalized), its environment, the process heap, PEB->Ldr's
// module list, and the loader's exported services. One log line each; ends
// with status 0x600D.

import { put, putString, putHex, flush } from "./out";
import { SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION, ThreadBasicInformation } from "../../../kernel/sdk/procinfo";

@external("ntdll", "NtTerminateProcess") declare function NtTerminateProcess(process: u32, status: u32): u32;
@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "RtlQueryEnvironmentVariable_U") declare function RtlQueryEnvironmentVariable_U(environment: usize, name: usize, value: usize): u32;
@external("ntdll", "RtlAllocateHeap") declare function RtlAllocateHeap(heap: usize, flags: u32, size: u32): usize;
@external("ntdll", "RtlAdjustPrivilege") declare function RtlAdjustPrivilege(privilege: u32, enable: bool, currentThread: bool, enabled: usize): u32;
@external("ntdll", "RtlCreateUserThread") declare function RtlCreateUserThread(process: u32, sd: usize, suspended: bool, zeroBits: u32,
  maximumStack: u32, committedStack: u32, start: usize, parameter: usize, thread: usize, clientId: usize): u32;
@external("ntdll", "RtlExitUserThread") declare function RtlExitUserThread(status: u32): void;
@external("ntdll", "NtWaitForSingleObject") declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtQueryInformationThread") declare function NtQueryInformationThread(thread: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("kernel", "func_address") declare function func_address(slot: u32): usize;
@external("ntdll", "LdrGetDllHandle") declare function LdrGetDllHandle(path: usize, characteristics: usize, name: usize, handle: usize): u32;
@external("ntdll", "LdrLoadDll") declare function LdrLoadDll(path: usize, characteristics: usize, name: usize, handle: usize): u32;
@external("ntdll", "LdrGetProcedureAddress") declare function LdrGetProcedureAddress(base: usize, name: usize, ordinal: u32, address: usize): u32;

const value = memory.data(8, 4), buffer = memory.data(512, 4);
const name = memory.data(8, 4), ansi = memory.data(8, 4), out = memory.data(8, 4);
/** A UNICODE_STRING over a copy of `s` at `at`. */
function wide(u: usize, at: usize, s: string): usize {
  for (let i = 0; i < s.length; i++) store<u16>(at + (i << 1), <u16>s.charCodeAt(i));
  store<u16>(at + (s.length << 1), 0);
  store<u16>(u, <u16>(s.length << 1)); store<u16>(u, <u16>(s.length << 1) + 2, 2); store<usize>(u, at, 4);
  return u;
}

let seen: u32 = 0;
/** A second thread: it too starts in LdrInitializeThunk, which must not set the process up again. */
function worker(parameter: usize): void {
  seen = <u32>parameter;
  const ldr = load<usize>(RtlGetCurrentPeb(), 0x0C);
  put("thread "); putHex(<u32>parameter); put(" sees ldr "); put(ldr != 0 && load<u32>(ldr, 4) == 1 ? "initialized" : "missing"); flush();
  RtlExitUserThread(0x77);
}

export function main(): void {
  // Keeps the function table (func_address reads it): an indirect call the optimiser cannot remove, with
  // an argument it cannot know (a constant one would be folded into worker's body).
  const indirect: (p: usize) => void = worker;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  const peb = RtlGetCurrentPeb();
  const params = load<usize>(peb, 0x10);
  put("flags "); putHex(load<u32>(params, 8)); flush();
  put("image "); putString(params + 0x38); flush();
  put("command line "); putString(params + 0x40); flush();
  put("current directory "); putString(params + 0x24); flush();
  put("dll path "); putString(params + 0x30); flush();
  store<u16>(value, 0); store<u16>(value, 256, 2); store<usize>(value, buffer, 4);
  put("Path="); put(" "); putHex(RtlQueryEnvironmentVariable_U(0, wide(name, buffer + 256, "Path"), value)); put(" "); putString(value); flush();
  const heap = load<usize>(peb, 0x18);
  put("heap "); put(heap != 0 && RtlAllocateHeap(heap, 0, 100) != 0 ? "works" : "missing"); flush();
  // PEB->Ldr: the modules in load order (base name and whether the base is what LdrGetDllHandle says).
  const ldr = load<usize>(peb, 0x0C);
  put("ldr length "); putHex(load<u32>(ldr)); put(" initialized "); putHex(load<u32>(ldr, 4)); flush();
  const head = ldr + 0x0C;
  put("modules");
  for (let link = load<usize>(head); link != head; link = load<usize>(link)) { put(" "); putString(link + 0x2C); }
  flush();
  put("init order");
  const init = ldr + 0x1C;
  for (let link = load<usize>(init); link != init; link = load<usize>(link)) { put(" "); putString(link - 0x10 + 0x2C); }
  flush();
  put("exe base matches peb "); put(load<usize>(load<usize>(head) + 0x18) == load<usize>(peb, 8) ? "yes" : "no"); flush();
  put("ntdll handle "); putHex(LdrGetDllHandle(0, 0, wide(name, buffer + 256, "NTDLL"), out)); put(" "); putHex(load<u32>(out)); flush();
  put("missing handle "); putHex(LdrGetDllHandle(0, 0, wide(name, buffer + 256, "nosuch.dll"), out)); flush();
  put("load mathlib "); putHex(LdrLoadDll(0, 0, wide(name, buffer + 256, "mathlib"), out)); flush();
  const base = load<usize>(out);
  const text = buffer + 300;
  store<u8>(text, 0x61); store<u8>(text + 1, 0x64); store<u8>(text + 2, 0x64); store<u8>(text + 3, 0); // "add"
  store<u16>(ansi, 3); store<u16>(ansi, 4, 2); store<usize>(ansi, text, 4);
  const found = LdrGetProcedureAddress(base, ansi, 0, out + 4);
  put("add "); putHex(found); put(" inside "); put(load<usize>(out, 4) > base && load<usize>(out, 4) < base + 0x100000 ? "yes" : "no"); flush();
  put("ordinal 1 "); putHex(LdrGetProcedureAddress(base, 0, 1, out + 4)); flush();
  put("ordinal 999 "); putHex(LdrGetProcedureAddress(base, 0, 999, out + 4)); flush();
  store<u8>(text, 0x7A); // "zdd"
  put("missing procedure "); putHex(LdrGetProcedureAddress(base, ansi, 0, out + 4)); flush();
  put("load missing "); putHex(LdrLoadDll(0, 0, wide(name, buffer + 256, "nosuch.dll"), out)); flush();
  // Privileges through the process token (a copy of its creator's): SeCreatePagefilePrivilege (15).
  put("disable pagefile privilege "); putHex(RtlAdjustPrivilege(15, false, false, out)); put(" was "); putHex(load<u8>(out)); flush();
  put("enable pagefile privilege "); putHex(RtlAdjustPrivilege(15, true, false, out)); put(" was "); putHex(load<u8>(out)); flush();
  put("thread token "); putHex(RtlAdjustPrivilege(15, true, true, out)); flush();
  const start = func_address(load<u32>(changetype<usize>(worker)));
  const created = RtlCreateUserThread(0xFFFFFFFF, 0, false, 0, 0, 0, start, 0x5EC0, out, 0);
  NtWaitForSingleObject(load<u32>(out), 0, 0);
  put("second thread "); putHex(created);
  const tbi = buffer + 400;
  NtQueryInformationThread(load<u32>(out), ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  put(" exit "); putHex(changetype<THREAD_BASIC_INFORMATION>(tbi).ExitStatus); put(" global "); putHex(seen); flush();
  NtTerminateProcess(0xFFFFFFFF, 0x600D);
}

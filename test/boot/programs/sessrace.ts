// Two copies of this program (two boot modules, two processes at one
// priority) make sessions at the same time, over and over
// (test/boot/reentrancy.test.ts): each SystemSessionCreate must put the
// caller in the session whose id it returns (ProcessSessionInformation and
// PEB.SessionId), with \Sessions\<id> and its BaseNamedObjects, Windows and
// DosDevices directories there; then SystemSessionDetach ends it. A kernel
// that builds the directories' names in module memory names one caller's
// directories after the other's session.
import { show, put, putDec, flush, NtQueryInformationProcess, NtOpenDirectoryObject, NtClose } from "./nt";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { SystemSessionCreate, SystemSessionDetach } from "../../../kernel/sdk/sysinfo";
import { ProcessSessionInformation } from "../../../kernel/sdk/procinfo";
@external("ntdll", "NtSetSystemInformation") declare function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const PEB_SESSION_ID: usize = 0x7FFDF000 + 0x1D4;
const ROUNDS: u32 = 40;

const value = memory.data(8, 4);
const handle = memory.data(4, 4);
const text = memory.data(128, 4);
const name = memory.data(8, 4);
const oa = memory.data(24, 4);

let length: u32 = 0;
function append(s: string): void { for (let i = 0; i < s.length; i++) store<u16>(text + (length++ << 1), <u16>s.charCodeAt(i)); }
function appendDecimal(v: u32): void { if (v >= 10) appendDecimal(v / 10); store<u16>(text + (length++ << 1), <u16>(0x30 + v % 10)); }

/** Opens \Sessions\<id><sub>; true when it exists. */
function exists(id: u32, sub: string): bool {
  length = 0;
  append("\\Sessions\\");
  appendDecimal(id);
  append(sub);
  InitializeCountedString(name, <u32>text, length << 1, length << 1);
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  if (NtOpenDirectoryObject(handle, 0x3, oa) != 0) return false;
  NtClose(load<u32>(handle));
  return true;
}

export function main(): void {
  // SeLoadDriverPrivilege (10), which SystemSessionCreate needs, enabled.
  show("open token", NtOpenProcessToken(0xFFFFFFFF, 0x28, handle));
  const privileges = memory.data(16, 4);
  store<u32>(privileges, 1); store<u32>(privileges, 10, 4); store<u32>(privileges, 0, 8); store<u32>(privileges, 2, 12);
  show("enable SeLoadDriverPrivilege", NtAdjustPrivilegesToken(load<u32>(handle), 0, privileges, 0, 0, 0));
  let made: u32 = 0, wrongSession: u32 = 0, missingDirectories: u32 = 0, failed: u32 = 0;
  for (let round: u32 = 0; round < ROUNDS; round++) {
    store<u32>(value, 0xFFFFFFFF);
    const status = NtSetSystemInformation(SystemSessionCreate, value, 4);
    if (status != 0) { if (failed++ == 0) show("first failure", status); continue; }
    made++;
    const id = load<u32>(value);
    store<u32>(value, 0xDEAD, 4);
    NtQueryInformationProcess(0xFFFFFFFF, ProcessSessionInformation, value + 4, 4, 0);
    if (id == 0 || load<u32>(value, 4) != id || load<u32>(PEB_SESSION_ID) != id) wrongSession++;
    if (!exists(id, "")) missingDirectories++;
    if (!exists(id, "\\BaseNamedObjects")) missingDirectories++;
    if (!exists(id, "\\Windows")) missingDirectories++;
    if (!exists(id, "\\DosDevices")) missingDirectories++;
    store<u32>(value, id);
    const detached = NtSetSystemInformation(SystemSessionDetach, value, 4);
    if (detached != 0) { if (failed++ == 0) show("first failure (detach)", detached); }
  }
  put("sessions made "); putDec(made); put(", in the wrong session "); putDec(wrongSession);
  put(", directories missing "); putDec(missingDirectories); put(", failed calls "); putDec(failed); flush();
}

// Loads win32k.sys into its session (0) as smss's Kmode step does, for
// test/boot/logon.test.ts's keyboard case (BootExecute runs it before
// winlogon starts).
import { Hex, Log, Unicode } from "../../../images/system32/native/util";
@external("ntdll", "RtlAdjustPrivilege") declare function RtlAdjustPrivilege(privilege: u32, enable: bool, thread: bool, enabled: usize): u32;
@external("ntdll", "NtSetSystemInformation") declare function NtSetSystemInformation(cls: u32, info: usize, length: u32): u32;

const old = memory.data(4, 4);
export function main(): void {
  RtlAdjustPrivilege(10 /* SeLoadDriverPrivilege */, true, false, old);
  Log("load win32k.sys " + Hex(NtSetSystemInformation(38, Unicode("\\SystemRoot\\System32\\win32k.sys"), 8)));
}

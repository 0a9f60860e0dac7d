// NtShutdownSystem(ShutdownReboot) from ring 3: the privilege is held but
// disabled (as in NT's SYSTEM token), so the first call is refused; enabled,
// the kernel resets the machine (the 8042's reset pulse) and nothing after
// the call runs.
import { show } from "./nt";
@external("ntdll", "NtShutdownSystem") declare function NtShutdownSystem(action: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const token = memory.data(4, 4);
const state = memory.data(16, 4);

export function main(): void {
  show("reboot, privilege disabled", NtShutdownSystem(1));
  show("open token", NtOpenProcessToken(0xFFFFFFFF, 0x28, token));
  store<u32>(state, 1); store<u32>(state, 19, 4); store<u32>(state, 0, 8); store<u32>(state, 2, 12); // SeShutdownPrivilege, enabled
  show("enable SeShutdownPrivilege", NtAdjustPrivilegesToken(load<u32>(token), 0, state, 0, 0, 0));
  show("reboot", NtShutdownSystem(1)); // ShutdownReboot
  show("still running", 0);
}

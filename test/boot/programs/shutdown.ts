// NtShutdownSystem (kernel/ps/psshutdown.ts) from ring 3, on a disk: this
// process writes a file (the volume turns dirty) and a registry value
// without flushing it, starts a critical copy of itself that waits forever,
// checks the refusals (a bad action, no SeShutdownPrivilege), then asks for
// a power-off. The shutdown must end the copy without a bug check, write
// the hive, mark the volume clean and power off: nothing after the call runs.
import { show, NtClose, attributes, unicode, NtSetInformationProcess, NtCreateProcessEx, NtAllocateVirtualMemory, NtWriteVirtualMemory,
  NtCreateThread, NtDelayExecution, ms } from "./nt";
import { ProcessBreakOnTermination } from "../../../kernel/sdk/procinfo";
@external("kernel", "func_address") declare function func_address(slot: u32): usize;
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtOpenKey") declare function NtOpenKey(h: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtSetValueKey") declare function NtSetValueKey(h: u32, name: usize, titleIndex: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtShutdownSystem") declare function NtShutdownSystem(action: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const SELF: u32 = 0xFFFFFFFF;
const h = memory.data(32, 4);
const iosb = memory.data(8, 4);
const text = memory.data(32, 4);
const valueName = memory.data(8, 4);
const cell = memory.data(32, 4);
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
const state = memory.data(16, 4);
const t = memory.data(8, 8);

/** The copy: critical, waits until the shutdown ends it. */
function critical(p: u32): void {
  store<u32>(cell, 1, 28);
  show("copy: critical", NtSetInformationProcess(SELF, ProcessBreakOnTermination, cell + 28, 4));
  while (true) NtDelayExecution(0, ms(t, 1000));
}

function privilege(luid: u32, enabled: bool): void {
  store<u32>(state, 1); store<u32>(state, luid, 4); store<u32>(state, 0, 8); store<u32>(state, enabled ? 2 : 0, 12);
  show(enabled ? "enable SeShutdownPrivilege" : "disable SeShutdownPrivilege", NtAdjustPrivilegesToken(load<u32>(h, 24), 0, state, 0, 0, 0));
}

export function main(): void {
  if (load<u32>(0x7FFDF0F0) == 0x12345678) { const indirect: (p: u32) => void = critical; indirect(0); } // keeps the function table
  // A file: the volume is dirty from here.
  for (let i = 0; i < 26; i++) store<u8>(text + i, 0x41 + i);
  show("create file", NtCreateFile(h, 0x40000000 | 0x00100000, attributes("\\??\\C:\\shutdown.txt", 0x40), iosb, 0, 0, 0, 5, 0x60, 0, 0));
  show("write file", NtWriteFile(load<u32>(h), 0, 0, 0, iosb, text, 26, 0, 0));
  NtClose(load<u32>(h));
  // A registry value, not flushed.
  show("open key", NtOpenKey(h + 4, 0xF003F, attributes("\\Registry\\Machine\\SYSTEM\\Select", 0x40)));
  store<u32>(cell, 0x5D5D0001);
  show("set value", NtSetValueKey(load<u32>(h, 4), unicode(valueName, "ShutdownTest"), 0, 4, cell, 4));
  // The critical copy.
  show("copy", NtCreateProcessEx(h + 8, 0x1F0FFF, attributes("", 0), SELF, 0, 0, 0, 0, 0));
  const process = load<u32>(h, 8);
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  NtAllocateVirtualMemory(process, cell, 0, cell + 4, 0x3000, 0x04);
  const bottom = load<u32>(cell), top = bottom + 0x10000;
  store<u32>(cell, 0, 8); store<u32>(cell, 0, 12);
  NtWriteVirtualMemory(process, top - 8, cell + 8, 8, 0);
  memory.fill(context, 0, 716);
  store<u32>(context, <u32>func_address(load<u32>(changetype<usize>(critical))), 0xB8);
  store<u32>(context, top - 8, 0xC4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom + 0x2000, 12);
  show("copy's thread", NtCreateThread(h + 12, 0x1F03FF, 0, process, 0, context, initialTeb, 0));
  NtDelayExecution(0, ms(t, 200)); // let it say it is critical
  // Refusals.
  show("bad action", NtShutdownSystem(3));
  show("open token", NtOpenProcessToken(SELF, 0x28, h + 24));
  privilege(19, false);
  show("without the privilege", NtShutdownSystem(2));
  privilege(19, true);
  show("power off", NtShutdownSystem(2)); // ShutdownPowerOff
  show("still running", 0);
}

// sehsmss.exe, run by smss from BootExecute (seh.test.ts): makes a thread
// inside its parent, smss, whose start address is 0, so that smss has an
// exception in one of its own threads. SMSS.md: an exception inside smss is
// fatal, STOP 0xC000021A. The thread's stack is 64 KiB allocated in smss.
import { NtDelayExecution, NtQueryInformationProcess } from "../../../images/system32/native/nt";
import { Decimal, Hex, Log, Milliseconds, Slot } from "../../../images/system32/native/util";
import { InitializeObjectAttributes } from "../../../kernel/sdk/ntdef";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";

@external("ntdll", "NtOpenProcess") declare function NtOpenProcess(handle: usize, access: u32, oa: usize, clientId: usize): u32;
@external("ntdll", "NtAllocateVirtualMemory") declare function NtAllocateVirtualMemory(process: u32, base: usize, zeroBits: u32, size: usize, type: u32, protect: u32): u32;
@external("ntdll", "NtCreateThread") declare function NtCreateThread(thread: usize, access: u32, oa: usize, process: u32, clientId: usize, context: usize, initialTeb: usize, suspended: u32): u32;

const pbi = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
const oa = memory.data(24, 4);
const cid = memory.data(8, 4);
const cell = memory.data(8, 4);
const context = memory.data(0x2CC, 4);
const initialTeb = memory.data(20, 4);

export function main(): void {
  let status = NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  const parent = changetype<PROCESS_BASIC_INFORMATION>(pbi).InheritedFromUniqueProcessId;
  Log("parent " + Decimal(parent) + " " + Hex(status));
  InitializeObjectAttributes(oa, 0, 0, 0, 0);
  store<u32>(cid, parent); store<u32>(cid, 0, 4);
  const handle = Slot();
  status = NtOpenProcess(handle, 0x1F0FFF, oa, cid);
  Log("open parent " + Hex(status));
  if (status != 0) return;
  const smss = load<u32>(handle);
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  status = NtAllocateVirtualMemory(smss, cell, 0, cell + 4, 0x3000, 0x04);
  Log("stack in the parent " + Hex(status));
  if (status != 0) return;
  const bottom = load<u32>(cell), top = bottom + 0x10000;
  store<u32>(context, 0x10007, 0);    // CONTEXT_FULL
  store<u32>(context, 0x3B, 0x90);    // SegFs
  store<u32>(context, 0x23, 0x94);    // SegEs
  store<u32>(context, 0x23, 0x98);    // SegDs
  store<u32>(context, 0, 0xB8);       // Eip: address 0, which faults
  store<u32>(context, 0x1B, 0xBC);    // SegCs
  store<u32>(context, 0x202, 0xC0);   // EFlags
  store<u32>(context, top - 16, 0xC4); // Esp
  store<u32>(context, 0x23, 0xC8);    // SegSs
  store<u32>(initialTeb, 0); store<u32>(initialTeb, 0, 4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom, 12); store<u32>(initialTeb, bottom, 16);
  const thread = Slot();
  status = NtCreateThread(thread, 0x1F03FF, 0, smss, 0, context, initialTeb, 0);
  Log("thread in the parent at address 0 " + Hex(status));
  NtDelayExecution(0, Milliseconds(20000));
  Log("still running");
}

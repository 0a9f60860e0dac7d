// NtCreateProcessEx without a section: a copy of this process, given a thread
// that runs `child` there. The copy has its own memory (the parent's marker
// is unchanged), ends with its own status, and the parent waits for it.
import { show, NtCreateProcessEx, NtAllocateVirtualMemory, NtWriteVirtualMemory, NtCreateThread, NtWaitForSingleObject, NtQueryInformationProcess,
  NtQueryInformationThread, NtTerminateProcess, NtCreateSection, NtClose, NtCreateEvent, NtSetEvent, attributes, ms, put, putHex, putDec, flush } from "./nt";
import {
  ProcessBasicInformation, ThreadBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION, THREAD_BASIC_INFORMATION, SIZEOF_THREAD_BASIC_INFORMATION,
} from "../../../kernel/sdk/procinfo";
@external("kernel", "func_address") declare function func_address(slot: u32): usize;

const SELF: u32 = 0xFFFFFFFF;
const h = memory.data(16, 4);
const cell = memory.data(32, 4);
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
const pbi = memory.data(<i32>offsetof<THREAD_BASIC_INFORMATION>(), 4); // and PROCESS_BASIC_INFORMATION
const t = memory.data(8, 8);
let marker: u32 = 1;
let inherited: u32 = 0;
let private_: u32 = 0;

function child(p: u32): void {
  NtQueryInformationThread(0xFFFFFFFE, ThreadBasicInformation, pbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  put("in the copy: marker "); putDec(marker); put(", parameter "); putHex(p); put(", a different process "); putDec(changetype<THREAD_BASIC_INFORMATION>(pbi).ClientId_UniqueProcess != load<u32>(0x7FFDE020) ? 1 : 0); flush();
  marker = 99; // its own copy
  put("inheritable handle works there "); putHex(NtSetEvent(inherited, 0)); flush();
  put("the other one does not "); putHex(NtSetEvent(private_, 0)); flush();
  NtTerminateProcess(SELF, 0x33);
}
function returned(p: u32): void { NtTerminateProcess(SELF, 0x44); }

export function main(): void {
  const indirect: (p: u32) => void = child;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  marker = 7;
  NtCreateEvent(cell + 20, 0x1F0003, attributes("", 0x2), 0, 0); // OBJ_INHERIT
  inherited = load<u32>(cell, 20);
  NtCreateEvent(cell + 24, 0x1F0003, attributes("", 0), 0, 0);
  private_ = load<u32>(cell, 24);
  show("copy this process", NtCreateProcessEx(h, 0x1F0FFF, attributes("", 0), SELF, 4, 0, 0, 0, 0)); // inherit handles
  const process = load<u32>(h);
  // A stack for its thread, in the copy.
  store<u32>(cell, 0); store<u32>(cell, 0x10000, 4);
  show("stack there", NtAllocateVirtualMemory(process, cell, 0, cell + 4, 0x3000, 0x04));
  const bottom = load<u32>(cell), top = bottom + 0x10000;
  store<u32>(cell, <u32>func_address(load<u32>(changetype<usize>(returned))), 8); store<u32>(cell, 0xABCD, 12);
  show("its first frame", NtWriteVirtualMemory(process, top - 8, cell + 8, 8, 0));
  memory.fill(context, 0, 716);
  store<u32>(context, <u32>func_address(load<u32>(changetype<usize>(child))), 0xB8);
  store<u32>(context, top - 8, 0xC4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom + 0x2000, 12);
  show("its thread", NtCreateThread(h + 4, 0x1F03FF, 0, process, 0, context, initialTeb, 0));
  show("wait for it", NtWaitForSingleObject(process, 0, ms(t, 5000)));
  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  show("its exit status", changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus);
  show("the event it set", NtWaitForSingleObject(inherited, 0, ms(t, 10)));
  put("marker here "); putDec(marker); flush();
  NtClose(load<u32>(h, 4)); NtClose(process);
  // A data section is not a program.
  store<u64>(cell, 0x10000, 16);
  NtCreateSection(h + 8, 0xF001F, 0, cell + 16, 0x04, 0x8000000, 0);
  show("from a data section", NtCreateProcessEx(h + 12, 0x1F0FFF, 0, SELF, 0, load<u32>(h, 8), 0, 0, 0));
  show("bad parent", NtCreateProcessEx(h + 12, 0x1F0FFF, 0, 0x4448, 0, 0, 0, 0, 0));
}

// Leaks measured where they would show: one loop that keeps making and
// releasing what a running system makes all day -- a file created, written
// and deleted on close, a volatile registry key with a value, deleted; a
// token opened and adjusted (each process made copies its creator's); a process created from an image section and
// ended; an image section mapped and unmapped; an LPC port with a client
// thread that connects and sends a datagram; a thread run to its end -- and
// after every round samples, from inside the loop, the pool (pages,
// allocations not yet freed: NtQuerySystemInformation
// SystemPerformanceInformation), the free physical pages, and its own pool
// quota usage (ProcessVmCounters). test/boot/leaks.test.ts reads the samples
// from the log and checks they are flat after the first rounds.
import { InitializeObjectAttributes } from "../../../kernel/sdk/ntdef";
import {
  NtClose, NtCreateEvent, NtWaitForSingleObject, NtQuerySystemInformation, NtQueryInformationProcess, NtTerminateProcess,
  NtCreateSection, NtMapViewOfSection, NtUnmapViewOfSection, NtCreateProcessEx, NtCreateThread, NtAllocateVirtualMemory, NtFreeVirtualMemory,
  NtTerminateThread, put, putDec, flush, show, unicode,
} from "./nt";
@external("kernel", "func_address") declare function func_address(slot: u32): usize;
import {
  NtCreatePort, NtConnectPort, NtListenPort, NtAcceptConnectPort, NtCompleteConnectPort, NtRequestPort, NtReplyWaitReceivePort, NtReplyWaitReceivePortEx, header, qos,
} from "./lpcnt";
import { ProcessVmCounters } from "../../../kernel/sdk/procinfo";
import { SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION, SystemPerformanceInformation } from "../../../kernel/sdk/sysinfo";

@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtCreateKey") declare function NtCreateKey(h: usize, access: u32, oa: usize, titleIndex: u32, cls: usize, options: u32, disposition: usize): u32;
@external("ntdll", "NtDeleteKey") declare function NtDeleteKey(h: u32): u32;
@external("ntdll", "NtSetValueKey") declare function NtSetValueKey(h: u32, name: usize, titleIndex: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const SELF: u32 = 0xFFFFFFFF;
const ROUNDS: u32 = 10;
const CYCLES: u32 = 8;
const h = memory.data(32, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const us = memory.data(8, 4);
const us2 = memory.data(8, 4);
const perf = memory.data(<i32>SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 8);
const vm = memory.data(48, 4);
const data = memory.data(256, 4);
const base = memory.data(8, 4);
const size = memory.data(8, 4);
const msg = memory.data(0x148, 8);
const ctx = memory.data(4, 4);
const cmsg = memory.data(0x148, 8);
const cq = memory.data(12, 4);
const ch = memory.data(8, 4);
const cus = memory.data(8, 4);

function attrs(name: string, flags: u32 = 0x40): usize {
  unicode(us, name);
  return InitializeObjectAttributes(oa, us, flags, 0, 0);
}

let failures: u32 = 0;
function check(what: string, status: u32): bool {
  if (status == 0) return true;
  failures++;
  if (failures <= 8) show(what, status);
  return false;
}

function fileCycle(): void {
  // Created (or overwritten), written, deleted when the handle closes.
  if (!check("create file", NtCreateFile(h, 0x40110000 /* GENERIC_WRITE | DELETE | SYNCHRONIZE */, attrs("\\??\\C:\\Data\\leak.txt"), iosb, 0, 0x80, 0, 5 /* FILE_OVERWRITE_IF */,
                                         0x1060 /* DELETE_ON_CLOSE | NON_DIRECTORY | SYNCHRONOUS_IO_NONALERT */, 0, 0))) return;
  check("write file", NtWriteFile(load<u32>(h), 0, 0, 0, iosb, data, 200, 0, 0));
  check("close file", NtClose(load<u32>(h)));
}

function keyCycle(): void {
  if (!check("create key", NtCreateKey(h, 0xF003F, attrs("\\Registry\\Machine\\SYSTEM\\LeakTest"), 0, 0, 1 /* REG_OPTION_VOLATILE */, 0))) return;
  unicode(us2, "Value");
  check("set value", NtSetValueKey(load<u32>(h), us2, 0, 3 /* REG_BINARY */, data, 64));
  check("delete key", NtDeleteKey(load<u32>(h)));
  check("close key", NtClose(load<u32>(h)));
}

const privileges = memory.data(16, 4);
/** A token: the process's opened, a privilege enabled in it (tokens of their own come with each process created below). */
function tokenCycle(): void {
  if (!check("open token", NtOpenProcessToken(SELF, 0xF01FF, h))) return;
  // TOKEN_PRIVILEGES: one privilege, SeIncreaseQuotaPrivilege (5), enabled (2).
  store<u32>(privileges, 1); store<u32>(privileges, 5, 4); store<u32>(privileges, 0, 8); store<u32>(privileges, 2, 12);
  check("adjust token", NtAdjustPrivilegesToken(load<u32>(h), 0, privileges, 16, 0, 0));
  check("close token", NtClose(load<u32>(h)));
}

/** An image section of \Images\good.exe at h+8 (true), its file closed. */
function imageSection(): bool {
  if (!check("open image", NtCreateFile(h, 0xA0100000 /* GENERIC_READ | GENERIC_EXECUTE | SYNCHRONIZE */, attrs("\\??\\C:\\Images\\good.exe"), iosb, 0, 0, 1, 1, 0x60, 0, 0))) return false;
  const ok = check("image section", NtCreateSection(h + 8, 0xF001F, 0, 0, 0x10 /* PAGE_EXECUTE */, 0x1000000 /* SEC_IMAGE */, load<u32>(h)));
  NtClose(load<u32>(h));
  return ok;
}

function processCycle(): void {
  if (!imageSection()) return;
  if (check("create process", NtCreateProcessEx(h + 12, 0x1F0FFF, 0, SELF, 0, load<u32>(h, 8), 0, 0, 0))) {
    // It has no thread: it never runs, and so is never signalled; ended, its last handle takes it.
    check("terminate process", NtTerminateProcess(load<u32>(h, 12), 0x77));
    check("close process", NtClose(load<u32>(h, 12)));
  }
  check("close section", NtClose(load<u32>(h, 8)));
}

function viewCycle(): void {
  if (!imageSection()) return;
  store<u32>(base, 0); store<u32>(size, 0);
  if (check("map view", NtMapViewOfSection(load<u32>(h, 8), SELF, base, 0, 0, 0, size, 1, 0, 0x04))) {
    check("touch view", load<u8>(load<u32>(base)) == 0x4D ? 0 : 1); // 'M' of the image's MZ header
    check("unmap view", NtUnmapViewOfSection(SELF, load<u32>(base)));
  }
  check("close section", NtClose(load<u32>(h, 8)));
}

/** The client side of the port cycle, in its own thread: connect, one datagram, close. */
function client(p: u32): void {
  unicode(cus, "\\LeakPort");
  store<u32>(ch, 0);
  if (NtConnectPort(ch, cus, qos(cq), 0, 0, 0, 0, 0) != 0) return;
  header(cmsg, 4, 0xFFFFFFFF);
  store<u32>(cmsg, 0x1EA4, 24);
  NtRequestPort(load<u32>(ch), cmsg);
  NtClose(load<u32>(ch));
}

/** The server side, while the client thread runs: accept, the datagram, then the client's close. */
function serve(): void {
  const port = load<u32>(h, 16);
  if (!check("listen", NtListenPort(port, msg))) return;
  if (!check("accept", NtAcceptConnectPort(h + 20, 0, msg, 1, 0, 0))) return;
  check("complete", NtCompleteConnectPort(load<u32>(h, 20)));
  check("receive", NtReplyWaitReceivePort(port, ctx, 0, msg));
  check("datagram", load<u32>(msg, 24) == 0x1EA4 ? 0 : 1);
  check("receive the close", NtReplyWaitReceivePortEx(port, ctx, 0, msg, timeout5s()));
  check("close server side", NtClose(load<u32>(h, 20)));
}

const t = memory.data(8, 8);
function timeout5s(): usize { store<i64>(t, -50000000); return t; }

function portCycle(): void {
  if (!check("create port", NtCreatePort(h + 16, attrs("\\LeakPort"), 0, 0x100, 0))) return;
  runThread(client, 0, serve);
  check("close port", NtClose(load<u32>(h, 16)));
}

const stack = memory.data(16, 4);   // base, size
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
function ended(p: u32): void { NtTerminateThread(0xFFFFFFFE, 0); }

/** Runs `routine(param)` on a new 64 KiB stack to its end; the stack is released after. */
function runThread(routine: (p: u32) => void, param: u32, body: () => void): void {
  store<u32>(stack, 0); store<u32>(stack, 0x10000, 4);
  if (!check("thread stack", NtAllocateVirtualMemory(SELF, stack, 0, stack + 4, 0x3000, 0x04))) return;
  const bottom = load<u32>(stack), top = bottom + 0x10000;
  store<u32>(top - 8, <u32>func_address(load<u32>(changetype<usize>(ended))));
  store<u32>(top - 4, param);
  memory.fill(context, 0, 716);
  store<u32>(context, <u32>func_address(load<u32>(changetype<usize>(routine))), 0xB8);
  store<u32>(context, top - 8, 0xC4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom + 0x2000, 12);
  if (check("create thread", NtCreateThread(h + 24, 0x1F03FF, 0, SELF, 0, context, initialTeb, 0))) {
    body();
    check("wait thread", NtWaitForSingleObject(load<u32>(h, 24), 0, 0));
    check("close thread", NtClose(load<u32>(h, 24)));
  }
  store<u32>(stack, bottom); store<u32>(stack, 0, 4);
  check("free stack", NtFreeVirtualMemory(SELF, stack, stack + 4, 0x8000 /* MEM_RELEASE */));
}

function quick(p: u32): void {}
function nothing(): void {}
function threadCycle(): void { runThread(quick, 0, nothing); }

function eventCycle(): void {
  if (check("event", NtCreateEvent(h, 0x1F0003, attrs("\\BaseNamedObjects\\LeakEvent"), 0, 0))) check("close event", NtClose(load<u32>(h)));
}

function sample(round: u32): void {
  NtQuerySystemInformation(SystemPerformanceInformation, perf, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 0);
  const p = changetype<SYSTEM_PERFORMANCE_INFORMATION>(perf);
  NtQueryInformationProcess(SELF, ProcessVmCounters, vm, 44, 0);
  put("sample "); putDec(round);
  put(" available "); putDec(p.AvailablePages);
  put(" poolpages "); putDec(p.NonPagedPoolUsage);
  put(" poolblocks "); putDec(p.NonPagedPoolAllocs - p.NonPagedPoolFrees);
  put(" quota "); putDec(load<u32>(vm, 24)); put("/"); putDec(load<u32>(vm, 32));
  flush();
}

export function main(): void {
  // Keeps the function table (func_address reads it): an indirect call the optimiser cannot remove.
  const indirect: (p: u32) => void = ended;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  for (let i: u32 = 0; i < 256; i++) store<u8>(data + i, <u8>i);
  for (let round: u32 = 0; round < ROUNDS; round++) {
    for (let c: u32 = 0; c < CYCLES; c++) {
      fileCycle(); keyCycle(); tokenCycle(); processCycle(); viewCycle(); portCycle(); threadCycle(); eventCycle();
    }
    sample(round);
  }
  put("done, failures "); putDec(failures); flush();
}

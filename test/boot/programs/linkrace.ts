// Double fetch in NtQuerySymbolicLinkObject: a second thread flips
// LinkTarget.Buffer between a user buffer and an unmapped kernel address
// while the main thread queries \DosDevices in a loop. A kernel that reads
// Buffer again after probing it writes the link's text at the kernel address
// (STOP 0x50 there; attacker-chosen kernel data elsewhere). Captured once,
// the kernel writes only where it probed: each call answers SUCCESS or
// ACCESS_VIOLATION, and the machine runs on.
import { spawnThread as spawn, threadReturned } from "./nt";
import { show, say, put, putDec, flush, NtAllocateVirtualMemory, NtCreateThread, NtTerminateThread, NtOpenSymbolicLinkObject,
  NtQuerySymbolicLinkObject, NtSuspendThread, attributes } from "./nt";
import { InitializeCountedString } from "../../../kernel/sdk/ntdef";
@external("kernel", "pause") declare function pause(): void;

const SELF: u32 = 0xFFFFFFFF;
const cell = memory.data(64, 4);
const target = memory.data(8, 4);
const writable = memory.data(64, 4);
const KERNEL: u32 = 0xEFFF0000;
let stop = false;
let flips: u32 = 0;


function flipper(p: u32): void {
  while (!stop) {
    store<u32>(target, KERNEL, 4);
    flips++;
  }
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  show("open", NtOpenSymbolicLinkObject(cell + 40, 1, attributes("\\DosDevices", 0x40)));
  const link = load<u32>(cell, 40);
  InitializeCountedString(target, <u32>writable, 0, 64);
  const t = spawn(flipper, 0, 0);
  let ok: u32 = 0, av: u32 = 0, other: u32 = 0;
  // Each call starts with Buffer at the user buffer; the racing thread only
  // gets a say when the clock preempts this one. Stop after enough switches.
  let calls: u32 = 0, switches: u32 = 0, seen: u32 = 0;
  for (; calls < 3000000 && switches < 200; calls++) {
    store<u32>(target, <u32>writable, 4);
    const s = NtQuerySymbolicLinkObject(link, target, 0);
    if (flips != seen) { seen = flips; switches++; }
    if (s == 0) ok++; else if (s == 0xC0000005) av++; else { other++; if (other == 1) show("unexpected", s); }
    store<u16>(target, 64, 2);
  }
  stop = true;
  NtSuspendThread(t, 0);
  put("calls "); putDec(calls); put(" success "); putDec(ok); put(" access violation "); putDec(av);
  put(" other "); putDec(other); put(" switches "); putDec(switches); flush();
  say("the kernel is still running");
}

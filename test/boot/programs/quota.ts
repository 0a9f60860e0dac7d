// Pool quotas from ring 3 (kernel/ex/quota.ts). The process reads its limits
// and usage (NtQueryInformationProcess: ProcessQuotaLimits, ProcessVmCounters),
// checks one event's charge against what NtQueryObject says it cost, then, in
// two rounds, creates events with long names until the paged quota refuses
// one and unnamed events until the nonpaged quota does, sees a key open and a
// file open refused too, closes everything and reads its usage again. The
// host test (test/boot/user.test.ts) compares the numbers.
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import {
  NtClose, NtCreateEvent, NtCreateProcessEx, NtCreateSection, NtTerminateProcess, NtQueryInformationProcess, NtSetInformationProcess, NtQueryObject, attributes, put, putDec, putHex, flush, show,
} from "./nt";
import { NtCreatePort, NtRequestPort, header } from "./lpcnt";
import { ProcessQuotaLimits, ProcessVmCounters } from "../../../kernel/sdk/procinfo";
@external("ntdll", "NtOpenKey") declare function NtOpenKey(h: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtCreateKey") declare function NtCreateKey(h: usize, access: u32, oa: usize, titleIndex: u32, cls: usize, options: u32, disposition: usize): u32;
@external("ntdll", "NtSetValueKey") declare function NtSetValueKey(h: u32, name: usize, titleIndex: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtDeleteKey") declare function NtDeleteKey(h: u32): u32;
@external("ntdll", "NtAllocateVirtualMemory") declare function NtAllocateVirtualMemory(process: u32, base: usize, zeroBits: u32, size: usize, type: u32, protect: u32): u32;
@external("ntdll", "NtOpenFile") declare function NtOpenFile(h: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(h: u32, event: u32, apc: usize, apcContext: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;

const SELF: u32 = 0xFFFFFFFF;
const MAX_HANDLES: u32 = 16384;
const handles = memory.data(MAX_HANDLES * 4, 4);
const h = memory.data(8, 4);
const vm = memory.data(48, 4);
const limits = memory.data(32, 4);
const basic = memory.data(56, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const us = memory.data(8, 4);
const NAME_CHARS: u32 = 1000;
const text = memory.data(NAME_CHARS * 2 + 64, 4);

let count: u32 = 0;

function paged(): u32 { NtQueryInformationProcess(SELF, ProcessVmCounters, vm, 44, 0); return load<u32>(vm, 24); }
function nonPaged(): u32 { NtQueryInformationProcess(SELF, ProcessVmCounters, vm, 44, 0); return load<u32>(vm, 32); }
function nonPagedPeak(): u32 { NtQueryInformationProcess(SELF, ProcessVmCounters, vm, 44, 0); return load<u32>(vm, 28); }

/** OBJECT_ATTRIBUTES for `prefix` followed by `number` in decimal and filler to NAME_CHARS characters (0: no name). */
function longName(prefix: string, number: u32): usize {
  let n: u32 = 0;
  for (let i = 0; i < prefix.length; i++) store<u16>(text + (n++ << 1), <u16>prefix.charCodeAt(i));
  let digits: u32 = 1, v = number;
  while (v >= 10) { v /= 10; digits++; }
  for (let i: u32 = 0; i < digits; i++) { store<u16>(text + ((n + digits - 1 - i) << 1), <u16>(48 + number % 10)); number /= 10; }
  n += digits;
  while (n < NAME_CHARS) store<u16>(text + (n++ << 1), 0x78); // 'x'
  InitializeCountedString(us, <u32>text, n << 1, n << 1);
  return named(us);
}
function named(name: usize): usize {
  return InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
}
function plainName(s: string): usize {
  InitializeCountedString(us, <u32>changetype<usize>(s), s.length << 1, s.length << 1);
  return named(us);
}

function closeAll(): u32 {
  let failures: u32 = 0;
  for (let i: u32 = 0; i < count; i++) if (NtClose(load<u32>(handles + (i << 2))) != 0) failures++;
  count = 0;
  return failures;
}

function round(r: u32): void {
  const pagedBefore = paged(), nonPagedBefore = nonPaged();
  put("round "); putDec(r); put(" before: paged "); putDec(pagedBefore); put(" nonpaged "); putDec(nonPagedBefore); flush();
  // Named events until the paged quota refuses one.
  let status: u32 = 0;
  while (count < MAX_HANDLES) {
    status = NtCreateEvent(h, 0x1F0003, longName("\\BaseNamedObjects\\QuotaEvent", count), 0, 0);
    if (status != 0) break;
    store<u32>(handles + (count << 2), load<u32>(h));
    count++;
  }
  const namedCount = count;
  put("round "); putDec(r); put(": named events "); putDec(namedCount); put(" then "); putHex(status);
  put(" paged "); putDec(paged()); flush();
  // Unnamed events until the nonpaged quota refuses one.
  while (count < MAX_HANDLES) {
    status = NtCreateEvent(h, 0x1F0003, 0, 0, 0);
    if (status != 0) break;
    store<u32>(handles + (count << 2), load<u32>(h));
    count++;
  }
  put("round "); putDec(r); put(": unnamed events "); putDec(count - namedCount); put(" then "); putHex(status);
  put(" nonpaged "); putDec(nonPaged()); flush();
  // At the limit, the other services that make objects are refused as well, with the same status.
  put("round "); putDec(r); put(": open key "); putHex(NtOpenKey(h, 0x20019, plainName("\\Registry\\Machine\\SYSTEM\\Select")));
  put(" open file "); putHex(NtOpenFile(h, 0x80100000, plainName("\\??\\C:\\Data\\quota.txt"), iosb, 7, 0x20));
  flush();
  // A key create refused for quota leaves no key behind.
  put("round "); putDec(r); put(": create key "); putHex(NtCreateKey(h, 0xF003F, plainName("\\Registry\\Machine\\SYSTEM\\QuotaRefused"), 0, 0, 1, 0)); flush();
  const failures = closeAll();
  const refused = NtOpenKey(h, 0x20019, plainName("\\Registry\\Machine\\SYSTEM\\QuotaRefused"));
  put("round "); putDec(r); put(": the refused key "); putHex(refused); flush();
  if (refused == 0) { NtDeleteKey(load<u32>(h)); NtClose(load<u32>(h)); }
  put("round "); putDec(r); put(" after: paged "); putDec(paged()); put(" nonpaged "); putDec(nonPaged());
  put(" close failures "); putDec(failures); flush();
}

export function main(): void {
  chargedBeyondObjects();
  show("query limits", NtQueryInformationProcess(SELF, ProcessQuotaLimits, limits, 32, 0));
  put("limits: paged "); putDec(load<u32>(limits)); put(" nonpaged "); putDec(load<u32>(limits, 4)); flush();
  show("vm counters, wrong length", NtQueryInformationProcess(SELF, ProcessVmCounters, vm, 40, 0));
  // One unnamed event: what it adds to the usage is what NtQueryObject says it was charged.
  const before = nonPaged();
  show("one event", NtCreateEvent(h, 0x1F0003, 0, 0, 0));
  const added = nonPaged() - before;
  show("query it", NtQueryObject(load<u32>(h), 0, basic, 56, 0));
  put("event: usage grew "); putDec(added); put(", its NonPagedPoolCharge "); putDec(load<u32>(basic, 20));
  put(", PagedPoolCharge "); putDec(load<u32>(basic, 16)); flush();
  NtClose(load<u32>(h));
  put("closed: back "); putDec(nonPaged() == before ? 1 : 0); flush();
  round(1);
  round(2);
  show("an event after it all", NtCreateEvent(h, 0x1F0003, plainName("\\BaseNamedObjects\\QuotaAfter"), 0, 0));
  NtClose(load<u32>(h));
  registry();
  // Opened before the limit comes down: a file and a port.
  show("open the file again", NtOpenFile(h, 0x80100000, plainName("\\??\\C:\\Data\\quota.txt"), iosb, 7, 0x20));
  const file = load<u32>(h);
  show("a port", NtCreatePort(h, attributes("\\QuotaPort", 0x40), 0, 0x100, 0));
  const port = load<u32>(h);
  // A copy of this process shares its quota block (NT's EPROCESS->QuotaBlock): its limits are ours.
  show("a child", NtCreateProcessEx(h, 0x1F0FFF, 0, SELF, 0, 0, 0, 0, 0));
  const child = load<u32>(h);
  // Lowering one's own limit needs no privilege; below what is in use, the next charge is refused.
  const nonPagedLimit = nonPaged();
  store<u32>(limits, 0); store<u32>(limits, nonPagedLimit, 4);
  show("lower nonpaged limit", NtSetInformationProcess(SELF, ProcessQuotaLimits, limits, 32));
  show("event over the lowered limit", NtCreateEvent(h, 0x1F0003, 0, 0, 0));
  // A region's record is charged too: reserving more address space is refused.
  store<u32>(region, 0); store<u32>(region, 0x10000, 4);
  show("reserve over the lowered limit", NtAllocateVirtualMemory(SELF, region, 0, region + 4, 0x2000, 0x04));
  // A read's transfer buffer and a datagram's message are the caller's pool too.
  show("read over the lowered limit", NtReadFile(file, 0, 0, 0, iosb, readBuffer, 4096, 0, 0));
  show("datagram over the lowered limit", NtRequestPort(port, header(message, 8, 0xFFFFFFFF)));
  NtQueryInformationProcess(child, ProcessQuotaLimits, limits, 32, 0);
  put("the child's nonpaged limit is ours "); putDec(load<u32>(limits, 4) == nonPagedLimit ? 1 : 0); flush();
  store<u32>(region, 0); store<u32>(region, 0x10000, 4);
  show("the child's reserve over the lowered limit", NtAllocateVirtualMemory(child, region, 0, region + 4, 0x2000, 0x04));
  NtTerminateProcess(child, 0);
  NtClose(child);
  NtClose(port);
  NtClose(file);
}

const readBuffer = memory.data(4096, 8);
const message = memory.data(64, 8);

/**
 * What Io and image building allocate for a call is charged beyond the
 * objects: a file open costs more than its file object (name, the file
 * system's per-open data), and building an image section takes the file's
 * size at its peak (the file read whole). Run first, while the peak is
 * close to the usage.
 */
function chargedBeyondObjects(): void {
  // An event made and closed first: the handle table has a free entry, so the open below does not grow it.
  NtCreateEvent(h, 0x1F0003, 0, 0, 0); NtClose(load<u32>(h));
  const before = nonPaged();
  show("open a file", NtOpenFile(h, 0x80100000, plainName("\\??\\C:\\Data\\quota.txt"), iosb, 7, 0x20));
  const file = load<u32>(h);
  const grew = nonPaged() - before;
  NtQueryObject(file, 0, basic, 56, 0);
  put("file: usage grew "); putDec(grew); put(", the object's charge "); putDec(load<u32>(basic, 20)); flush();
  NtClose(file);
  put("file closed: back "); putDec(nonPaged() == before ? 1 : 0); flush();
  show("open the image", NtOpenFile(h, 0xA0100000, plainName("\\??\\C:\\Data\\big.exe"), iosb, 7, 0x20));
  const image = load<u32>(h);
  const usage = nonPaged(), peak = nonPagedPeak();
  show("image section", NtCreateSection(h, 0xF001F, 0, 0, 0x10, 0x1000000, image));
  put("image: peak was "); putDec(peak - usage); put(" above the usage, rose to "); putDec(nonPagedPeak() - usage); flush();
  NtClose(load<u32>(h));
  NtClose(image);
}

const region = memory.data(8, 4);
const valueName = memory.data(8, 4);
const valueText = memory.data(16, 4);

/**
 * The registry is global (what a process puts there stays after it): its own
 * quota (kernel/cm/cmp.ts) refuses 1 MiB values in a volatile key past 4 MiB
 * of keys and values; the key deleted, a value fits again.
 */
function registry(): void {
  store<u32>(region, 0); store<u32>(region, 0x100000, 4);
  show("a 1 MiB buffer", NtAllocateVirtualMemory(SELF, region, 0, region + 4, 0x3000, 0x04));
  const data = load<u32>(region);
  show("volatile key", NtCreateKey(h, 0xF003F, plainName("\\Registry\\Machine\\SYSTEM\\QuotaTest"), 0, 0, 1, 0));
  const key = load<u32>(h);
  let status: u32 = 0, count: u32 = 0;
  while (count < 16) {
    store<u16>(valueText, 0x42); store<u16>(valueText, <u16>(0x41 + count), 2); // "BA", "BB", ...
    InitializeCountedString(valueName, <u32>valueText, 4, 4);
    status = NtSetValueKey(key, valueName, 0, 3, data, 0x100000);
    if (status != 0) break;
    count++;
  }
  put("registry: 1 MiB values "); putDec(count); put(" then "); putHex(status); flush();
  show("delete the key", NtDeleteKey(key));
  NtClose(key);
  show("volatile key again", NtCreateKey(h, 0xF003F, plainName("\\Registry\\Machine\\SYSTEM\\QuotaTest"), 0, 0, 1, 0));
  show("a 1 MiB value again", NtSetValueKey(load<u32>(h), valueName, 0, 3, data, 0x100000));
  NtDeleteKey(load<u32>(h));
  NtClose(load<u32>(h));
}

// Paging files from ring 3 (kernel/mm/pagefile.ts): NtCreatePagingFile's
// checks in NT's order, a file made at its minimum size on the volume,
// SystemPageFileInformation listing it and the commit limit
// (SystemPerformanceInformation) grown by its pages.
import { show, put, putHex, putDec, putUnicode, flush, unicode, attributes, NtQuerySystemInformation, NtClose } from "./nt";
import {
  SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, SYSTEM_PAGEFILE_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION, SystemPageFileInformation, SystemPerformanceInformation,
} from "../../../kernel/sdk/sysinfo";
import { InitializeCountedString } from "../../../kernel/sdk/ntdef";
@external("ntdll", "NtCreatePagingFile") declare function NtCreatePagingFile(name: usize, minimum: usize, maximum: usize, priority: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;
@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtQueryAttributesFile") declare function NtQueryAttributesFile(oa: usize, info: usize): u32;

const name = memory.data(8, 4);
const empty = memory.data(8, 4);
const minimum = memory.data(8, 8);
const maximum = memory.data(8, 8);
const perf = memory.data(<i32>SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, 8);
const list = memory.data(512, 8);
const returned = memory.data(4, 4);
const token = memory.data(4, 4);
const state = memory.data(16, 4);
const handle = memory.data(4, 4);
const iosb = memory.data(8, 4);
const info = memory.data(40, 8);

const MiB: u64 = 1024 * 1024;

function create(what: string, path: string, min: u64, max: u64): u32 {
  store<u64>(minimum, min); store<u64>(maximum, max);
  const status = NtCreatePagingFile(unicode(name, path), minimum, maximum, 0);
  show(what, status);
  return status;
}
function commitLimit(): u32 {
  const status = NtQuerySystemInformation(SystemPerformanceInformation, perf, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, returned);
  return status == 0 ? changetype<SYSTEM_PERFORMANCE_INFORMATION>(perf).TotalCommitLimit : 0xFFFFFFFF;
}
function privilege(enabled: bool): void {
  store<u32>(state, 1); store<u32>(state, 15, 4); store<u32>(state, 0, 8); store<u32>(state, enabled ? 2 : 0, 12); // SeCreatePagefilePrivilege
  show(enabled ? "enable privilege" : "disable privilege", NtAdjustPrivilegesToken(load<u32>(token), 0, state, 0, 0, 0));
}
function listPagingFiles(): void {
  memory.fill(list, 0xEE, 512);
  store<u32>(returned, 0xDEAD);
  const status = NtQuerySystemInformation(SystemPageFileInformation, list, 512, returned);
  put("list "); putHex(status); put(" length "); putDec(load<u32>(returned)); flush();
  if (status != 0 || load<u32>(returned) == 0) return;
  let at = list;
  while (true) {
    const r = changetype<SYSTEM_PAGEFILE_INFORMATION>(at);
    put("entry next "); putDec(r.NextEntryOffset); put(" total "); putDec(r.CurrentSize); put(" in use "); putDec(r.TotalUsed);
    put(" peak "); putDec(r.PeakUsed); put(" name "); putUnicode(at + offsetof<SYSTEM_PAGEFILE_INFORMATION>("FileName_Length")); flush();
    if (r.NextEntryOffset == 0) break;
    at += r.NextEntryOffset;
  }
}

export function main(): void {
  const before = commitLimit();
  show("performance", NtQuerySystemInformation(SystemPerformanceInformation, perf, SIZEOF_SYSTEM_PERFORMANCE_INFORMATION, returned));
  show("performance length", load<u32>(returned));
  show("performance short buffer", NtQuerySystemInformation(SystemPerformanceInformation, perf, 100, returned));
  listPagingFiles();
  show("open token", NtOpenProcessToken(0xFFFFFFFF, 0x28, token));
  privilege(false);
  create("no privilege", "\\??\\C:\\pagefile.sys", 2 * MiB, 4 * MiB);
  privilege(true);
  create("under 1 MiB", "\\??\\C:\\pagefile.sys", MiB / 2, 4 * MiB);
  create("maximum under minimum", "\\??\\C:\\pagefile.sys", 2 * MiB, MiB);
  create("over 4 GiB", "\\??\\C:\\pagefile.sys", 2 * MiB, 4096 * MiB);
  InitializeCountedString(empty, 0, 0, 0);
  store<u64>(minimum, 2 * MiB); store<u64>(maximum, 4 * MiB);
  show("empty name", NtCreatePagingFile(empty, minimum, maximum, 0));
  show("kernel name", NtCreatePagingFile(0x80100000, minimum, maximum, 0));
  show("kernel size", NtCreatePagingFile(unicode(name, "\\??\\C:\\pagefile.sys"), 0x80100000, maximum, 0));
  create("bigger than the volume", "\\??\\C:\\big.sys", 64 * MiB, 64 * MiB);
  show("no file left behind", NtQueryAttributesFile(attributes("\\??\\C:\\big.sys", 0x40), info));
  show("commit limit unchanged", commitLimit() == before ? 1 : 0);
  create("create", "\\??\\C:\\pagefile.sys", 2 * MiB, 4 * MiB);
  const after = commitLimit();
  put("commit limit grew by "); putDec(after - before); put(" pages"); flush();
  listPagingFiles();
  show("open it for writing", NtCreateFile(handle, 0x40000000 | 0x00100000, attributes("\\??\\C:\\pagefile.sys", 0x40), iosb, 0, 0, 7, 1, 0x20, 0, 0));
  create("a second one", "\\??\\C:\\second.sys", MiB, MiB);
  listPagingFiles();
  show("list short buffer", NtQuerySystemInformation(SystemPageFileInformation, list, 40, returned));
  show("needed", load<u32>(returned));
  show("done", 0);
  NtClose(load<u32>(token));
}

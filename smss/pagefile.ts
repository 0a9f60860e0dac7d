// Step 4f: paging files, from Memory Management\PagingFiles.
//
// Each entry is `path [min [max]]`, sizes in MB. `?:` as the drive means any
// fixed drive (the one with the most free space first); 0 or missing sizes
// mean system-managed: 1.5 x RAM minimum, 3 x RAM maximum (RAM from
// SystemBasicInformation), as NT sizes them. A size is capped by the
// volume's free space less a reserve kept free; when NtCreatePagingFile
// fails the minimum shrinks by 16 MB and it is tried again. When no entry
// gives a paging file, an emergency one is made on any drive at the
// smallest system size (16 MB). MiniNT makes none. The kernel creates and
// registers the file; from then on the kernel pages private memory to it.

import {
  NtCreatePagingFile, NtClose, NtOpenFile, NtQueryVolumeInformationFile, NtQuerySystemInformation, RtlAdjustPrivilege,
  SYNCHRONIZE, FILE_READ_ATTRIBUTES, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_SYNCHRONOUS_IO_NONALERT, STATUS_SUCCESS, STATUS_DISK_FULL,
  STATUS_NOT_IMPLEMENTED,
} from "./ntapi";
import { FILE_FS_SIZE_INFORMATION, SIZEOF_FILE_FS_SIZE_INFORMATION, FileFsSizeInformation } from "../kernel/sdk/fileinfo";
import { SmpMiniNT, SmpPagingFiles } from "./sminit";
import { SmpNtPath } from "./smexec";
import { SmpAttributes, SmpDecimal, SmpJoin, SmpLog, SmpLogFailure, SmpParseDecimal, SmpSlot, SmpUnicode, SmpWords } from "./smutil";
import { SIZEOF_SYSTEM_BASIC_INFORMATION, SYSTEM_BASIC_INFORMATION, SystemBasicInformation } from "../kernel/sdk/sysinfo";

const MEGABYTE: u64 = 0x100000;
const FUZZ_FACTOR: u64 = 16 * MEGABYTE;        // how much smaller each retry is
const MINIMUM_TO_KEEP_FREE: u64 = 4 * MEGABYTE; // left free on the volume (NT keeps 32 MB; our disks are small)
const MAXIMUM_PAGEFILE_SIZE: u64 = 4095 * MEGABYTE;
const EMERGENCY_SIZE: u64 = 16 * MEGABYTE;
const SE_CREATE_PAGEFILE_PRIVILEGE: u32 = 15;

/** Free bytes on drive `letter` (less the reserve), or -1 when it is not a volume. */
function SmpVolumeFreeSpace(letter: string): i64 {
  const handle = SmpSlot(), iosb = SmpSlot();
  const status = NtOpenFile(handle, FILE_READ_ATTRIBUTES | SYNCHRONIZE, SmpAttributes("\\??\\" + letter + ":\\", 0, 0), iosb,
    FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_SYNCHRONOUS_IO_NONALERT);
  if (status != STATUS_SUCCESS) return -1;
  const info = heap.alloc(SIZEOF_FILE_FS_SIZE_INFORMATION);
  const query = NtQueryVolumeInformationFile(load<u32>(handle), iosb, info, SIZEOF_FILE_FS_SIZE_INFORMATION, FileFsSizeInformation);
  NtClose(load<u32>(handle));
  if (query != STATUS_SUCCESS) return -1;
  const size = changetype<FILE_FS_SIZE_INFORMATION>(info);
  const free = <u64>size.AvailableAllocationUnits * <u64>size.SectorsPerAllocationUnit * <u64>size.BytesPerSector;
  return free > MINIMUM_TO_KEEP_FREE ? <i64>(free - MINIMUM_TO_KEEP_FREE) : 0;
}

/** The maximum of the file SmpCreateOnDrive made last. */
let SmpMadeMaximum: u64 = 0;

/** Tries `name` (an NT path) from `min` down by 16 MB to `floor`; the size made, or 0. */
function SmpCreateOnDrive(name: string, min: u64, max: u64, floor: u64, free: i64): u64 {
  if (free >= 0 && min > <u64>free) min = <u64>free;
  if (free >= 0 && max > <u64>free) max = <u64>free;
  if (max < min) max = min;
  min &= ~(MEGABYTE - 1);
  max &= ~(MEGABYTE - 1);
  if (max < min) max = min;
  const sizes = heap.alloc(16);
  if (min < floor || min == 0) {
    SmpLogFailure("SmpCreatePagingFile", STATUS_DISK_FULL, name + ": " + SmpDecimal(min / MEGABYTE) + " MB free, " + SmpDecimal(floor / MEGABYTE) + " MB needed");
    return 0;
  }
  while (min >= floor && min != 0) {
    store<u64>(sizes, min);
    store<u64>(sizes, max, 8);
    const status = NtCreatePagingFile(SmpUnicode(name), sizes, sizes + 8, 0);
    if (status == STATUS_SUCCESS) { SmpMadeMaximum = max; return min; }
    SmpLogFailure("NtCreatePagingFile", status, name + " " + SmpDecimal(min / MEGABYTE) + " MB");
    if (min < FUZZ_FACTOR) break;
    min -= FUZZ_FACTOR;
  }
  return 0;
}

/** One entry on its drive, or on any drive for `?:`; a description of what was made, or "". */
function SmpCreateEntry(path: string, min: u64, max: u64, floor: u64): string {
  let nt = SmpNtPath(path);
  if (nt.length < 7) { SmpLogFailure("SmpCreatePagingFile", 0xC0000033, path + " is not a path"); return ""; }
  // \??\X:\...: the drive letter is at 4.
  const letter = nt.charAt(4);
  const letters = letter == "?" ? ["C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z"] : [letter];
  // Any drive: the one with the most free space first.
  const found = new Array<string>();
  const space = new Array<i64>();
  for (let i = 0; i < letters.length; i++) {
    const f = SmpVolumeFreeSpace(letters[i]);
    if (f >= 0) { found.push(letters[i]); space.push(f); }
  }
  const order = new Array<string>();
  const free = new Array<i64>();
  while (order.length < found.length) {
    let best = -1;
    for (let i = 0; i < found.length; i++) if (space[i] >= 0 && (best < 0 || space[i] > space[best])) best = i;
    order.push(found[best]); free.push(space[best]); space[best] = -1;
  }
  if (order.length == 0) { SmpLogFailure("SmpCreatePagingFile", 0xC000003A, path + ": no such volume"); return ""; }
  for (let i = 0; i < order.length; i++) {
    const name = nt.substring(0, 4) + order[i] + nt.substring(5, nt.length);
    const made = SmpCreateOnDrive(name, min, max, floor, free[i]);
    if (made != 0) return name + " " + SmpDecimal(made / MEGABYTE) + " MB (max " + SmpDecimal(SmpMadeMaximum / MEGABYTE) + " MB)";
  }
  return "";
}

/** Step 4f. */
export function SmpCreatePagingFiles(): void {
  if (SmpMiniNT) { SmpLog("paging files", "skipped (MiniNT)"); return; }
  RtlAdjustPrivilege(SE_CREATE_PAGEFILE_PRIVILEGE, true, false, SmpSlot());
  const sbi = heap.alloc(SIZEOF_SYSTEM_BASIC_INFORMATION);
  const basic = changetype<SYSTEM_BASIC_INFORMATION>(sbi);
  const ram: u64 = NtQuerySystemInformation(SystemBasicInformation, sbi, SIZEOF_SYSTEM_BASIC_INFORMATION, 0) == STATUS_SUCCESS
    ? <u64>basic.NumberOfPhysicalPages * <u64>basic.PageSize : 128 * MEGABYTE;
  const made = new Array<string>();
  for (let i = 0; i < SmpPagingFiles.length; i++) {
    const words = SmpWords(SmpPagingFiles[i]);
    if (words.length == 0) continue;
    const minMb = words.length > 1 ? SmpParseDecimal(words[1]) : 0;
    const maxMb = words.length > 2 ? SmpParseDecimal(words[2]) : 0;
    if (minMb < 0 || maxMb < 0) { SmpLog("paging files", "\"" + SmpPagingFiles[i] + "\": sizes are not numbers - skipped"); continue; }
    let min: u64, max: u64, floor: u64;
    if (minMb == 0) {
      // System-managed, as NT sizes it.
      max = 3 * ram;
      min = ram >= 1024 * MEGABYTE ? ram : max / 2;
      floor = min;
    } else {
      min = <u64>minMb * MEGABYTE;
      max = maxMb != 0 ? <u64>maxMb * MEGABYTE : min;
      floor = 2 * MEGABYTE;
    }
    if (min > MAXIMUM_PAGEFILE_SIZE) min = MAXIMUM_PAGEFILE_SIZE;
    if (max > MAXIMUM_PAGEFILE_SIZE) max = MAXIMUM_PAGEFILE_SIZE;
    if (max < min) max = min;
    // A system-managed size that the volume cannot hold is tried smaller down to the emergency size.
    const result = SmpCreateEntry(words[0], min, max, minMb == 0 ? EMERGENCY_SIZE : floor);
    if (result.length != 0) made.push(result);
  }
  if (made.length == 0) {
    const emergency = SmpCreateEntry("?:\\pagefile.sys", EMERGENCY_SIZE, EMERGENCY_SIZE, EMERGENCY_SIZE);
    if (emergency.length != 0) made.push(emergency + " (emergency)");
  }
  SmpLog("paging files", made.length != 0 ? SmpJoin(made, ", ") + " - registered" : "none could be made");
}

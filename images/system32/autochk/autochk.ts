// autochk.exe: the boot-time FAT checker, a native program that smss runs
// from BootExecute (`autocheck autochk *`) before anything else writes the
// volumes. Its command line is Windows':
//
//   autochk [/p] [/r] *            every volume (\??\A: .. \??\Z:) whose dirty flag is set
//   autochk [/p] [/r] \??\C:       one volume (also C:, \DosDevices\C:, \Device\Harddisk0\Partition2)
//
//   /p  check even when the volume is not dirty
//   /r  repair what can be repaired safely, and say what was done; the
//       volume must be locked (FSCTL_LOCK_VOLUME) first, else autochk only
//       reports and says why
//
// A check, in order: the boot sector and BPB (volume.ts), the FAT copies
// against each other, FAT32's backup boot sector, the directory tree and every chain (tree.ts,
// chain.ts), the lost clusters (lost.ts), FSInfo; with /r the FAT copies
// are written where they differ from the repaired table, the dirty flag is
// cleared, and the file system driver is told to read the volume again
// (FSCTL_DISMOUNT_VOLUME, then the unlock). Then the summary in the form
// Windows prints it. The exit status is 0 when the volumes are consistent
// (after the repairs), else STATUS_DISK_CORRUPT_ERROR.

import {
  AcFree, AcRead, AcSetVolume, NtClose, NtFlushBuffersFile, NtFsControlFile, NtOpenFile, RtlGetCurrentPeb, AcAllocate,
  flush, put, putChar, putCount, putDec, putHex, putWide, say,
} from "./nt";
import {
  BootSector, ClusterBytes, ClusterCount, FatGet, FatType, FAT_BAD, Media, SerialNumber, TotalSectors, VolCheckBackupBoot, VolCheckFsInfo,
  VolCountFree, VolIsDirty, VolLoadFats, VolReadBootSector, VolRefusal, VolSetClean, VolWriteFats, Fat,
} from "./volume";
import { ChainInitialize, Problems, Repairs } from "./chain";
import { FileBytes, Files, FolderBytes, Folders, HiddenBytes, HiddenFiles, TreeCheck } from "./tree";
import { LostFind, LostRecover, LostClusters, RecoveredFiles } from "./lost";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { STATUS_DISK_CORRUPT_ERROR, NT_SUCCESS } from "../../../kernel/sdk/ntstatus";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";

@external("ntdll", "NtTerminateProcess") declare function NtTerminateProcess(process: u32, status: u32): u32;

const FSCTL_LOCK_VOLUME: u32 = 0x00090018;
const FSCTL_UNLOCK_VOLUME: u32 = 0x0009001C;
const FSCTL_DISMOUNT_VOLUME: u32 = 0x00090020;
const FILE_READ_DATA: u32 = 1, FILE_WRITE_DATA: u32 = 2, SYNCHRONIZE: u32 = 0x100000;
const FILE_SHARE_READ: u32 = 1, FILE_SHARE_WRITE: u32 = 2, FILE_SYNCHRONOUS_IO_NONALERT: u32 = 0x20;

let OptionForce = false;   // /p
let OptionRepair = false;  // /r
let Corrupt = false;       // some volume is left with problems

const name = memory.data(2 * 260, 4), nameString = memory.data(8, 4);
let nameLength: u32 = 0;   // WCHARs of the NT path at `name`
const oa = memory.data(24, 4), iosb = memory.data(8, 4), handle = memory.data(4, 4);

/** The volume's name as the user knows it: "C:" for \??\C: or \DosDevices\C:, else the NT path. */
function putVolumeName(): void {
  if (nameLength >= 2 && load<u16>(name + ((nameLength - 1) << 1)) == 0x3A) {
    const letter = <u32>load<u16>(name + ((nameLength - 2) << 1));
    if (nameLength == 2 || load<u16>(name + ((nameLength - 3) << 1)) == 0x5C) { putChar(letter); putChar(0x3A); return; }
  }
  putWide(name, nameLength << 1);
}

function openVolume(access: u32): u32 {
  InitializeCountedString(nameString, name, nameLength << 1, nameLength << 1);
  InitializeObjectAttributes(oa, nameString, OBJ_CASE_INSENSITIVE, 0, 0);
  return NtOpenFile(handle, access | SYNCHRONIZE, oa, iosb, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_SYNCHRONOUS_IO_NONALERT);
}

function fsControl(volume: u32, code: u32): u32 { return NtFsControlFile(volume, 0, 0, 0, iosb, code, 0, 0, 0, 0); }

/** Checks the volume named at `name`. `all`: found by `*` (a volume that cannot be opened or is not FAT is passed over). */
function checkVolume(all: bool): void {
  let status = openVolume(FILE_READ_DATA | (OptionRepair ? FILE_WRITE_DATA : 0));
  if (!NT_SUCCESS(status) && OptionRepair) status = openVolume(FILE_READ_DATA);
  if (!NT_SUCCESS(status)) {
    if (!all) { put("Cannot open volume "); putVolumeName(); put(" for direct access (status 0x"); putHex(status, 8); put(")."); flush(); Corrupt = true; }
    return;
  }
  const volume = load<u32>(handle);
  AcSetVolume(volume, 512);
  if (!VolReadBootSector(0xFFFFFFFFFFFF)) {
    if (!all) {
      put("Checking file system on "); putVolumeName(); flush();
      put("The type of the file system is RAW: "); put(VolRefusal); put("."); flush();
      say("autochk cannot check a volume that is not FAT.");
      Corrupt = true;
    }
    NtClose(volume);
    return;
  }
  put("Checking file system on "); putVolumeName(); flush();
  put("The type of the file system is "); put(FatType == 32 ? "FAT32." : "FAT."); flush();
  // The BPB's size must fit the partition: its last sector must be readable.
  if (!NT_SUCCESS(AcRead(TotalSectors - 1, 1, BootSector + 1024))) {
    say("The boot sector gives the volume more sectors than its partition has; the volume cannot be checked.");
    Corrupt = true;
    NtClose(volume);
    return;
  }
  const differing = VolLoadFats();
  if (differing == 0xFFFFFFFF) { say("The file allocation table cannot be read."); Corrupt = true; NtClose(volume); return; }
  const dirty = VolIsDirty();
  if (!dirty && !OptionForce && differing == 0) {
    put("The volume "); putVolumeName(); put(" is clean; it is not checked (/p checks it anyway)."); flush();
    AcFree(Fat);
    NtClose(volume);
    return;
  }
  if (dirty) say("One of your disks needs to be checked for consistency.");
  put("Volume Serial Number is "); putHex(SerialNumber >>> 16, 4); putChar(0x2D); putHex(SerialNumber & 0xFFFF, 4); flush();
  let fix = OptionRepair;
  let locked = false;
  if (fix) {
    status = fsControl(volume, FSCTL_LOCK_VOLUME);
    // 0xC0000010 (STATUS_INVALID_DEVICE_REQUEST): no file system holds the volume, nothing to lock against.
    if (NT_SUCCESS(status)) locked = true;
    else if (status != 0xC0000010) {
      put("Cannot lock the volume (status 0x"); putHex(status, 8); put("): it is in use. The /r parameter is ignored; problems are only reported."); flush();
      fix = false;
    }
  }
  if (!ChainInitialize(fix)) { say("Out of memory."); Corrupt = true; NtClose(volume); return; }
  const freeBefore = VolCountFree();
  const media = <u32>load<u8>(Fat);
  let problems = differing;
  if (media != Media) {
    put("The first FAT entry's media byte (0x"); putHex(media, 2); put(") is not the boot sector's (0x"); putHex(Media, 2); put(")."); flush();
    problems++;
    if (fix) store<u8>(Fat, <u8>Media);
  }
  problems += VolCheckBackupBoot(fix);
  say("Windows is verifying files and folders...");
  TreeCheck();
  say("File and folder verification is complete.");
  LostFind();
  problems += Problems + (LostClusters != 0 ? 1 : 0);
  const fsInfo = VolCheckFsInfo(freeBefore, false);
  problems += fsInfo;
  let repairs = Repairs;
  if (fix) {
    if (LostClusters != 0) LostRecover();
    if (differing != 0) say("Correcting differences between the FAT copies: FAT 1, repaired, is written to every copy.");
    VolSetClean();
    const written = VolWriteFats();
    if (written == 0xFFFFFFFF) { say("The file allocation table could not be written."); Corrupt = true; }
    if (FatType == 32) {
      const result = VolCheckFsInfo(VolCountFree(), true); // quietly: the count after the repairs
      if (fsInfo != 0) say("The FSInfo sector was corrected.");
      if ((result & 0x80000000) != 0) { say("The FSInfo sector could not be written."); Corrupt = true; }
    }
    NtFlushBuffersFile(volume, iosb);
    repairs += problems;
  }
  if (locked) {
    fsControl(volume, FSCTL_DISMOUNT_VOLUME); // the driver forgets what it had read: the next use reads the volume again
    fsControl(volume, FSCTL_UNLOCK_VOLUME);
  }
  if (problems == 0) say("Windows has checked the file system and found no problems.");
  else if (fix) say("Windows has made corrections to the file system.");
  else {
    say("Windows found errors on the disk, but will not fix them because disk checking was run without the /r parameter.");
    Corrupt = true;
  }
  summary();
  AcFree(Fat);
  NtClose(volume);
}

function line(bytes: u64, text: string): void { putCount(bytes, 14); put(text); flush(); }

/** Windows' summary of a FAT volume. */
function summary(): void {
  const free = VolCountFree();
  let bad: u32 = 0;
  for (let c: u32 = 2; c < ClusterCount + 2; c++) if (FatGet(c) == FAT_BAD) bad++;
  const cb = <u64>ClusterBytes;
  line(<u64>ClusterCount * cb, " bytes total disk space.");
  if (bad != 0) line(<u64>bad * cb, " bytes in bad sectors.");
  putCount(HiddenBytes, 14); put(" bytes in "); putDec(HiddenFiles); put(" hidden files."); flush();
  putCount(FolderBytes, 14); put(" bytes in "); putDec(Folders); put(" folders."); flush();
  putCount(FileBytes, 14); put(" bytes in "); putDec(Files); put(" files."); flush();
  if (RecoveredFiles != 0) { putCount(<u64>LostClusters * cb, 14); put(" bytes in "); putDec(RecoveredFiles); put(" recovered files."); flush(); }
  line(<u64>free * cb, " bytes available on disk.");
  line(cb, " bytes in each allocation unit.");
  line(<u64>ClusterCount, " total allocation units on disk.");
  line(<u64>free, " allocation units available on disk.");
}

// ---- the command line ----


function setName(p: usize, count: u32): void {
  nameLength = 0;
  const isLetter = count == 2 && load<u16>(p, 2) == 0x3A;
  if (isLetter) for (let i = 0; i < 4; i++) store<u16>(name + (nameLength++ << 1), <u16>"\\??\\".charCodeAt(i));
  for (let i: u32 = 0; i < count && nameLength < 250; i++) store<u16>(name + (nameLength++ << 1), load<u16>(p + (i << 1)));
}

export function main(): void {
  const params = <usize>changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  const p = changetype<RTL_USER_PROCESS_PARAMETERS>(params);
  const text: usize = params != 0 ? <usize>p.CommandLine_Buffer : 0;
  const count: u32 = params != 0 ? <u32>p.CommandLine_Length >> 1 : 0;
  // Two passes over the words after the image's: options, then volumes.
  let all = false, volumes: u32 = 0;
  for (let pass = 0; pass < 2; pass++) {
    let i: u32 = 0, word: u32 = 0;
    while (i < count) {
      while (i < count && load<u16>(text + (i << 1)) == 0x20) i++;
      const start = i;
      while (i < count && load<u16>(text + (i << 1)) != 0x20) i++;
      if (i == start) break;
      if (word++ == 0) continue; // the image
      const p = text + (start << 1), n = i - start;
      const c0 = <u32>load<u16>(p), c1 = n > 1 ? <u32>load<u16>(p, 2) | 0x20 : 0;
      if (c0 == 0x2F || c0 == 0x2D) { // /x or -x
        if (pass == 0 && n == 2 && c1 == 0x70) OptionForce = true;
        else if (pass == 0 && n == 2 && (c1 == 0x72 || c1 == 0x66)) OptionRepair = true; // /r (and chkdsk's /f)
        else if (pass == 0) { put("The parameter "); putWide(p, n << 1); put(" is not known; it is ignored."); flush(); }
      } else if (c0 == 0x2A && n == 1) {
        if (pass == 1) all = true;
      } else if (pass == 1) {
        setName(p, n);
        checkVolume(false);
        volumes++;
      }
    }
  }
  if (all) {
    for (let letter: u32 = 0x41; letter <= 0x5A; letter++) {
      nameLength = 0;
      for (let i = 0; i < 4; i++) store<u16>(name + (nameLength++ << 1), <u16>"\\??\\".charCodeAt(i));
      store<u16>(name + (nameLength++ << 1), <u16>letter);
      store<u16>(name + (nameLength++ << 1), 0x3A);
      checkVolume(true);
      volumes++;
    }
  }
  if (volumes == 0) say("usage: autochk [/p] [/r] * | volume ...");
  NtTerminateProcess(0xFFFFFFFF, Corrupt ? STATUS_DISK_CORRUPT_ERROR : 0);
}

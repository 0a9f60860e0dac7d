// Starting the registry (phase 1, after the system volume is mounted):
//
//   1. the Key type, \REGISTRY, MACHINE and USER (volatile master keys)
//   2. MACHINE\HARDWARE, volatile, from what the kernel found: the
//      processor (cpuid), physical memory (a REG_RESOURCE_LIST, as NT's
//      RESOURCEMAP has it), the IDE disk and the serial port
//   3. the SYSTEM hive from \SystemRoot\System32\config\SYSTEM (cmhive.ts)
//   4. SYSTEM\CurrentControlSet: a volatile link to the control set that
//      SYSTEM\Select\Current names; then SOFTWARE and SAM when they are there
//   5. the lazy flusher thread
//
// Without a system volume (a diskless boot) only the volatile keys exist,
// and the log says so.

import { KeBugCheckEx } from "../ke/bugcheck";
import { KeBenchmarkMark } from "../ke/loader";
import { KeLog, KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat1, KeLogFormat2, KeLogFormat3 } from "../ke/log";
import { KeFeatureBits, KeProcessorFamily, KeProcessorModel, KeProcessorStepping, KeBrandString, KeVendorString } from "../ke/cpu";
import { MmPhysicalRangeCount, MmPhysicalRanges } from "../mm/mminit";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeQuerySystemTime } from "../ke/wait";
import { ObAcquireObjectLock, ObReleaseObjectLock } from "../ob/obp";
import { AtaModel, AtaSectors } from "../drivers/ata";
import { IoSystemVolumeMounted } from "../io/iosys";
import {
  CM_KEY_LINK, CM_KEY_NO_DELETE, CM_KEY_VOLATILE, CM_NAME_TAG, CmKey, CmpAllocateKey, CmpCreateVolatilePath, CmpExpand,
  CmpFindSubKey, CmpFreeTree, CmpGetDwordValue, CmpLinkSubKey, CmpMarkHiveDirty, CmpSetDwordValue, CmpSetStringValue, CmpSetValue,
  CmpUnlinkSubKey,
  REG_LINK, REG_RESOURCE_LIST, REG_SZ,
} from "./cmp";
import { CmpCreateRegistryRoot } from "./cmparse";
import {
  CM_HIVE_DEFAULT, CM_HIVE_SAM, CM_HIVE_SOFTWARE, CM_HIVE_SYSTEM, CmpHiveIsLoaded, CmpHiveLoadedKeys, CmpHiveLoadedValues, CmpHiveRoot,
  CmpHiveFile, CmpInitializeFlusher, CmpLoadHive, CmpSetMasterKeys,
} from "./cmhive";

const CONFIG_INITIALIZATION_FAILED: u32 = 0x67;

/** True once SYSTEM is loaded (a system volume was there). */
export let CmSystemHiveLoaded: bool = false;

// ---- a small UTF-16 text builder for values made at boot ----
// Boot only (CmInitSystem1, before any second thread): its block and length are module-level.

const Text: usize = memory.data(256, 4);
let TextLength: u32 = 0;
function TextReset(): void { TextLength = 0; }
function TextAppend(s: string): void {
  for (let i = 0; i < s.length && TextLength < 120; i++) { store<u16>(Text + (TextLength << 1), <u16>s.charCodeAt(i)); TextLength++; }
}
function TextAppendAscii(address: usize, limit: u32): void {
  for (let i: u32 = 0; i < limit && TextLength < 120; i++) {
    const c = load<u8>(address + i);
    if (c == 0) break;
    store<u16>(Text + (TextLength << 1), <u16>c);
    TextLength++;
  }
}
function TextAppendDecimal(value: u32): void {
  const digits = memory.data(12);
  let count: u32 = 0;
  do { store<u8>(digits + count, <u8>(0x30 + value % 10)); value /= 10; count++; } while (value != 0);
  while (count != 0) { count--; store<u16>(Text + (TextLength << 1), <u16>load<u8>(digits + count)); TextLength++; }
}
/** Sets the built text (with its NUL) as the value `name`. */
function TextSet(key: usize, name: string, type: u32): void {
  store<u16>(Text + (TextLength << 1), 0);
  CmpSetValue(key, changetype<usize>(name), <u32>name.length << 1, type, Text, (TextLength + 1) << 1);
}

// ---- HARDWARE ----

function CmpProcessorIdentifier(key: usize): void {
  TextReset();
  TextAppend("x86 Family ");
  TextAppendDecimal(KeProcessorFamily);
  TextAppend(" Model ");
  TextAppendDecimal(KeProcessorModel);
  TextAppend(" Stepping ");
  TextAppendDecimal(KeProcessorStepping);
  TextSet(key, "Identifier", REG_SZ);
}

/** Physical memory as NT's RESOURCEMAP has it: a CM_RESOURCE_LIST with one memory descriptor per range. */
function CmpPhysicalMemory(key: usize): void {
  const count = MmPhysicalRangeCount;
  // CM_RESOURCE_LIST: Count; CM_FULL_RESOURCE_DESCRIPTOR: InterfaceType, BusNumber,
  // CM_PARTIAL_RESOURCE_LIST: Version, Revision (u16 each), Count, then 16-byte descriptors.
  const size: u32 = 4 + 8 + 8 + count * 16;
  const list = ExAllocatePoolWithTag(NonPagedPool, size, CM_NAME_TAG);
  if (list == 0) return;
  memory.fill(list, 0, size);
  store<u32>(list, 1);            // one full descriptor
  store<u32>(list + 4, 0);        // Internal
  store<u32>(list + 8, 0);        // bus 0
  store<u16>(list + 12, 1);       // version
  store<u16>(list + 14, 1);       // revision
  store<u32>(list + 16, count);
  for (let i: u32 = 0; i < count; i++) {
    const d = list + 20 + i * 16;
    store<u8>(d, 3);              // CmResourceTypeMemory
    store<u8>(d + 1, 1);          // CmResourceShareDeviceExclusive
    store<u16>(d + 2, 0);         // CM_RESOURCE_MEMORY_READ_WRITE
    store<u64>(d + 4, <u64>load<u32>(MmPhysicalRanges + (i << 3)));
    store<u32>(d + 12, load<u32>(MmPhysicalRanges + (i << 3), 4));
  }
  const name = ".Translated";
  CmpSetValue(key, changetype<usize>(name), <u32>name.length << 1, REG_RESOURCE_LIST, list, size);
  ExFreePoolWithTag(list, CM_NAME_TAG);
}

function CmpCreateHardwareKeys(machine: usize): void {
  const hardware = CmpCreateVolatilePath(machine, "HARDWARE");
  if (hardware == 0) return;
  CmKey(hardware).Flags |= CM_KEY_NO_DELETE;
  const system = CmpCreateVolatilePath(hardware, "DESCRIPTION\\System");
  if (system != 0) CmpSetStringValue(system, "Identifier", REG_SZ, "AT/AT COMPATIBLE");
  const cpu = CmpCreateVolatilePath(hardware, "DESCRIPTION\\System\\CentralProcessor\\0");
  if (cpu != 0) {
    CmpProcessorIdentifier(cpu);
    TextReset();
    TextAppendAscii(KeVendorString, 12);
    TextSet(cpu, "VendorIdentifier", REG_SZ);
    TextReset();
    let start: u32 = 0;
    while (start < 48 && load<u8>(KeBrandString + start) == 0x20) start++;
    TextAppendAscii(KeBrandString + start, 48 - start);
    if (TextLength != 0) TextSet(cpu, "ProcessorNameString", REG_SZ);
    CmpSetDwordValue(cpu, "FeatureSet", KeFeatureBits);
  }
  if ((KeFeatureBits & 1) != 0) {
    const fpu = CmpCreateVolatilePath(hardware, "DESCRIPTION\\System\\FloatingPointProcessor\\0");
    if (fpu != 0) CmpProcessorIdentifier(fpu);
  }
  const memoryKey = CmpCreateVolatilePath(hardware, "RESOURCEMAP\\System Resources\\Physical Memory");
  if (memoryKey != 0) CmpPhysicalMemory(memoryKey);
  if (AtaSectors != 0) {
    const port = CmpCreateVolatilePath(hardware, "DEVICEMAP\\Scsi\\Scsi Port 0");
    if (port != 0) CmpSetStringValue(port, "Driver", REG_SZ, "atapi");
    const unit = CmpCreateVolatilePath(hardware, "DEVICEMAP\\Scsi\\Scsi Port 0\\Scsi Bus 0\\Target Id 0\\Logical Unit Id 0");
    if (unit != 0) {
      TextReset();
      TextAppendAscii(AtaModel, 44);
      TextSet(unit, "Identifier", REG_SZ);
      CmpSetStringValue(unit, "Type", REG_SZ, "DiskPeripheral");
      CmpSetDwordValue(unit, "Sectors", AtaSectors);
    }
  }
  const serial = CmpCreateVolatilePath(hardware, "DEVICEMAP\\SERIALCOMM");
  if (serial != 0) CmpSetStringValue(serial, "\\Device\\Serial0", REG_SZ, "COM1");
}

// ---- CurrentControlSet ----

function CmpCreateCurrentControlSet(): void {
  const system = CmpHiveRoot(CM_HIVE_SYSTEM);
  const selectName = "Select";
  const select = CmpFindSubKey(system, changetype<usize>(selectName), <u32>selectName.length << 1);
  const current = select != 0 ? CmpGetDwordValue(select, "Current", 0) : 0;
  // "ControlSet" and three digits, as NT names them.
  TextReset();
  TextAppend("ControlSet");
  TextAppendDecimal(current / 100 % 10);
  TextAppendDecimal(current / 10 % 10);
  TextAppendDecimal(current % 10);
  const set = current != 0 && current < 1000 ? CmpFindSubKey(system, Text, TextLength << 1) : 0;
  if (set == 0) {
    KeLogFormat1("cm", "SYSTEM\\Select\\Current is %u, and there is no such control set: the registry cannot start", current);
    KeBugCheckEx(CONFIG_INITIALIZATION_FAILED, 3, 0, current, 0);
  }
  // A real key where the link goes (a .reg file that named CurrentControlSet
  // literally, built by a tool that did not map it): NT would fail to make the
  // link and stop with 0x67. Here it is logged and taken out of the tree (the
  // next flush drops it from the hive), and the boot goes on with the link.
  const strayName = "CurrentControlSet";
  const stray = CmpFindSubKey(system, changetype<usize>(strayName), <u32>strayName.length << 1);
  if (stray != 0) {
    CmpExpand(stray);
    KeLogFormat2("cm", "SYSTEM\\CurrentControlSet is a real key in the hive (%u subkeys, %u values), not the link: removed, the link takes its place", CmKey(stray).SubKeyCount, CmKey(stray).ValueCount);
    CmpUnlinkSubKey(stray);
    CmpFreeTree(stray);
    CmpMarkHiveDirty(CM_HIVE_SYSTEM);
  }
  const nameLength = TextLength << 1;
  const link = CmpAllocateKey(changetype<usize>("CurrentControlSet"), 17 * 2, CM_KEY_VOLATILE | CM_KEY_LINK | CM_KEY_NO_DELETE,
                              CM_HIVE_SYSTEM, KeQuerySystemTime());
  if (link == 0 || !CmpLinkSubKey(system, link)) KeBugCheckEx(CONFIG_INITIALIZATION_FAILED, 3, 1, current, 0);
  // The target, without a terminating NUL (as NT stores REG_LINK data).
  const target = ExAllocatePoolWithTag(NonPagedPool, 64 + nameLength, CM_NAME_TAG);
  if (target == 0) KeBugCheckEx(CONFIG_INITIALIZATION_FAILED, 1, 0, 0, 0);
  const prefix = "\\REGISTRY\\MACHINE\\SYSTEM\\";
  memory.copy(target, changetype<usize>(prefix), <u32>prefix.length << 1);
  memory.copy(target + (<u32>prefix.length << 1), Text, nameLength);
  const valueName = "SymbolicLinkValue";
  CmpSetValue(link, changetype<usize>(valueName), <u32>valueName.length << 1, REG_LINK, target,
              (<u32>prefix.length << 1) + nameLength);
  ExFreePoolWithTag(target, CM_NAME_TAG);
  KeLogFormat3("cm", "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet -> ControlSet%u%u%u", current / 100 % 10, current / 10 % 10, current % 10);
}

// ---- the whole start ----

/** Logs the size of a hive just loaded: keys and values (its file's, counted by the load's check: the keys are built on first use). */
function CmpLogHiveCounts(hive: u32, path: string): void {
  KeLogFormat3("cm", "loaded %s: %u keys, %u values", changetype<usize>(path), CmpHiveLoadedKeys(hive), CmpHiveLoadedValues(hive));
}

export function CmInitSystem1(): void {
  const root = CmpCreateRegistryRoot();
  const lock = ObAcquireObjectLock();
  const machine = CmpCreateVolatilePath(root, "MACHINE");
  const user = CmpCreateVolatilePath(root, "USER");
  if (machine == 0 || user == 0) KeBugCheckEx(CONFIG_INITIALIZATION_FAILED, 1, 0, 0, 0);
  CmKey(machine).Flags |= CM_KEY_NO_DELETE;
  CmKey(user).Flags |= CM_KEY_NO_DELETE;
  CmpSetMasterKeys(root, machine, user);
  CmpCreateHardwareKeys(machine);
  ObReleaseObjectLock(lock);
  KeLog("cm", "\\REGISTRY\\MACHINE\\HARDWARE built (processor, memory, disk, serial port)");
  CmpInitializeFlusher();
  if (!IoSystemVolumeMounted) {
    KeLog("cm", "no system volume: the registry has only its volatile keys");
    return;
  }
  KeBenchmarkMark(0x10);                      // npm run bench: the hive load, in guest instructions
  CmpLoadHive(CM_HIVE_SYSTEM, false);
  KeBenchmarkMark(0x11);
  CmpLogHiveCounts(CM_HIVE_SYSTEM, CmpHiveFile(CM_HIVE_SYSTEM));
  const lock2 = ObAcquireObjectLock();
  CmpCreateCurrentControlSet();
  ObReleaseObjectLock(lock2);
  CmSystemHiveLoaded = true;
  // SOFTWARE and SAM are loaded here too when the disk has them (lsass and
  // winlogon read them, smss does not call NtInitializeRegistry yet); a disk
  // without them gets empty ones from NtInitializeRegistry(REG_INIT_BOOT_SM).
  for (let hive = CM_HIVE_SOFTWARE; hive <= CM_HIVE_SAM; hive++) {
    if (CmpLoadHive(hive, false, true)) CmpLogHiveCounts(hive, CmpHiveFile(hive));
  }
}

/** NtInitializeRegistry(REG_INIT_BOOT_SM): the other machine hives and the default user's. */
export function CmpLoadOtherHives(): void {
  if (!CmSystemHiveLoaded) return;
  for (let hive = CM_HIVE_SOFTWARE; hive <= CM_HIVE_DEFAULT; hive++) { // SOFTWARE, SAM, SECURITY, DEFAULT
    if (CmpHiveIsLoaded(hive)) continue;
    if (CmpLoadHive(hive, true)) CmpLogHiveCounts(hive, CmpHiveFile(hive));
  }
}

// The ATA driver: the primary channel's master disk in PIO mode with LBA28,
// interrupt-driven (IRQ 14): the calling thread issues a command and waits
// on an event that the interrupt routine sets; it never spins on the status
// register for data. (The one bounded poll is the standard one after WRITE
// SECTORS, whose first DRQ comes without an interrupt.) One command at a
// time: a synchronization event serves as the channel's mutex. Errors (ERR
// or DF set, a timeout) come back as NTSTATUS values. Writes are followed by
// FLUSH CACHE when the caller asks for write-through (the disk driver does
// on every flush request).
//
//   ports  0x1F0 data (16-bit)  0x1F1 error  0x1F2 sector count  0x1F3-0x1F5 LBA 0-23
//          0x1F6 drive/head (0xE0 | LBA 24-27)  0x1F7 status / command  0x3F6 control (nIEN)
//   status BSY 0x80  DRDY 0x40  DF 0x20  DRQ 0x08  ERR 0x01

import { inb, inw, outb } from "../sdk/intrinsics";
import { KeConnectInterrupt } from "../ke/interrupt";
import { KEVENT_SIZE, KeInitializeEvent, KeResetEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogCharacter } from "../ke/log";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { outw } from "../sdk/intrinsics";
import {
  STATUS_DEVICE_DATA_ERROR, STATUS_INVALID_PARAMETER, STATUS_IO_TIMEOUT, STATUS_NO_SUCH_DEVICE,
  STATUS_SUCCESS, STATUS_TIMEOUT,
} from "../sdk/ntstatus";

const ATA_DATA: u32 = 0x1F0;
const ATA_ERROR: u32 = 0x1F1;
const ATA_COUNT: u32 = 0x1F2;
const ATA_LBA0: u32 = 0x1F3;
const ATA_LBA1: u32 = 0x1F4;
const ATA_LBA2: u32 = 0x1F5;
const ATA_DRIVE: u32 = 0x1F6;
const ATA_STATUS: u32 = 0x1F7;
const ATA_COMMAND: u32 = 0x1F7;
const ATA_CONTROL: u32 = 0x3F6;
const ATA_IRQ: u32 = 14;

const BSY: u32 = 0x80, DF: u32 = 0x20, DRQ: u32 = 0x08, ERR: u32 = 0x01;
const CMD_READ_SECTORS: u32 = 0x20;
const CMD_WRITE_SECTORS: u32 = 0x30;
const CMD_FLUSH_CACHE: u32 = 0xE7;
const CMD_IDENTIFY: u32 = 0xEC;


/** Sectors on the disk (0: none found). */
export let AtaSectors: u32 = 0;
/** The drive's model (IDENTIFY words 27-46), printable ASCII, NUL-terminated. */
export const AtaModel: usize = memory.data(44, 4);
const AtaEvent: usize = memory.data(<i32>KEVENT_SIZE, 8);
const Timeout: usize = memory.data(8, 8); // AtaWait's: under AtaLock (and in AtaInitialize, at boot)
let AtaStatus: u32 = 0;
/** The channel's mutex: a synchronization event, signalled when free. */
const AtaLock: usize = memory.data(<i32>KEVENT_SIZE, 8);
/** Sectors read and written (statistics). */
export let AtaSectorsRead: u32 = 0;
export let AtaSectorsWritten: u32 = 0;
/** Interrupts taken (a statistic, and a test that they happen). */
export let AtaInterrupts: u32 = 0;

/** IRQ 14: reading the status acknowledges the drive; the waiting thread goes on. */
function AtaInterrupt(frame: usize): void {
  AtaStatus = inb(ATA_STATUS);
  AtaInterrupts++;
  KeSetEvent(AtaEvent);
}

/** Waits for the drive's interrupt (one second at most); returns the status register or 0xFFFFFFFF on timeout. */
function AtaWait(): u32 {
  store<i64>(Timeout, -10000000);
  if (KeWaitForSingleObject(AtaEvent, Timeout) == STATUS_TIMEOUT) return 0xFFFFFFFF;
  return AtaStatus;
}

function AtaStatusToNt(status: u32): u32 {
  if (status == 0xFFFFFFFF) return STATUS_IO_TIMEOUT;
  if ((status & (ERR | DF)) != 0) return STATUS_DEVICE_DATA_ERROR;
  if ((status & DRQ) == 0) return STATUS_DEVICE_DATA_ERROR;
  return STATUS_SUCCESS;
}

function AtaReadWords(buffer: usize): void {
  for (let i: u32 = 0; i < 256; i++) store<u16>(buffer + (i << 1), <u16>inw(ATA_DATA));
}

function AtaAcquire(): void { KeWaitForSingleObject(AtaLock, 0); }
function AtaRelease(): void { KeSetEvent(AtaLock); }

function AtaIssue(lba: u32, count: u32, command: u32): void {
  KeResetEvent(AtaEvent);
  outb(ATA_DRIVE, 0xE0 | ((lba >>> 24) & 0x0F));
  outb(ATA_COUNT, count & 0xFF);
  outb(ATA_LBA0, lba & 0xFF);
  outb(ATA_LBA1, (lba >>> 8) & 0xFF);
  outb(ATA_LBA2, (lba >>> 16) & 0xFF);
  outb(ATA_COMMAND, command);
}

function AtaCheckRange(lba: u32, count: u32): u32 {
  if (AtaSectors == 0) return STATUS_NO_SUCH_DEVICE;
  if (count == 0 || count > 256 || lba >= AtaSectors || count > AtaSectors - lba) return STATUS_INVALID_PARAMETER;
  return STATUS_SUCCESS;
}

/** Reads `count` (1-256) sectors from `lba` into `buffer`. */
export function AtaReadSectors(lba: u32, count: u32, buffer: usize): u32 {
  let status = AtaCheckRange(lba, count);
  if (status != STATUS_SUCCESS) return status;
  AtaAcquire();
  AtaIssue(lba, count, CMD_READ_SECTORS);
  for (let s: u32 = 0; s < count; s++) {
    status = AtaStatusToNt(AtaWait());
    if (status != STATUS_SUCCESS) break;
    if (s + 1 < count) KeResetEvent(AtaEvent); // before the data: the next sector's interrupt follows it
    AtaReadWords(buffer + (s << 9));
    AtaSectorsRead++;
  }
  AtaRelease();
  return status;
}

/** Polls for DRQ after WRITE SECTORS (the drive gives no interrupt for the first sector); bounded. */
function AtaPollDataRequest(): u32 {
  for (let i: u32 = 0; i < 100000; i++) {
    const s = inb(ATA_STATUS);
    if ((s & BSY) != 0) continue;
    if ((s & (ERR | DF)) != 0) return STATUS_DEVICE_DATA_ERROR;
    if ((s & DRQ) != 0) return STATUS_SUCCESS;
  }
  return STATUS_IO_TIMEOUT;
}

/** Writes `count` (1-256) sectors from `buffer` to `lba`. */
export function AtaWriteSectors(lba: u32, count: u32, buffer: usize): u32 {
  let status = AtaCheckRange(lba, count);
  if (status != STATUS_SUCCESS) return status;
  AtaAcquire();
  AtaIssue(lba, count, CMD_WRITE_SECTORS);
  status = AtaPollDataRequest();
  for (let s: u32 = 0; s < count && status == STATUS_SUCCESS; s++) {
    KeResetEvent(AtaEvent);
    const p = buffer + (s << 9);
    for (let i: u32 = 0; i < 256; i++) outw(ATA_DATA, <u32>load<u16>(p + (i << 1)));
    // The drive interrupts when it took the sector: DRQ again for the next one, or done.
    const st = AtaWait();
    if (st == 0xFFFFFFFF) { status = STATUS_IO_TIMEOUT; break; }
    if ((st & (ERR | DF)) != 0) { status = STATUS_DEVICE_DATA_ERROR; break; }
    AtaSectorsWritten++;
    if (s + 1 < count && (st & DRQ) == 0) status = AtaPollDataRequest();
  }
  AtaRelease();
  return status;
}

/** FLUSH CACHE: returns when the drive has written everything it holds. */
export function AtaFlushCache(): u32 {
  if (AtaSectors == 0) return STATUS_NO_SUCH_DEVICE;
  AtaAcquire();
  KeResetEvent(AtaEvent);
  outb(ATA_DRIVE, 0xE0);
  outb(ATA_COMMAND, CMD_FLUSH_CACHE);
  const st = AtaWait();
  AtaRelease();
  if (st == 0xFFFFFFFF) return STATUS_IO_TIMEOUT;
  if ((st & (ERR | DF)) != 0) return STATUS_DEVICE_DATA_ERROR;
  return STATUS_SUCCESS;
}

/** Phase 1: finds the primary master, identifies it (model, size) and logs what the MBR says. */
export function AtaInitialize(): void {
  KeInitializeEvent(AtaEvent, false, false);
  KeInitializeEvent(AtaLock, false, true);
  if (inb(ATA_STATUS) == 0xFF) { KeLog0("no ATA disk on the primary channel"); return; }
  KeConnectInterrupt(ATA_IRQ, AtaInterrupt);
  outb(ATA_CONTROL, 0); // nIEN clear: the drive interrupts
  outb(ATA_DRIVE, 0xA0);
  KeResetEvent(AtaEvent);
  outb(ATA_COMMAND, CMD_IDENTIFY);
  const id = ExAllocatePoolWithTag(NonPagedPool, 512, 0x20617441); // 'Ata '
  if (id == 0) return;
  const status = AtaStatusToNt(AtaWait());
  if (status != STATUS_SUCCESS) { AtaLogStatus("IDENTIFY failed", status); ExFreePoolWithTag(id, 0x20617441); return; }
  AtaReadWords(id);
  AtaSectors = load<u32>(id, 120); // words 60-61: LBA28 sectors
  KeLogBegin("io");
  KeLogString("ATA primary master \"");
  // Model: words 27-46, each word's bytes swapped, trailing spaces trimmed.
  let end: u32 = 40;
  while (end > 0 && load<u8>(id + 54 + ((end - 1) ^ 1)) <= 0x20) end--; // space or NUL padding
  for (let i: u32 = 0; i < end; i++) {
    const c = <u32>load<u8>(id + 54 + (i ^ 1));
    const printable = c >= 0x20 && c < 0x7F ? c : 0x3F; // nothing but printable ASCII goes to the log
    store<u8>(AtaModel + i, <u8>printable);
    KeLogCharacter(printable);
  }
  store<u8>(AtaModel + end, 0);
  KeLogString("\", ");
  KeLogDecimal(AtaSectors);
  KeLogString(" sectors (");
  KeLogDecimal(AtaSectors >>> 11);
  KeLogString(" MiB), PIO LBA28 on IRQ 14");
  KeLogEnd();
  // The partition table.
  const s = AtaReadSectors(0, 1, id);
  if (s != STATUS_SUCCESS) AtaLogStatus("reading the MBR failed", s);
  else if (load<u16>(id, 510) != 0xAA55) KeLog0("the disk has no MBR signature");
  else {
    for (let p: u32 = 0; p < 4; p++) {
      const e = id + 446 + p * 16;
      const type = <u32>load<u8>(e, 4);
      if (type == 0) continue;
      KeLogBegin("io");
      KeLogString("partition ");
      KeLogDecimal(p + 1);
      KeLogString(": type ");
      KeLogHex(type);
      KeLogString(", LBA ");
      KeLogDecimal(load<u32>(e, 8));
      KeLogString(", ");
      KeLogDecimal(load<u32>(e, 12));
      KeLogString(" sectors");
      KeLogEnd();
    }
  }
  ExFreePoolWithTag(id, 0x20617441);
}

function KeLog0(text: string): void { KeLogBegin("io"); KeLogString(text); KeLogEnd(); }
function AtaLogStatus(what: string, status: u32): void {
  KeLogBegin("io");
  KeLogString(what);
  KeLogString(": status ");
  KeLogHex(status);
  KeLogEnd();
}

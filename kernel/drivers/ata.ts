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
// Bus-master DMA. When PCI has an IDE controller in compatibility mode that
// offers bus mastering (programming interface bit 7: the PIIX's, which v86
// and QEMU emulate), BAR4 gives its bus-master registers and reads and
// writes go by READ DMA / WRITE DMA: the driver fills a physical region
// descriptor table (PRD: physical address, byte count, bit 31 of the second
// dword ends the table; no region crosses a 64 KiB boundary), points the
// channel at it, issues the command, starts the engine, and the whole
// transfer ends in one interrupt. A buffer in the kernel window (KSEG0:
// physically contiguous) is the target itself; any other (user or session
// space) goes through a 64 KiB bounce buffer. Without the controller, or
// with `nodma` on the command line, transfers stay PIO.
//
//   bus master (primary channel)  +0 command (bit 0 start, bit 3 write to memory)
//                                 +2 status (bit 0 active, bit 1 error, bit 2 interrupt; 1 clears 1, 2)
//                                 +4 PRD table physical address
//
//   ports  0x1F0 data (16-bit)  0x1F1 error  0x1F2 sector count  0x1F3-0x1F5 LBA 0-23
//          0x1F6 drive/head (0xE0 | LBA 24-27)  0x1F7 status / command  0x3F6 control (nIEN)
//   status BSY 0x80  DRDY 0x40  DF 0x20  DRQ 0x08  ERR 0x01

import { inb, inl, inw, outb, outl } from "../sdk/intrinsics";
import { KSEG0_BASE, KSEG0_SIZE, KeCommandLineHasOption } from "../ke/loader";
import { KeConnectInterrupt } from "../ke/interrupt";
import { KEVENT_SIZE, KeInitializeEvent, KeResetEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogCharacter, KeLogFormat1, KeLogFormat2, KeLogFormat4 } from "../ke/log";
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
const CMD_READ_DMA: u32 = 0xC8;
const CMD_WRITE_DMA: u32 = 0xCA;

// PCI configuration mechanism 1, and the bus-master registers.
const PCI_ADDRESS: u32 = 0xCF8;
const PCI_DATA: u32 = 0xCFC;
const BM_COMMAND: u32 = 0, BM_STATUS: u32 = 2, BM_PRDT: u32 = 4;
const BM_START: u32 = 0x01, BM_TO_MEMORY: u32 = 0x08;
const BM_ERROR: u32 = 0x02, BM_INTERRUPT: u32 = 0x04;
const DMA_TAG: u32 = 0x414D4441; // 'ADMA'
const BOUNCE_BYTES: u32 = 0x10000;
/** The primary channel's bus-master registers (0: no DMA, PIO only). */
export let AtaBusMaster: u32 = 0;
let AtaPrd: usize = 0;     // the PRD table (a pool page)
let AtaBounce: usize = 0;  // 64 KiB, physically contiguous
/** Transfers made by DMA (a statistic, and a test that they happen). */
export let AtaDmaTransfers: u32 = 0;
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

@inline function InKernelWindow(buffer: usize, bytes: u32): bool {
  return buffer >= KSEG0_BASE && buffer - KSEG0_BASE < KSEG0_SIZE && KSEG0_SIZE - <u32>(buffer - KSEG0_BASE) >= bytes && (buffer & 1) == 0;
}

/** Fills the PRD table for `bytes` at physical `physical` (regions split at 64 KiB boundaries). */
function AtaFillPrd(physical: u32, bytes: u32): void {
  let e = AtaPrd;
  while (true) {
    let n: u32 = 0x10000 - (physical & 0xFFFF);
    if (n > bytes) n = bytes;
    store<u32>(e, physical);
    bytes -= n;
    store<u32>(e, (n & 0xFFFF) | (bytes == 0 ? 0x80000000 : 0), 4); // a count of 0 means 64 KiB
    if (bytes == 0) return;
    physical += n;
    e += 8;
  }
}

/** One DMA command of `count` sectors at physical `physical`, under the channel's lock; an NTSTATUS. */
function AtaDma(lba: u32, count: u32, physical: u32, write: bool): u32 {
  const bm = AtaBusMaster;
  AtaFillPrd(physical, count << 9);
  outl(bm + BM_PRDT, <u32>(AtaPrd - KSEG0_BASE));
  outb(bm + BM_COMMAND, write ? 0 : BM_TO_MEMORY);
  outb(bm + BM_STATUS, BM_ERROR | BM_INTERRUPT);
  AtaIssue(lba, count, write ? CMD_WRITE_DMA : CMD_READ_DMA);
  outb(bm + BM_COMMAND, (write ? 0 : BM_TO_MEMORY) | BM_START);
  const st = AtaWait();
  outb(bm + BM_COMMAND, write ? 0 : BM_TO_MEMORY);
  const dma = inb(bm + BM_STATUS);
  outb(bm + BM_STATUS, BM_ERROR | BM_INTERRUPT);
  AtaDmaTransfers++;
  if (st == 0xFFFFFFFF) return STATUS_IO_TIMEOUT;
  if ((st & (ERR | DF)) != 0 || (dma & BM_ERROR) != 0) return STATUS_DEVICE_DATA_ERROR;
  return STATUS_SUCCESS;
}

/** Reads or writes by DMA: straight into a kernel-window buffer, through the bounce buffer otherwise. */
function AtaTransferDma(lba: u32, count: u32, buffer: usize, write: bool): u32 {
  if (InKernelWindow(buffer, count << 9)) {
    AtaAcquire();
    const status = AtaDma(lba, count, <u32>(buffer - KSEG0_BASE), write);
    AtaRelease();
    if (status == STATUS_SUCCESS) { if (write) AtaSectorsWritten += count; else AtaSectorsRead += count; }
    return status;
  }
  let done: u32 = 0;
  while (done < count) {
    let n = count - done;
    if (n > (BOUNCE_BYTES >> 9)) n = BOUNCE_BYTES >> 9;
    const target = buffer + (done << 9);
    AtaAcquire();
    if (write) memory.copy(AtaBounce, target, n << 9);
    const status = AtaDma(lba + done, n, <u32>(AtaBounce - KSEG0_BASE), write);
    if (!write && status == STATUS_SUCCESS) memory.copy(target, AtaBounce, n << 9);
    AtaRelease();
    if (status != STATUS_SUCCESS) return status;
    if (write) AtaSectorsWritten += n; else AtaSectorsRead += n;
    done += n;
  }
  return STATUS_SUCCESS;
}

/** Reads `count` (1-256) sectors from `lba` into `buffer`. */
export function AtaReadSectors(lba: u32, count: u32, buffer: usize): u32 {
  let status = AtaCheckRange(lba, count);
  if (status != STATUS_SUCCESS) return status;
  if (AtaBusMaster != 0) return AtaTransferDma(lba, count, buffer, false);
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
  if (AtaBusMaster != 0) return AtaTransferDma(lba, count, buffer, true);
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

function PciRead(bus: u32, device: u32, fn: u32, offset: u32): u32 {
  outl(PCI_ADDRESS, 0x80000000 | (bus << 16) | (device << 11) | (fn << 8) | (offset & 0xFC));
  return inl(PCI_DATA);
}
function PciWrite(bus: u32, device: u32, fn: u32, offset: u32, value: u32): void {
  outl(PCI_ADDRESS, 0x80000000 | (bus << 16) | (device << 11) | (fn << 8) | (offset & 0xFC));
  outl(PCI_DATA, value);
}

/**
 * Finds an IDE controller on PCI bus 0 that offers bus mastering, turns on
 * its bus mastering and returns its BAR4 I/O base (0: none).
 */
function AtaFindBusMaster(): u32 {
  for (let device: u32 = 0; device < 32; device++) {
    const functions: u32 = (PciRead(0, device, 0, 0x0C) & 0x800000) != 0 ? 8 : 1; // header type bit 7: multi-function
    for (let fn: u32 = 0; fn < functions; fn++) {
      const id = PciRead(0, device, fn, 0);
      if ((id & 0xFFFF) == 0xFFFF) { if (fn == 0) break; continue; }
      const klass = PciRead(0, device, fn, 0x08);
      if ((klass >>> 16) != 0x0101 || (klass & 0x8000) == 0) continue; // mass storage / IDE, bus master capable
      const bar4 = PciRead(0, device, fn, 0x20);
      if ((bar4 & 1) == 0 || (bar4 & 0xFFFC) == 0) continue; // not an I/O BAR
      PciWrite(0, device, fn, 0x04, (PciRead(0, device, fn, 0x04) & 0xFFFF) | 0x05); // I/O space + bus master
      return bar4 & 0xFFFC;
    }
  }
  return 0;
}

/** Sets up DMA when the controller offers it (the PRD page and the bounce buffer). */
function AtaInitializeDma(): void {
  if (KeCommandLineHasOption("nodma")) return;
  const bm = AtaFindBusMaster();
  if (bm == 0) return;
  AtaPrd = ExAllocatePoolWithTag(NonPagedPool, 4096, DMA_TAG);        // a whole page: never crosses 64 KiB
  AtaBounce = ExAllocatePoolWithTag(NonPagedPool, BOUNCE_BYTES, DMA_TAG); // whole contiguous pages
  if (AtaPrd == 0 || AtaBounce == 0) {
    if (AtaPrd != 0) ExFreePoolWithTag(AtaPrd, DMA_TAG);
    if (AtaBounce != 0) ExFreePoolWithTag(AtaBounce, DMA_TAG);
    AtaPrd = 0; AtaBounce = 0;
    return;
  }
  AtaBusMaster = bm;
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
  AtaInitializeDma();
  if (AtaBusMaster != 0) { KeLogString(" MiB), bus-master DMA LBA28 on IRQ 14 (registers at "); KeLogHex(AtaBusMaster); KeLogString(")"); }
  else KeLogString(" MiB), PIO LBA28 on IRQ 14");
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
      KeLogFormat4("io", "partition %u: type %x, LBA %u, %u sectors", p + 1, type, load<u32>(e, 8), load<u32>(e, 12));
    }
  }
  ExFreePoolWithTag(id, 0x20617441);
}

function KeLog0(text: string): void { KeLogFormat1("io", "%s", changetype<usize>(text)); }
function AtaLogStatus(what: string, status: u32): void {
  KeLogFormat2("io", "%s: status %x", changetype<usize>(what), status);
}

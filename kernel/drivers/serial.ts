// The serial port driver (\Driver\Serial): \Device\Serial0 is COM1, with
// \??\COM1 linking to it.
//
// COM1 carries the kernel log (DESIGN.md section 5), so the device keeps its
// discipline: what a program writes goes out as log lines whose component is
// the program's image name, one per line of text (like NtDisplayString);
// controls become spaces, CR is dropped. Transmission and reception are
// interrupt-driven on IRQ 4 (hal/serial.ts). A read waits until at least one
// byte has arrived and returns what is there, up to the length asked for.
//
// Read timeouts: IOCTL_SERIAL_SET_TIMEOUTS (SERIAL_TIMEOUTS, ntddser.h) sets
// them for the open it is sent on (NT keeps them per port, which only one
// open may hold; ours may be opened several times, so each open keeps its
// own, in FsContext2). ReadIntervalTimeout MAXDWORD with both read totals 0:
// a read returns at once with what is there (0 bytes: STATUS_TIMEOUT).
// ReadIntervalTimeout MAXDWORD with ReadTotalTimeoutMultiplier MAXDWORD, or
// any other nonzero total: a read waits that long (multiplier x length +
// constant, milliseconds) for the first byte, then returns what is there
// (NT would wait to fill the buffer). All zero: no timeout (the default).

import { KeLogCharacter, KeLogEnd } from "../ke/log";
import { KEVENT_SIZE, KeInitializeEvent, KeResetEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { COM1_IRQ, HalSerialInterrupt, HalSerialRead, HalSerialReceived, HalSerialStartInterrupts } from "../hal/serial";
import { KeConnectInterrupt } from "../ke/interrupt";
import { KeLogBeginForCurrentProcess } from "../ke/log";
import { IoAcceptOpenAndClose, IoCreateDevice, IoCreateDriver, IoCreateSymbolicLink, IoSetMajorFunction } from "../io/iomgr";
import {
  FILE_DEVICE_SERIAL_PORT, FILE_OBJECT, IRP, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL,
  IRP_MJ_FLUSH_BUFFERS, IRP_MJ_READ, IRP_MJ_WRITE,
} from "../io/iop";
import {
  STATUS_BUFFER_TOO_SMALL, STATUS_CANCELLED, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, STATUS_TIMEOUT,
} from "../sdk/ntstatus";

/** CTL_CODE(FILE_DEVICE_SERIAL_PORT, 7 / 8, METHOD_BUFFERED, FILE_ANY_ACCESS) (ntddser.h). */
const IOCTL_SERIAL_SET_TIMEOUTS: u32 = 0x001B001C;
const IOCTL_SERIAL_GET_TIMEOUTS: u32 = 0x001B0020;
/** SERIAL_TIMEOUTS: five ULONGs (ReadInterval, ReadTotalMultiplier, ReadTotalConstant, WriteTotalMultiplier, WriteTotalConstant). */
const SIZEOF_SERIAL_TIMEOUTS: u32 = 20;
const SERIAL_TIMEOUTS_TAG: u32 = 0x54726553; // 'SerT'
const MAXULONG: u32 = 0xFFFFFFFF;

const SerialReceived: usize = memory.data(<i32>KEVENT_SIZE, 8);

/** In the interrupt: bytes arrived. */
function SerialReceive(): void { KeSetEvent(SerialReceived); }

function SerialSucceed(device: usize, irp: usize): u32 { return STATUS_SUCCESS; }

/** The open's SERIAL_TIMEOUTS (pool, FsContext2), or 0 for none set. */
function SerialTimeouts(irp: usize): usize {
  const file = changetype<IRP>(irp).FileObject;
  return file != 0 ? changetype<FILE_OBJECT>(file).FsContext2 : 0;
}

function SerialRead(device: usize, irp: usize): u32 {
  const i = changetype<IRP>(irp);
  i.Information = 0;
  if (i.Length == 0) return STATUS_SUCCESS;
  // The wait for the first byte: forever (0), none, or a relative time in 100 ns units.
  const t = SerialTimeouts(irp);
  let limited = false;
  const due = KeAllocateScratch(8); // the reader's own: two threads may read COM1 with different timeouts
  if (t != 0) {
    const interval = load<u32>(t), multiplier = load<u32>(t, 4), constant = load<u32>(t, 8);
    let ms: u64 = 0;
    if (interval == MAXULONG && multiplier == MAXULONG) ms = constant;
    else ms = <u64>multiplier * i.Length + constant;
    if (interval == MAXULONG || ms != 0) {
      limited = true;
      store<i64>(due, -(<i64>ms * 10000));
    }
  }
  let timedOut = false, aborted = false;
  while (HalSerialReceived() == 0) {
    if (limited && load<i64>(due) == 0) { timedOut = true; break; }
    KeResetEvent(SerialReceived);
    if (HalSerialReceived() != 0) break;
    const wait = KeWaitForSingleObject(SerialReceived, limited ? due : 0, true);
    if (wait != STATUS_SUCCESS && wait != STATUS_TIMEOUT) { aborted = true; break; } // the thread is asked to end
    if (wait == STATUS_TIMEOUT && HalSerialReceived() == 0) { timedOut = true; break; }
  }
  KeFreeScratch(due);
  if (timedOut) return STATUS_TIMEOUT;
  if (aborted) return STATUS_CANCELLED; // as NT cancels the IRPs of a thread that ends
  i.Information = HalSerialRead(i.Buffer, i.Length);
  return STATUS_SUCCESS;
}

function SerialControl(device: usize, irp: usize): u32 {
  const i = changetype<IRP>(irp);
  const code = i.P0;
  i.Information = 0;
  const file = i.FileObject;
  if (file == 0) return STATUS_INVALID_DEVICE_REQUEST;
  const f = changetype<FILE_OBJECT>(file);
  if (code == IOCTL_SERIAL_SET_TIMEOUTS) {
    if (i.Length < SIZEOF_SERIAL_TIMEOUTS) return STATUS_BUFFER_TOO_SMALL;
    if (f.FsContext2 == 0) {
      f.FsContext2 = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_SERIAL_TIMEOUTS, SERIAL_TIMEOUTS_TAG);
      if (f.FsContext2 == 0) return STATUS_INSUFFICIENT_RESOURCES;
    }
    memory.copy(f.FsContext2, i.Buffer, SIZEOF_SERIAL_TIMEOUTS);
    return STATUS_SUCCESS;
  }
  if (code == IOCTL_SERIAL_GET_TIMEOUTS) {
    if (i.P3 < SIZEOF_SERIAL_TIMEOUTS) return STATUS_BUFFER_TOO_SMALL;
    if (f.FsContext2 != 0) memory.copy(i.Buffer, f.FsContext2, SIZEOF_SERIAL_TIMEOUTS);
    else memory.fill(i.Buffer, 0, SIZEOF_SERIAL_TIMEOUTS);
    i.Information = SIZEOF_SERIAL_TIMEOUTS;
    return STATUS_SUCCESS;
  }
  return STATUS_INVALID_DEVICE_REQUEST;
}

/** The open's last close: its timeouts go. */
function SerialClose(device: usize, irp: usize): u32 {
  const file = changetype<IRP>(irp).FileObject;
  if (file != 0 && changetype<FILE_OBJECT>(file).FsContext2 != 0) {
    ExFreePoolWithTag(changetype<FILE_OBJECT>(file).FsContext2, SERIAL_TIMEOUTS_TAG);
    changetype<FILE_OBJECT>(file).FsContext2 = 0;
  }
  return STATUS_SUCCESS;
}

function SerialWrite(device: usize, irp: usize): u32 {
  const i = changetype<IRP>(irp);
  let open = false;
  for (let k: u32 = 0; k < i.Length; k++) {
    const c = <u32>load<u8>(i.Buffer + k);
    if (c == 0x0D) continue;
    if (c == 0x0A) {
      if (!open) KeLogBeginForCurrentProcess(); // an empty line is still a line
      KeLogEnd();
      open = false;
      continue;
    }
    if (!open) { KeLogBeginForCurrentProcess(); open = true; }
    KeLogCharacter(c < 0x20 ? 0x20 : c);
  }
  if (open) KeLogEnd();
  i.Information = i.Length;
  return STATUS_SUCCESS;
}

/** Phase 1: the driver, \Device\Serial0 and \??\COM1; IRQ 4 drives COM1 from here on. */
export function IoInitializeSerial(): void {
  KeInitializeEvent(SerialReceived, false, false);
  const driver = IoCreateDriver("\\Driver\\Serial");
  IoAcceptOpenAndClose(driver);
  IoSetMajorFunction(driver, IRP_MJ_FLUSH_BUFFERS, SerialSucceed);
  IoSetMajorFunction(driver, IRP_MJ_READ, SerialRead);
  IoSetMajorFunction(driver, IRP_MJ_WRITE, SerialWrite);
  IoSetMajorFunction(driver, IRP_MJ_DEVICE_CONTROL, SerialControl);
  IoSetMajorFunction(driver, IRP_MJ_CLOSE, SerialClose);
  if (IoCreateDevice(driver, "\\Device\\Serial0", 0, FILE_DEVICE_SERIAL_PORT) == 0) return;
  IoCreateSymbolicLink("\\??\\COM1", "\\Device\\Serial0");
  KeConnectInterrupt(COM1_IRQ, HalSerialInterrupt);
  HalSerialStartInterrupts(SerialReceive);
}

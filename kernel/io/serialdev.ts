// The serial port driver (\Driver\Serial): \Device\Serial0 is COM1, with
// \??\COM1 linking to it.
//
// COM1 carries the kernel log (DESIGN.md section 5), so the device keeps its
// discipline: what a program writes goes out as log lines whose component is
// the program's image name, one per line of text (like NtDisplayString);
// controls become spaces, CR is dropped. Transmission and reception are
// interrupt-driven on IRQ 4 (hal/serial.ts). A read waits until at least one
// byte has arrived and returns what is there, up to the length asked for.

import { KeLogCharacter, KeLogEnd } from "../ke/log";
import { KEVENT_SIZE, KeInitializeEvent, KeResetEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { HalSerialRead, HalSerialReceived, HalSerialStartInterrupts } from "../hal/serial";
import { PsLogBeginForCurrentProcess } from "../ps/psmain";
import { IoAcceptOpenAndClose, IoCreateDevice, IoCreateDriver, IoCreateSymbolicLink, IoSetMajorFunction } from "./iomgr";
import {
  FILE_DEVICE_SERIAL_PORT, IRP, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_READ,
  IRP_MJ_WRITE,
} from "./iop";
import { STATUS_SUCCESS } from "../sdk/ntstatus";

const SerialReceived: usize = memory.data(<i32>KEVENT_SIZE, 8);

/** In the interrupt: bytes arrived. */
function SerialReceive(): void { KeSetEvent(SerialReceived); }

function SerialSucceed(device: usize, irp: usize): u32 { return STATUS_SUCCESS; }

function SerialRead(device: usize, irp: usize): u32 {
  const i = changetype<IRP>(irp);
  i.Information = 0;
  if (i.Length == 0) return STATUS_SUCCESS;
  while (HalSerialReceived() == 0) {
    KeResetEvent(SerialReceived);
    if (HalSerialReceived() != 0) break;
    KeWaitForSingleObject(SerialReceived, 0);
  }
  i.Information = HalSerialRead(i.Buffer, i.Length);
  return STATUS_SUCCESS;
}

function SerialWrite(device: usize, irp: usize): u32 {
  const i = changetype<IRP>(irp);
  let open = false;
  for (let k: u32 = 0; k < i.Length; k++) {
    const c = <u32>load<u8>(i.Buffer + k);
    if (c == 0x0D) continue;
    if (c == 0x0A) {
      if (!open) PsLogBeginForCurrentProcess(); // an empty line is still a line
      KeLogEnd();
      open = false;
      continue;
    }
    if (!open) { PsLogBeginForCurrentProcess(); open = true; }
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
  if (IoCreateDevice(driver, "\\Device\\Serial0", 0, FILE_DEVICE_SERIAL_PORT) == 0) return;
  IoCreateSymbolicLink("\\??\\COM1", "\\Device\\Serial0");
  HalSerialStartInterrupts(SerialReceive);
}

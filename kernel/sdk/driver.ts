// What a kernel-mode image's DriverEntry(DriverObject, RegistryPath) gets:
// NT's DRIVER_OBJECT and DRIVER_EXTENSION in their x86 layouts (wdm.h).
// NtSetSystemInformation(SystemExtendServiceTableInformation) calls
// win32k.sys's entry with a driver object describing the image and a NULL
// registry path, as NT does.
//
//   DRIVER_OBJECT (0xA8): +0x00 Type (IO_TYPE_DRIVER 4)  +0x02 Size (0xA8)  +0x04 DeviceObject
//     +0x08 Flags  +0x0C DriverStart  +0x10 DriverSize  +0x14 DriverSection  +0x18 DriverExtension
//     +0x1C DriverName (UNICODE_STRING)  +0x24 HardwareDatabase  +0x28 FastIoDispatch
//     +0x2C DriverInit  +0x30 DriverStartIo  +0x34 DriverUnload  +0x38 MajorFunction[28]
//   DRIVER_EXTENSION (0x14): +0x00 DriverObject  +0x04 AddDevice  +0x08 Count  +0x0C ServiceKeyName

/** DRIVER_OBJECT.Type. */
export const IO_TYPE_DRIVER: u16 = 4;
/** IRP_MJ_MAXIMUM_FUNCTION + 1: the MajorFunction entries. */
export const IRP_MJ_COUNT: u32 = 28;
/** DRIVER_OBJECT.Flags: a driver not loaded by the PnP manager. */
export const DRVO_LEGACY_DRIVER: u32 = 0x00000002;

@unmanaged export class DRIVER_OBJECT {
  Type: u16;
  Size: u16;
  DeviceObject: usize;
  Flags: u32;
  DriverStart: usize;
  DriverSize: u32;
  DriverSection: usize;
  DriverExtension: usize;
  DriverName_Length: u16;
  DriverName_MaximumLength: u16;
  DriverName_Buffer: usize;
  HardwareDatabase: usize;
  FastIoDispatch: usize;
  DriverInit: usize;
  DriverStartIo: usize;
  DriverUnload: usize;
  // +0x38: MajorFunction[IRP_MJ_COUNT]
}
export const DRIVER_OBJECT_MAJOR_FUNCTION: u32 = 0x38;
export const SIZEOF_DRIVER_OBJECT: u32 = 0xA8;

@unmanaged export class DRIVER_EXTENSION {
  DriverObject: usize;
  AddDevice: usize;
  Count: u32;
  ServiceKeyName_Length: u16;
  ServiceKeyName_MaximumLength: u16;
  ServiceKeyName_Buffer: usize;
}
export const SIZEOF_DRIVER_EXTENSION: u32 = 0x14;

// I/O manager services on file handles (being written: placeholders answer STATUS_NOT_IMPLEMENTED).

import { STATUS_NOT_IMPLEMENTED } from "../rtl/ntstatus";

export function NtReadFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32, a8: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtWriteFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32, a8: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtQueryInformationFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtSetInformationFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtQueryDirectoryFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32, a8: u32, a9: u32, a10: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtQueryVolumeInformationFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtFlushBuffersFile(a0: u32, a1: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtDeviceIoControlFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32, a8: u32, a9: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtFsControlFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32, a8: u32, a9: u32): u32 { return STATUS_NOT_IMPLEMENTED; }

// I/O manager services that open by name (being written: placeholders answer STATUS_NOT_IMPLEMENTED).

import { STATUS_NOT_IMPLEMENTED } from "../rtl/ntstatus";

export function NtCreateFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32, a8: u32, a9: u32, a10: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtOpenFile(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtDeleteFile(a0: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtQueryAttributesFile(a0: u32, a1: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtQueryFullAttributesFile(a0: u32, a1: u32): u32 { return STATUS_NOT_IMPLEMENTED; }

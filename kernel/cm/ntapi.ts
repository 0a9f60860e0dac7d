// Registry services (being written: placeholders answer STATUS_NOT_IMPLEMENTED).

import { STATUS_NOT_IMPLEMENTED } from "../rtl/ntstatus";

export function NtCreateKey(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtOpenKey(a0: u32, a1: u32, a2: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtOpenKeyEx(a0: u32, a1: u32, a2: u32, a3: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtDeleteKey(a0: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtQueryKey(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtEnumerateKey(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtEnumerateValueKey(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtQueryValueKey(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtSetValueKey(a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtDeleteValueKey(a0: u32, a1: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtFlushKey(a0: u32): u32 { return STATUS_NOT_IMPLEMENTED; }
export function NtInitializeRegistry(a0: u32): u32 { return STATUS_NOT_IMPLEMENTED; }

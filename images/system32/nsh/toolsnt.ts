// The native API the shell's system commands (tools*.ts) import from ntdll.dll
// beyond what images/system32/native/nt.ts declares, and the access masks and
// information classes they pass (winnt.h, ntddk.h and ntifs.h values).

@external("ntdll", "NtOpenProcess") export declare function NtOpenProcess(handle: usize, access: u32, oa: usize, clientId: usize): u32;
@external("ntdll", "NtSetInformationProcess") export declare function NtSetInformationProcess(process: u32, cls: u32, info: usize, length: u32): u32;
@external("ntdll", "NtQuerySystemInformation") export declare function NtQuerySystemInformation(cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtOpenDirectoryObject") export declare function NtOpenDirectoryObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQueryDirectoryObject") export declare function NtQueryDirectoryObject(handle: u32, buffer: usize, length: u32, single: bool,
  restart: bool, context: usize, result: usize): u32;
@external("ntdll", "NtOpenSymbolicLinkObject") export declare function NtOpenSymbolicLinkObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQuerySymbolicLinkObject") export declare function NtQuerySymbolicLinkObject(handle: u32, target: usize, result: usize): u32;
@external("ntdll", "NtCreateKey") export declare function NtCreateKey(handle: usize, access: u32, oa: usize, index: u32, cls: usize, options: u32, disposition: usize): u32;
@external("ntdll", "NtEnumerateValueKey") export declare function NtEnumerateValueKey(key: u32, index: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetValueKey") export declare function NtSetValueKey(key: u32, name: usize, index: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtDeleteValueKey") export declare function NtDeleteValueKey(key: u32, name: usize): u32;
@external("ntdll", "NtDeleteKey") export declare function NtDeleteKey(key: u32): u32;
@external("ntdll", "NtFlushKey") export declare function NtFlushKey(key: u32): u32;

// ---- access masks ----
export const PROCESS_TERMINATE: u32 = 0x0001;
export const PROCESS_SET_INFORMATION: u32 = 0x0200;
export const PROCESS_QUERY_INFORMATION: u32 = 0x0400;
export const SYNCHRONIZE: u32 = 0x00100000;
export const DELETE: u32 = 0x00010000;
export const DIRECTORY_QUERY: u32 = 0x0001;
export const DIRECTORY_TRAVERSE: u32 = 0x0002;
export const SYMBOLIC_LINK_QUERY: u32 = 0x0001;
export const KEY_QUERY_VALUE: u32 = 0x0001;
export const KEY_SET_VALUE: u32 = 0x0002;
export const KEY_CREATE_SUB_KEY: u32 = 0x0004;
export const KEY_ENUMERATE_SUB_KEYS: u32 = 0x0008;
export const KEY_READ: u32 = 0x20019;
export const KEY_WRITE: u32 = 0x20006;
export const FILE_READ_DATA: u32 = 0x0001;

export const SE_DEBUG_PRIVILEGE: u32 = 20;

/** REG_OPTION_NON_VOLATILE: the key goes to its hive's file. */
export const REG_OPTION_NON_VOLATILE: u32 = 0;

// The native API smss uses: every routine is imported from ntdll.dll by
// name (stdcall, NT's x86 layouts), as Windows' smss.exe imports only
// ntdll. Constants are the values of the Windows headers.

// ---- objects, processes, threads ----
@external("ntdll", "NtClose") export declare function NtClose(handle: u32): u32;
@external("ntdll", "NtDisplayString") export declare function NtDisplayString(text: usize): u32;
@external("ntdll", "NtDelayExecution") export declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtCreateDirectoryObject") export declare function NtCreateDirectoryObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtOpenDirectoryObject") export declare function NtOpenDirectoryObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtCreateSymbolicLinkObject") export declare function NtCreateSymbolicLinkObject(handle: usize, access: u32, oa: usize, target: usize): u32;
@external("ntdll", "NtOpenSymbolicLinkObject") export declare function NtOpenSymbolicLinkObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtMakeTemporaryObject") export declare function NtMakeTemporaryObject(handle: u32): u32;
@external("ntdll", "NtCreateEvent") export declare function NtCreateEvent(handle: usize, access: u32, oa: usize, type: u32, initial: bool): u32;
@external("ntdll", "NtSetEvent") export declare function NtSetEvent(handle: u32, previous: usize): u32;
@external("ntdll", "NtWaitForMultipleObjects") export declare function NtWaitForMultipleObjects(count: u32, handles: usize, waitType: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtWaitForSingleObject") export declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtResumeThread") export declare function NtResumeThread(thread: u32, previous: usize): u32;
@external("ntdll", "NtTerminateProcess") export declare function NtTerminateProcess(process: u32, status: u32): u32;
@external("ntdll", "NtQueryInformationProcess") export declare function NtQueryInformationProcess(process: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetInformationProcess") export declare function NtSetInformationProcess(process: u32, cls: u32, info: usize, length: u32): u32;
@external("ntdll", "NtSetSystemInformation") export declare function NtSetSystemInformation(cls: u32, info: usize, length: u32): u32;
@external("ntdll", "NtQuerySystemInformation") export declare function NtQuerySystemInformation(cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtOpenProcess") export declare function NtOpenProcess(handle: usize, access: u32, oa: usize, clientId: usize): u32;
@external("ntdll", "NtDuplicateObject") export declare function NtDuplicateObject(sourceProcess: u32, source: u32, targetProcess: u32, target: usize,
  access: u32, attributes: u32, options: u32): u32;

// ---- LPC ports ----
@external("ntdll", "NtCreatePort") export declare function NtCreatePort(handle: usize, oa: usize, maxConnectionInfo: u32, maxMessage: u32, maxPool: u32): u32;
@external("ntdll", "NtConnectPort") export declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize,
  maxMessage: usize, connectionInfo: usize, connectionInfoLength: usize): u32;
@external("ntdll", "NtReplyWaitReceivePort") export declare function NtReplyWaitReceivePort(port: u32, context: usize, reply: usize, receive: usize): u32;
@external("ntdll", "NtAcceptConnectPort") export declare function NtAcceptConnectPort(handle: usize, context: usize, message: usize, accept: bool, serverView: usize, clientView: usize): u32;
@external("ntdll", "NtCompleteConnectPort") export declare function NtCompleteConnectPort(port: u32): u32;
@external("ntdll", "NtReplyPort") export declare function NtReplyPort(port: u32, reply: usize): u32;
@external("ntdll", "NtRequestWaitReplyPort") export declare function NtRequestWaitReplyPort(port: u32, request: usize, reply: usize): u32;

// ---- files and sections ----
@external("ntdll", "NtOpenFile") export declare function NtOpenFile(file: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtCreateFile") export declare function NtCreateFile(file: usize, access: u32, oa: usize, iosb: usize, allocation: usize, attributes: u32,
  share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtQueryAttributesFile") export declare function NtQueryAttributesFile(oa: usize, info: usize): u32;
@external("ntdll", "NtSetInformationFile") export declare function NtSetInformationFile(file: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtQueryVolumeInformationFile") export declare function NtQueryVolumeInformationFile(file: u32, iosb: usize, info: usize, length: u32, cls: u32): u32;
@external("ntdll", "NtCreateSection") export declare function NtCreateSection(handle: usize, access: u32, oa: usize, size: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtMapViewOfSection") export declare function NtMapViewOfSection(section: u32, process: u32, base: usize, zeroBits: u32, commit: u32,
  offset: usize, viewSize: usize, inherit: u32, allocationType: u32, protect: u32): u32;
@external("ntdll", "NtUnmapViewOfSection") export declare function NtUnmapViewOfSection(process: u32, base: usize): u32;
@external("ntdll", "NtQuerySection") export declare function NtQuerySection(handle: u32, cls: u32, info: usize, length: u32, result: usize): u32;

// ---- registry ----
@external("ntdll", "NtOpenKey") export declare function NtOpenKey(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtCreateKey") export declare function NtCreateKey(handle: usize, access: u32, oa: usize, index: u32, cls: usize, options: u32, disposition: usize): u32;
@external("ntdll", "NtQueryValueKey") export declare function NtQueryValueKey(key: u32, name: usize, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtEnumerateValueKey") export declare function NtEnumerateValueKey(key: u32, index: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetValueKey") export declare function NtSetValueKey(key: u32, name: usize, index: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtDeleteValueKey") export declare function NtDeleteValueKey(key: u32, name: usize): u32;
@external("ntdll", "NtFlushKey") export declare function NtFlushKey(key: u32): u32;

// ---- Rtl ----
@external("ntdll", "RtlGetCurrentPeb") export declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "RtlCreateEnvironment") export declare function RtlCreateEnvironment(clone: bool, environment: usize): u32;
@external("ntdll", "RtlSetEnvironmentVariable") export declare function RtlSetEnvironmentVariable(environment: usize, name: usize, value: usize): u32;
@external("ntdll", "RtlQueryEnvironmentVariable_U") export declare function RtlQueryEnvironmentVariable_U(environment: usize, name: usize, value: usize): u32;
@external("ntdll", "RtlExpandEnvironmentStrings_U") export declare function RtlExpandEnvironmentStrings_U(environment: usize, source: usize, dest: usize, length: usize): u32;
@external("ntdll", "RtlDosPathNameToNtPathName_U") export declare function RtlDosPathNameToNtPathName_U(dos: usize, nt: usize, filePart: usize, relative: usize): bool;
@external("ntdll", "RtlCreateProcessParameters") export declare function RtlCreateProcessParameters(result: usize, image: usize, dllPath: usize, currentDirectory: usize,
  commandLine: usize, environment: usize, title: usize, desktop: usize, shell: usize, runtime: usize): u32;
@external("ntdll", "RtlDestroyProcessParameters") export declare function RtlDestroyProcessParameters(params: usize): u32;
@external("ntdll", "RtlCreateUserProcess") export declare function RtlCreateUserProcess(image: usize, attributes: u32, params: usize, processSd: usize, threadSd: usize,
  parent: u32, inherit: bool, debugPort: u32, exceptionPort: u32, info: usize): u32;
@external("ntdll", "RtlCreateUserThread") export declare function RtlCreateUserThread(process: u32, sd: usize, suspended: bool, zeroBits: u32,
  maximumStack: u32, committedStack: u32, start: usize, parameter: usize, thread: usize, clientId: usize): u32;
@external("ntdll", "RtlSetProcessIsCritical") export declare function RtlSetProcessIsCritical(newValue: bool, oldValue: usize, checkFlag: bool): u32;
@external("ntdll", "RtlSetThreadIsCritical") export declare function RtlSetThreadIsCritical(newValue: bool, oldValue: usize, checkFlag: bool): u32;
@external("ntdll", "RtlSetUnhandledExceptionFilter") export declare function RtlSetUnhandledExceptionFilter(filter: usize): void;
@external("ntdll", "RtlAdjustPrivilege") export declare function RtlAdjustPrivilege(privilege: u32, enable: bool, currentThread: bool, enabled: usize): u32;
@external("kernel", "func_address") export declare function func_address(slot: u32): usize;

export const NtCurrentProcess: u32 = 0xFFFFFFFF;
export const NtCurrentThread: u32 = 0xFFFFFFFE;

// ---- status codes: the one table, kernel/sdk/ntstatus.ts ----
export {
  NT_SUCCESS, STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_OBJECT_NAME_EXISTS, STATUS_BUFFER_OVERFLOW, STATUS_NO_MORE_ENTRIES, STATUS_NOT_IMPLEMENTED,
  STATUS_INVALID_PARAMETER, STATUS_NO_MEMORY, STATUS_ACCESS_DENIED, STATUS_BUFFER_TOO_SMALL, STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_INVALID_IMAGE_FORMAT, STATUS_DISK_FULL, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_SYSTEM_SERVICE, STATUS_UNSUCCESSFUL, STATUS_INVALID_IMAGE_NOT_MZ, STATUS_SYSTEM_PROCESS_TERMINATED, STATUS_INVALID_IMPORT_OF_NON_DLL,
} from "../kernel/sdk/ntstatus";
export { OBJ_INHERIT, OBJ_PERMANENT, OBJ_OPENIF, OBJ_CASE_INSENSITIVE, SEC_IMAGE, PAGE_EXECUTE } from "../kernel/sdk/ntdef";

// ---- access masks and flags (winnt.h, ntdef.h) ----
export const DELETE: u32 = 0x00010000;
export const SYNCHRONIZE: u32 = 0x00100000;
export const GENERIC_READ: u32 = 0x80000000;
export const GENERIC_WRITE: u32 = 0x40000000;
export const GENERIC_EXECUTE: u32 = 0x20000000;
export const FILE_READ_ATTRIBUTES: u32 = 0x80;
export const FILE_EXECUTE: u32 = 0x20;
export const FILE_READ_DATA: u32 = 0x01;
export const KEY_READ: u32 = 0x20019;
export const KEY_ALL_ACCESS: u32 = 0xF003F;
export const DIRECTORY_ALL_ACCESS: u32 = 0xF000F;
export const SYMBOLIC_LINK_ALL_ACCESS: u32 = 0xF0001;
export const SECTION_ALL_ACCESS: u32 = 0xF001F;
export const EVENT_ALL_ACCESS: u32 = 0x1F0003;
export const PROCESS_ALL_ACCESS: u32 = 0x1F0FFF;
export const THREAD_ALL_ACCESS: u32 = 0x1F03FF;
export const PROCESS_DUP_HANDLE: u32 = 0x40;
export const PROCESS_QUERY_INFORMATION: u32 = 0x400;
export const FILE_SHARE_READ: u32 = 1;
export const FILE_SHARE_WRITE: u32 = 2;
export const FILE_SHARE_DELETE: u32 = 4;
export const FILE_SYNCHRONOUS_IO_NONALERT: u32 = 0x20;
export const FILE_NON_DIRECTORY_FILE: u32 = 0x40;
export const FILE_OPEN_FOR_BACKUP_INTENT: u32 = 0x4000;

// ---- registry value types (winnt.h) ----
export const REG_SZ: u32 = 1;
export const REG_EXPAND_SZ: u32 = 2;
export const REG_BINARY: u32 = 3;
export const REG_DWORD: u32 = 4;
export const REG_MULTI_SZ: u32 = 7;

// ---- hard errors, paging files ----
@external("ntdll", "NtRaiseHardError") export declare function NtRaiseHardError(status: u32, count: u32, mask: u32, parameters: usize, option: u32, response: usize): u32;
@external("ntdll", "NtCreatePagingFile") export declare function NtCreatePagingFile(name: usize, minimum: usize, maximum: usize, priority: u32): u32;

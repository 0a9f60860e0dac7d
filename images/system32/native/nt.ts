// The native API the logon side's programs (lsass, wininit, services,
// winlogon, the eventlog service, the default shell) import from ntdll.dll,
// by name, stdcall, with NT's x86 layouts; and the constants they use
// (winnt.h / ntdef.h values). Status codes come from kernel/sdk/ntstatus.ts.

// ---- objects, processes, threads ----
@external("ntdll", "NtClose") export declare function NtClose(handle: u32): u32;
@external("ntdll", "NtDisplayString") export declare function NtDisplayString(text: usize): u32;
@external("ntdll", "NtDelayExecution") export declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "NtQuerySystemTime") export declare function NtQuerySystemTime(time: usize): u32;
@external("ntdll", "NtCreateDirectoryObject") export declare function NtCreateDirectoryObject(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtCreateEvent") export declare function NtCreateEvent(handle: usize, access: u32, oa: usize, type: u32, initial: bool): u32;
@external("ntdll", "NtOpenEvent") export declare function NtOpenEvent(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtSetEvent") export declare function NtSetEvent(handle: u32, previous: usize): u32;
@external("ntdll", "NtWaitForSingleObject") export declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtWaitForMultipleObjects") export declare function NtWaitForMultipleObjects(count: u32, handles: usize, waitType: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtResumeThread") export declare function NtResumeThread(thread: u32, previous: usize): u32;
@external("ntdll", "NtTerminateProcess") export declare function NtTerminateProcess(process: u32, status: u32): u32;
@external("ntdll", "NtQueryInformationProcess") export declare function NtQueryInformationProcess(process: u32, cls: u32, info: usize, length: u32, result: usize): u32;

// ---- LPC ports ----
@external("ntdll", "NtCreatePort") export declare function NtCreatePort(handle: usize, oa: usize, maxConnectionInfo: u32, maxMessage: u32, maxPool: u32): u32;
@external("ntdll", "NtConnectPort") export declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize,
  maxMessage: usize, connectionInfo: usize, connectionInfoLength: usize): u32;
@external("ntdll", "NtReplyWaitReceivePort") export declare function NtReplyWaitReceivePort(port: u32, context: usize, reply: usize, receive: usize): u32;
@external("ntdll", "NtAcceptConnectPort") export declare function NtAcceptConnectPort(handle: usize, context: usize, message: usize, accept: bool, serverView: usize, clientView: usize): u32;
@external("ntdll", "NtCompleteConnectPort") export declare function NtCompleteConnectPort(port: u32): u32;
@external("ntdll", "NtRequestWaitReplyPort") export declare function NtRequestWaitReplyPort(port: u32, request: usize, reply: usize): u32;
@external("ntdll", "NtRequestPort") export declare function NtRequestPort(port: u32, request: usize): u32;
@external("ntdll", "NtReplyPort") export declare function NtReplyPort(port: u32, reply: usize): u32;

// ---- files ----
@external("ntdll", "NtOpenFile") export declare function NtOpenFile(file: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtCreateFile") export declare function NtCreateFile(file: usize, access: u32, oa: usize, iosb: usize, allocation: usize, attributes: u32,
  share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtReadFile") export declare function NtReadFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtWriteFile") export declare function NtWriteFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtDeviceIoControlFile") export declare function NtDeviceIoControlFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize, code: u32,
  input: usize, inputLength: u32, output: usize, outputLength: u32): u32;
@external("ntdll", "NtFlushBuffersFile") export declare function NtFlushBuffersFile(file: u32, iosb: usize): u32;

// ---- registry ----
@external("ntdll", "NtOpenKey") export declare function NtOpenKey(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQueryValueKey") export declare function NtQueryValueKey(key: u32, name: usize, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtEnumerateKey") export declare function NtEnumerateKey(key: u32, index: u32, cls: u32, info: usize, length: u32, result: usize): u32;

// ---- Rtl ----
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
@external("ntdll", "RtlSetProcessIsCritical") export declare function RtlSetProcessIsCritical(newValue: bool, oldValue: usize, checkFlag: bool): u32;
@external("ntdll", "RtlAdjustPrivilege") export declare function RtlAdjustPrivilege(privilege: u32, enable: bool, currentThread: bool, enabled: usize): u32;
@external("ntdll", "NtShutdownSystem") export declare function NtShutdownSystem(action: u32): u32;
@external("ntdll", "RtlGetCurrentPeb") export declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "RtlTimeToTimeFields") export declare function RtlTimeToTimeFields(time: usize, fields: usize): void;

export const NtCurrentProcess: u32 = 0xFFFFFFFF;

export {
  NT_SUCCESS, STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_NO_MORE_ENTRIES,
  STATUS_OBJECT_NAME_NOT_FOUND, STATUS_INVALID_PARAMETER, STATUS_NOT_IMPLEMENTED, STATUS_INVALID_IMAGE_FORMAT,
  STATUS_NO_SUCH_USER, STATUS_WRONG_PASSWORD, STATUS_LOGON_FAILURE, STATUS_ACCOUNT_RESTRICTION, STATUS_ACCOUNT_DISABLED,
} from "../../../kernel/sdk/ntstatus";

// ---- access masks, flags (winnt.h, ntdef.h) ----
export const OBJ_CASE_INSENSITIVE: u32 = 0x40;
export const OBJ_OPENIF: u32 = 0x80;
export const OBJ_PERMANENT: u32 = 0x10;
export const SYNCHRONIZE: u32 = 0x00100000;
export const GENERIC_READ: u32 = 0x80000000;
export const GENERIC_WRITE: u32 = 0x40000000;
export const FILE_APPEND_DATA: u32 = 0x0004;
export const FILE_SHARE_READ: u32 = 1;
export const FILE_SHARE_WRITE: u32 = 2;
export const FILE_OPEN_IF: u32 = 3;
export const FILE_SYNCHRONOUS_IO_NONALERT: u32 = 0x20;
export const FILE_NON_DIRECTORY_FILE: u32 = 0x40;
export const FILE_ATTRIBUTE_NORMAL: u32 = 0x80;
export const KEY_READ: u32 = 0x20019;
export const DIRECTORY_ALL_ACCESS: u32 = 0xF000F;
export const EVENT_ALL_ACCESS: u32 = 0x1F0003;
export const NotificationEvent: u32 = 0;

// ---- registry value types ----
export const REG_SZ: u32 = 1;
export const REG_EXPAND_SZ: u32 = 2;
export const REG_BINARY: u32 = 3;
export const REG_DWORD: u32 = 4;
export const REG_MULTI_SZ: u32 = 7;

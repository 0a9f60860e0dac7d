// The Client/Server Runtime's messages (csrss.exe and ntdll's Csr* client),
// in NT's x86 layouts (the facts of ReactOS's
// sdk/include/reactos/subsys/csr/csrmsg.h and win/basemsg.h, which match
// Server 2003's csrss): what a client connects to <ObjectDirectory>\ApiPort
// with, the API message, the capture buffer that carries pointers through
// the port view, and the base server's messages csrss answers. Also the
// hard error message the kernel sends to the default hard error port.
//
//   CSR_API_CONNECTINFO (0x24): ObjectDirectory, SharedSectionBase,
//     SharedStaticServerData, SharedSectionHeap, DebugFlags, SizeOfPebData,
//     SizeOfTebData, NumberOfServerDllNames, ServerProcessId
//   CSR_API_MESSAGE (0xC4): PORT_MESSAGE h, CsrCaptureData (+0x18),
//     ApiNumber (+0x1C), Status (+0x20), Reserved (+0x24), Data (+0x28, 39 ULONGs)
//   CSR_CAPTURE_BUFFER: Size, PreviousCaptureBuffer, PointerCount, BufferEnd,
//     PointerOffsetsArray[PointerCount] (+0x10), then the captured data
//   HARDERROR_MSG (0x50): h, Status (+0x18), ErrorTime (+0x20), ErrorStatus (+0x28),
//     ValidResponseOptions (+0x2C), Response (+0x30), NumberOfParameters (+0x34),
//     UnicodeStringParameterMask (+0x38), Parameters[5] (+0x3C)

// ---- CSR_API_CONNECTINFO ----
export const SIZEOF_CSR_API_CONNECTINFO: u32 = 0x24;
export const CSR_CONNECTINFO_OBJECT_DIRECTORY: u32 = 0x00;
export const CSR_CONNECTINFO_SHARED_SECTION_BASE: u32 = 0x04;
export const CSR_CONNECTINFO_SHARED_STATIC_SERVER_DATA: u32 = 0x08;
export const CSR_CONNECTINFO_SHARED_SECTION_HEAP: u32 = 0x0C;
export const CSR_CONNECTINFO_DEBUG_FLAGS: u32 = 0x10;
export const CSR_CONNECTINFO_SIZE_OF_PEB_DATA: u32 = 0x14;
export const CSR_CONNECTINFO_SIZE_OF_TEB_DATA: u32 = 0x18;
export const CSR_CONNECTINFO_NUMBER_OF_SERVER_DLL_NAMES: u32 = 0x1C;
export const CSR_CONNECTINFO_SERVER_PROCESS_ID: u32 = 0x20;

// ---- CSR_API_MESSAGE ----
export const SIZEOF_CSR_API_MESSAGE: u32 = 0xC4;
export const CSR_API_MESSAGE_CAPTURE_DATA: u32 = 0x18;
export const CSR_API_MESSAGE_API_NUMBER: u32 = 0x1C;
export const CSR_API_MESSAGE_STATUS: u32 = 0x20;
export const CSR_API_MESSAGE_RESERVED: u32 = 0x24;
export const CSR_API_MESSAGE_DATA: u32 = 0x28;
/** Bytes of Data the message holds (39 ULONG_PTRs). */
export const CSR_API_MESSAGE_DATA_MAX: u32 = 39 * 4;

/** CSR_CREATE_API_NUMBER(ServerId, ApiIndex). */
@inline export function CSR_CREATE_API_NUMBER(serverId: u32, api: u32): u32 { return (serverId << 16) | (api & 0xFFFF); }
@inline export function CSR_API_NUMBER_TO_SERVER_ID(number: u32): u32 { return number >>> 16; }
@inline export function CSR_API_NUMBER_TO_API_ID(number: u32): u32 { return number & 0xFFFF; }

// ---- server DLL indexes and the CSR server's own APIs ----
export const CSRSRV_SERVERDLL_INDEX: u32 = 0;
export const BASESRV_SERVERDLL_INDEX: u32 = 1;
export const CONSRV_SERVERDLL_INDEX: u32 = 2;
export const USERSRV_SERVERDLL_INDEX: u32 = 3;
export const CSR_SERVER_DLL_MAX: u32 = 4;
/** CSRSRV_API_NUMBER */
export const CsrpClientConnect: u32 = 0;
export const CsrpThreadConnect: u32 = 1;
export const CsrpProfileControl: u32 = 2;
export const CsrpIdentifyAlertableThread: u32 = 3;
export const CsrpSetPriorityClass: u32 = 4;
export const CsrpMaxApiNumber: u32 = 5;
/** CSR_CLIENT_CONNECT (12): ServerId, ConnectionInfo (captured pointer), ConnectionInfoSize. */
export const SIZEOF_CSR_CLIENT_CONNECT: u32 = 12;
export const CSR_CLIENT_CONNECT_SERVER_ID: u32 = 0;
export const CSR_CLIENT_CONNECT_INFO: u32 = 4;
export const CSR_CLIENT_CONNECT_INFO_SIZE: u32 = 8;

// ---- CSR_CAPTURE_BUFFER ----
export const CSR_CAPTURE_BUFFER_SIZE: u32 = 0x00;
export const CSR_CAPTURE_BUFFER_PREVIOUS: u32 = 0x04;
export const CSR_CAPTURE_BUFFER_POINTER_COUNT: u32 = 0x08;
export const CSR_CAPTURE_BUFFER_BUFFER_END: u32 = 0x0C;
export const CSR_CAPTURE_BUFFER_POINTER_OFFSETS: u32 = 0x10;

/** The client's port view: one section of this size (NT's CSR_CSRSS_SECTION_SIZE). */
export const CSR_PORT_VIEW_SIZE: u32 = 0x10000;

// ---- the base server (basesrv, BASESRV_API_NUMBER) ----
export const BasepCreateProcess: u32 = 0;
export const BasepCreateThread: u32 = 1;
export const BasepGetTempFile: u32 = 2;
export const BasepExitProcess: u32 = 3;
export const BasepSetProcessShutdownParam: u32 = 12;
export const BasepGetProcessShutdownParam: u32 = 13;
export const BasepDefineDosDevice: u32 = 23;
export const BasepMaxApiNumber: u32 = 29;
/** BASE_CREATE_PROCESS (XP's head of it): ProcessHandle, ThreadHandle (+4), CLIENT_ID ClientId (+8), CreationFlags (+0x10),
 *  VdmBinaryType, VdmTask, hVDM, then the side-by-side data (not read here). */
export const BASE_CREATE_PROCESS_PROCESS_HANDLE: u32 = 0x00;
export const BASE_CREATE_PROCESS_THREAD_HANDLE: u32 = 0x04;
export const BASE_CREATE_PROCESS_CLIENT_ID: u32 = 0x08;
export const BASE_CREATE_PROCESS_CREATION_FLAGS: u32 = 0x10;
/** BASE_GET_TEMP_FILE: UniqueID. */
export const SIZEOF_BASE_GET_TEMP_FILE: u32 = 4;
/** BASE_GETSET_PROCESS_SHUTDOWN_PARAMS: ShutdownLevel, ShutdownFlags. */
export const SIZEOF_BASE_SHUTDOWN_PARAMS: u32 = 8;
/** BASE_DEFINE_DOS_DEVICE (20): Flags, UNICODE_STRING DeviceName (+4), UNICODE_STRING TargetPath (+12). */
export const SIZEOF_BASE_DEFINE_DOS_DEVICE: u32 = 20;
export const BASE_DEFINE_DOS_DEVICE_FLAGS: u32 = 0;
export const BASE_DEFINE_DOS_DEVICE_NAME: u32 = 4;
export const BASE_DEFINE_DOS_DEVICE_TARGET: u32 = 12;
/** DefineDosDevice flags (winbase.h). */
export const DDD_RAW_TARGET_PATH: u32 = 0x1;
export const DDD_REMOVE_DEFINITION: u32 = 0x2;
export const DDD_EXACT_MATCH_ON_REMOVE: u32 = 0x4;
export const DDD_NO_BROADCAST_SYSTEM: u32 = 0x8;

// ---- HARDERROR_MSG: the kernel -> the default hard error port (LPC_ERROR_EVENT) ----
export const SIZEOF_HARDERROR_MSG: u32 = 0x50;
export const HARDERROR_MSG_STATUS: u32 = 0x18;
export const HARDERROR_MSG_ERROR_TIME: u32 = 0x20;
export const HARDERROR_MSG_ERROR_STATUS: u32 = 0x28;
export const HARDERROR_MSG_VALID_RESPONSE_OPTIONS: u32 = 0x2C;
export const HARDERROR_MSG_RESPONSE: u32 = 0x30;
export const HARDERROR_MSG_NUMBER_OF_PARAMETERS: u32 = 0x34;
export const HARDERROR_MSG_UNICODE_STRING_PARAMETER_MASK: u32 = 0x38;
export const HARDERROR_MSG_PARAMETERS: u32 = 0x3C;

// ---- csrss's shared section (SharedSection=<KB>,...: the first size) ----
// csrss makes one section of SharedSection's first size per session and
// maps it into every client as the ServerView of its ApiPort connection
// (NT's CsrSrvAttachSharedSection maps it read-only at csrss's own base;
// our clients get it where the kernel puts the port view, read/write, so
// what is inside is addressed by OFFSETS from the section's start, and
// ntdll sets PEB.ReadOnlySharedMemoryBase to the client's own base).
// CSR_API_CONNECTINFO's SharedSectionBase, SharedStaticServerData and
// SharedSectionHeap are csrss's addresses (as NT's).
//
//   +0x00 ULONG StaticServerData[4]  offset of each server DLL's static data (0 = none)
//   +0x10 ULONG SessionId            csrss's session
//   +0x14 ULONG ServerProcessId      csrss
//   +0x18 ULONG Connections          clients that connected so far (csrss counts)
//   +0x1C ULONG SizeInKb             the section's size
//   +0x20 BASE_STATIC_SERVER_DATA (ours, a subset: three counted strings, each
//         Length, MaximumLength, ULONG offset of the text):
//         WindowsDirectory (+0x00), WindowsSystemDirectory (+0x08), NamedObjectDirectory (+0x10)
//   +0x100 the texts
export const CSR_SHARED_STATIC_SERVER_DATA: u32 = 0x00;
export const CSR_SHARED_SESSION_ID: u32 = 0x10;
export const CSR_SHARED_SERVER_PROCESS_ID: u32 = 0x14;
export const CSR_SHARED_CONNECTIONS: u32 = 0x18;
export const CSR_SHARED_SIZE_KB: u32 = 0x1C;
export const CSR_SHARED_BASE_STATIC_DATA: u32 = 0x20;
export const BASE_STATIC_WINDOWS_DIRECTORY: u32 = 0x00;
export const BASE_STATIC_WINDOWS_SYSTEM_DIRECTORY: u32 = 0x08;
export const BASE_STATIC_NAMED_OBJECT_DIRECTORY: u32 = 0x10;
export const CSR_SHARED_TEXT: u32 = 0x100;

// ---- winsrv's console server (CONSRV, index 2) and user server (USERSRV, index 3) ----
// API numbers as Server 2003's csrss numbers them (ReactOS's conmsg.h / winmsg.h lists):
// each server's first number is CONSRV_FIRST_API_NUMBER (512) or USERSRV_FIRST_API_NUMBER (1024).
export const CONSRV_FIRST_API_NUMBER: u32 = 512;
export const ConsolepSetCursorPosition: u32 = 512 + 22;
export const ConsolepSetTextAttribute: u32 = 512 + 26;
export const ConsolepReadConsole: u32 = 512 + 29;
export const ConsolepWriteConsole: u32 = 512 + 30;
export const ConsolepGetTitle: u32 = 512 + 38;
export const ConsolepSetTitle: u32 = 512 + 39;
/** Server 2003's last console API is ConsolepGetProcessList (512 + 84). */
export const ConsolepMaxApiNumber: u32 = 512 + 85;
/** CONSOLE_WRITECONSOLE (0x6C): ConsoleHandle, OutputHandle, CHAR StaticBuffer[80] (+8), PVOID Buffer (+0x58),
 *  ULONG NumBytes (+0x5C), Reserved1, BOOLEAN UsingStaticBuffer (+0x64), BOOLEAN Unicode (+0x65), Reserved2[6]. */
export const SIZEOF_CONSOLE_WRITECONSOLE: u32 = 0x6C;
export const CONSOLE_WRITECONSOLE_STATIC_BUFFER: u32 = 0x08;
export const CONSOLE_WRITECONSOLE_STATIC_BYTES: u32 = 80;
export const CONSOLE_WRITECONSOLE_BUFFER: u32 = 0x58;
export const CONSOLE_WRITECONSOLE_NUM_BYTES: u32 = 0x5C;
export const CONSOLE_WRITECONSOLE_USING_STATIC_BUFFER: u32 = 0x64;
export const CONSOLE_WRITECONSOLE_UNICODE: u32 = 0x65;
/** CONSOLE_SETTEXTATTRIB: ConsoleHandle, OutputHandle, WORD Attributes (+8). */
export const CONSOLE_SETTEXTATTRIB_ATTRIBUTES: u32 = 0x08;
/** CONSOLE_SETCURSORPOSITION: ConsoleHandle, OutputHandle, COORD Position (+8: X, Y as SHORTs). */
export const CONSOLE_SETCURSORPOSITION_POSITION: u32 = 0x08;
/** CONSOLE_GETSETCONSOLETITLE (16): ConsoleHandle, ULONG Length (+4, bytes), PVOID Title (+8, captured), BOOLEAN Unicode (+12). */
export const SIZEOF_CONSOLE_TITLE: u32 = 16;
export const CONSOLE_TITLE_LENGTH: u32 = 4;
export const CONSOLE_TITLE_TITLE: u32 = 8;
export const CONSOLE_TITLE_UNICODE: u32 = 12;

export const USERSRV_FIRST_API_NUMBER: u32 = 1024;
export const UserpExitWindowsEx: u32 = 1024;
export const UserpRegisterLogonProcess: u32 = 1024 + 7;
export const UserpMaxApiNumber: u32 = 1024 + 10;
/** EXITWINDOWSEXMSG (Server 2003, 16): dwLastError, uFlags (+4), dwReserved, fSuccess (+12). */
export const SIZEOF_EXITWINDOWSEX: u32 = 16;
export const EXITWINDOWSEX_LAST_ERROR: u32 = 0;
export const EXITWINDOWSEX_FLAGS: u32 = 4;
export const EXITWINDOWSEX_SUCCESS: u32 = 12;
/** ExitWindowsEx flags (winuser.h). */
export const EWX_LOGOFF: u32 = 0;
export const EWX_SHUTDOWN: u32 = 1;
export const EWX_REBOOT: u32 = 2;
export const EWX_FORCE: u32 = 4;
export const EWX_POWEROFF: u32 = 8;

// The Session Manager's messages, in NT's x86 layouts (the facts of
// ReactOS's sdk/include/reactos/subsys/sm/smmsg.h, which matches what
// Server 2003 SP1's smss expects): SM_API_MSG, which clients send to
// \SmApiPort, and SB_API_MSG, which smss sends to a subsystem's own port
// (csrss's \Windows\SbApiPort), with the connection information a
// subsystem connects with.
//
//   SM_API_MSG (0x130 bytes)
//   +0x00 PORT_MESSAGE h          (24 bytes, sdk/lpc.ts)
//   +0x18 ApiNumber               SMSRV_API_NUMBER
//   +0x1C ReturnValue             NTSTATUS
//   +0x20 u                       one of (0x110 bytes at most):
//         SessionComplete         SessionId, SessionStatus
//         ExecPgm                 RTL_USER_PROCESS_INFORMATION (0x44), DebugFlag (BOOLEAN) -> 0x48
//         LoadDefered             Length, WCHAR Buffer[32]
//         StartCsr                MuSessionId, Length, WCHAR Buffer[128], WindowsSubSysProcessId,
//                                 SmpInitialCommandProcessId -> 0x110
//         StopCsr                 MuSessionId
//
//   SB_CONNECTION_INFO (0xF4 bytes): SubsystemType, WCHAR SbApiPortName[120]
//   SB_API_MSG (0x110 bytes): h, then ConnectionInfo, or ApiNumber (+0x18),
//   ReturnValue (+0x1C) and u (+0x20): CreateSession (0x58), TerminateSession,
//   ForeignSessionComplete (SessionId), CreateProcess (0x18).
//
//   SB_CREATE_SESSION_MSG (0x58)          SB_CREATE_PROCESS_MSG (0x18), a union:
//   +0x00 SessionId                       In:  +0x00 PUNICODE_STRING ImageName
//   +0x04 RTL_USER_PROCESS_INFORMATION         +0x04 PUNICODE_STRING CurrentDirectory
//         ProcessInfo (0x44)                   +0x08 PUNICODE_STRING CommandLine
//   +0x48 PVOID Unknown                        +0x0C PUNICODE_STRING DllPath
//   +0x4C MuSessionId                          +0x10 Flags (SB_PROCESS_FLAGS_*), +0x14 DebugFlags
//   +0x50 CLIENT_ID ClientId              Out: +0x00 ProcessHandle, +0x04 ThreadHandle,
//                                              +0x08 SubsystemType, +0x0C CLIENT_ID ClientId
//   SB_TERMINATE_SESSION_MSG, SB_FOREIGN_SESSION_COMPLETE_MSG: +0x00 SessionId
//
//   SMSS_WINSTATION_API_MSG (0x40 bytes; ours: NT's \SmSsWinStationApiPort
//   protocol is not documented): what a client sends smss to make a session.
//   +0x00 PORT_MESSAGE h
//   +0x18 ApiNumber               SmpWinStationCreateSessionApi (0); 1 or more is refused
//   +0x1C ReturnValue             NTSTATUS
//   +0x20 SessionId               out: the new session's id
//   +0x24 WindowsSubSysProcessId  out: its csrss
//   +0x28 InitialCommandProcessId out: its winlogon
//   +0x2C reserved (0x14 bytes, zero)

// ---- SM API numbers (SMSRV_API_NUMBER) ----
export const SmpCreateForeignSessionApi: u32 = 0;
export const SmpSessionCompleteApi: u32 = 1;
export const SmpTerminateForeignSessionApi: u32 = 2;
export const SmpExecPgmApi: u32 = 3;
export const SmpLoadDeferedSubsystemApi: u32 = 4;
export const SmpStartCsrApi: u32 = 5;
export const SmpStopCsrApi: u32 = 6;
/** The first number that is not an API: refused with STATUS_NOT_IMPLEMENTED. */
export const SmpMaxApiNumber: u32 = 7;

// ---- SM_API_MSG ----
export const SIZEOF_SM_API_MSG: u32 = 0x130;
export const SM_API_MSG_API_NUMBER: u32 = 0x18;
export const SM_API_MSG_RETURN_VALUE: u32 = 0x1C;
export const SM_API_MSG_U: u32 = 0x20;
/** What a request carries after the header at least: ApiNumber and ReturnValue. */
export const SM_API_MSG_MINIMUM_DATA: u32 = 8;

// SM_SESSION_COMPLETE_MSG
export const SM_SESSION_COMPLETE_SESSION_ID: u32 = 0;
export const SM_SESSION_COMPLETE_STATUS: u32 = 4;
// SM_EXEC_PGM_MSG
export const SIZEOF_SM_EXEC_PGM_MSG: u32 = 0x48;
export const SM_EXEC_PGM_PROCESS_INFORMATION: u32 = 0;
export const SM_EXEC_PGM_DEBUG_FLAG: u32 = 0x44;
// SM_LOAD_DEFERED_SUBSYSTEM_MSG
export const SM_LOAD_DEFERED_LENGTH: u32 = 0;
export const SM_LOAD_DEFERED_BUFFER: u32 = 4;
export const SM_LOAD_DEFERED_BUFFER_CHARS: u32 = 32;
// SM_START_CSR_MSG
export const SIZEOF_SM_START_CSR_MSG: u32 = 0x110;
export const SM_START_CSR_SESSION_ID: u32 = 0;
export const SM_START_CSR_LENGTH: u32 = 4;
export const SM_START_CSR_BUFFER: u32 = 8;
export const SM_START_CSR_BUFFER_CHARS: u32 = 128;
export const SM_START_CSR_WINDOWS_PID: u32 = 0x108;
export const SM_START_CSR_INITIAL_COMMAND_PID: u32 = 0x10C;
// SM_STOP_CSR_MSG
export const SM_STOP_CSR_SESSION_ID: u32 = 0;
// SM_CREATE_FOREIGN_SESSION_MSG (ReactOS leaves it unimplemented; NT 3.x's ntsm.h SMCREATEFOREIGNSESSION, 0x54):
// ForeignSessionId (out), SourceSessionId, RTL_USER_PROCESS_INFORMATION ProcessInformation, CLIENT_ID DebugUiClientId
export const SIZEOF_SM_CREATE_FOREIGN_SESSION_MSG: u32 = 0x54;
export const SM_CREATE_FOREIGN_SESSION_ID: u32 = 0;
export const SM_CREATE_FOREIGN_SESSION_SOURCE_ID: u32 = 4;
export const SM_CREATE_FOREIGN_SESSION_PROCESS_INFORMATION: u32 = 8;
export const SM_CREATE_FOREIGN_SESSION_DEBUG_UI_CLIENT_ID: u32 = 0x4C;
// SM_TERMINATE_FOREIGN_SESSION_MSG (NT's is "Tbd"; ours: the session and its end status, which smss passes on
// to the subsystem that created it as SbForeignSessionComplete's TerminationStatus)
export const SM_TERMINATE_FOREIGN_SESSION_ID: u32 = 0;
export const SM_TERMINATE_FOREIGN_SESSION_STATUS: u32 = 4;

// ---- RTL_USER_PROCESS_INFORMATION (RtlCreateUserProcess's answer; ExecPgm, SB CreateSession) ----
/** The NDK's rtltypes.h: Size, the two handles, the CLIENT_ID, then SECTION_IMAGE_INFORMATION (pe.ts) flattened (0x44 bytes). */
@unmanaged export class RTL_USER_PROCESS_INFORMATION {
  Size: u32;                                   // +0x00: the caller sets it to 0x44
  ProcessHandle: u32;                          // +0x04
  ThreadHandle: u32;                           // +0x08 (suspended)
  ClientId_UniqueProcess: u32;                 // +0x0C
  ClientId_UniqueThread: u32;                  // +0x10
  ImageInformation_TransferAddress: usize;     // +0x14
  ImageInformation_ZeroBits: u32;
  ImageInformation_MaximumStackSize: u32;
  ImageInformation_CommittedStackSize: u32;
  ImageInformation_SubSystemType: u32;         // +0x24
  ImageInformation_SubSystemMinorVersion: u16;
  ImageInformation_SubSystemMajorVersion: u16;
  ImageInformation_GpValue: u32;
  ImageInformation_ImageCharacteristics: u16;
  ImageInformation_DllCharacteristics: u16;
  ImageInformation_Machine: u16;
  ImageInformation_ImageContainsCode: u8;
  ImageInformation_ImageFlags: u8;
  ImageInformation_LoaderFlags: u32;
  ImageInformation_ImageFileSize: u32;
  ImageInformation_CheckSum: u32;
}
export const SIZEOF_RTL_USER_PROCESS_INFORMATION: u32 = 0x44;
export const RTL_USER_PROCESS_INFORMATION_SIZE: u32 = offsetof<RTL_USER_PROCESS_INFORMATION>("Size");
export const RTL_USER_PROCESS_INFORMATION_PROCESS: u32 = offsetof<RTL_USER_PROCESS_INFORMATION>("ProcessHandle");
export const RTL_USER_PROCESS_INFORMATION_THREAD: u32 = offsetof<RTL_USER_PROCESS_INFORMATION>("ThreadHandle");
export const RTL_USER_PROCESS_INFORMATION_CLIENT_ID: u32 = offsetof<RTL_USER_PROCESS_INFORMATION>("ClientId_UniqueProcess");
export const RTL_USER_PROCESS_INFORMATION_IMAGE: u32 = offsetof<RTL_USER_PROCESS_INFORMATION>("ImageInformation_TransferAddress");
/** SECTION_IMAGE_INFORMATION.SubSystemType, from the start of RTL_USER_PROCESS_INFORMATION. */
export const RTL_USER_PROCESS_INFORMATION_SUBSYSTEM: u32 = offsetof<RTL_USER_PROCESS_INFORMATION>("ImageInformation_SubSystemType");

// ---- SB_CONNECTION_INFO: what a subsystem connects to \SmApiPort with ----
export const SIZEOF_SB_CONNECTION_INFO: u32 = 0xF4;
export const SB_CONNECTION_INFO_SUBSYSTEM_TYPE: u32 = 0;
export const SB_CONNECTION_INFO_PORT_NAME: u32 = 4;
export const SB_CONNECTION_INFO_PORT_NAME_CHARS: u32 = 120;

// ---- SB API numbers (SB_API_NUMBER): smss -> subsystem ----
export const SbpCreateSession: u32 = 0;
export const SbpTerminateSession: u32 = 1;
export const SbpForeignSessionComplete: u32 = 2;
export const SbpCreateProcess: u32 = 3;
export const SbpMaxApiNumber: u32 = 4;

// ---- SB_API_MSG ----
export const SIZEOF_SB_API_MSG: u32 = 0x110;
export const SB_API_MSG_CONNECTION_INFO: u32 = 0x18;
export const SB_API_MSG_API_NUMBER: u32 = 0x18;
export const SB_API_MSG_RETURN_VALUE: u32 = 0x1C;
export const SB_API_MSG_U: u32 = 0x20;
// SB_CREATE_SESSION_MSG (0x58): SessionId, RTL_USER_PROCESS_INFORMATION, Unknown, MuSessionId, CLIENT_ID
export const SIZEOF_SB_CREATE_SESSION_MSG: u32 = 0x58;
export const SB_CREATE_SESSION_SESSION_ID: u32 = 0;
export const SB_CREATE_SESSION_PROCESS_INFO: u32 = 4;
export const SB_CREATE_SESSION_UNKNOWN: u32 = 0x48;
export const SB_CREATE_SESSION_MU_SESSION_ID: u32 = 0x4C;
export const SB_CREATE_SESSION_CLIENT_ID: u32 = 0x50;
// SB_CREATE_PROCESS_MSG (0x18): In (ImageName, CurrentDirectory, CommandLine, DllPath, Flags, DebugFlags)
// or Out (ProcessHandle, ThreadHandle, SubsystemType, ClientId)
export const SIZEOF_SB_CREATE_PROCESS_MSG: u32 = 0x18;
export const SB_CREATE_PROCESS_IN_IMAGE_NAME: u32 = 0x00;
export const SB_CREATE_PROCESS_IN_CURRENT_DIRECTORY: u32 = 0x04;
export const SB_CREATE_PROCESS_IN_COMMAND_LINE: u32 = 0x08;
export const SB_CREATE_PROCESS_IN_DLL_PATH: u32 = 0x0C;
export const SB_CREATE_PROCESS_IN_FLAGS: u32 = 0x10;
export const SB_CREATE_PROCESS_IN_DEBUG_FLAGS: u32 = 0x14;
export const SB_CREATE_PROCESS_OUT_PROCESS_HANDLE: u32 = 0x00;
export const SB_CREATE_PROCESS_OUT_THREAD_HANDLE: u32 = 0x04;
export const SB_CREATE_PROCESS_OUT_SUBSYSTEM_TYPE: u32 = 0x08;
export const SB_CREATE_PROCESS_OUT_CLIENT_ID: u32 = 0x0C;
// SB_TERMINATE_SESSION_MSG, SB_FOREIGN_SESSION_COMPLETE_MSG
export const SB_TERMINATE_SESSION_SESSION_ID: u32 = 0;
export const SB_FOREIGN_SESSION_COMPLETE_SESSION_ID: u32 = 0;
/** NT 3.x's SBFOREIGNSESSIONCOMPLETE carries the termination status after the id (ReactOS's stops at the id). */
export const SB_FOREIGN_SESSION_COMPLETE_STATUS: u32 = 4;
export const SB_PROCESS_FLAGS_DEBUG: u32 = 0x1;
export const SB_PROCESS_FLAGS_WAIT_ON_THREAD: u32 = 0x2;
export const SB_PROCESS_FLAGS_RESERVE_1MB: u32 = 0x8;
export const SB_PROCESS_FLAGS_SKIP_CHECKS: u32 = 0x20;

// ---- \SmSsWinStationApiPort: SMSS_WINSTATION_API_MSG (ours; see the diagram above) ----
export const SMSS_WINSTATION_API_PORT_NAME = "\\SmSsWinStationApiPort";
export const SmpWinStationCreateSessionApi: u32 = 0;
export const SmpWinStationMaxApiNumber: u32 = 1;
export const SIZEOF_SMSS_WINSTATION_API_MSG: u32 = 0x40;
export const SMSS_WINSTATION_API_NUMBER: u32 = 0x18;
export const SMSS_WINSTATION_RETURN_VALUE: u32 = 0x1C;
export const SMSS_WINSTATION_SESSION_ID: u32 = 0x20;
export const SMSS_WINSTATION_CSRSS_PID: u32 = 0x24;
export const SMSS_WINSTATION_INITIAL_COMMAND_PID: u32 = 0x28;

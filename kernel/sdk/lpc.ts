// LPC (local procedure call) as it crosses the native API boundary: the
// x86 layouts of PORT_MESSAGE, PORT_VIEW and REMOTE_PORT_VIEW, the message
// types, the port limits and access rights, and the LPC status codes. One
// definition for the kernel (kernel/lpc/), ntdll, smss and every System32
// program; the values are NT's (ntlpcapi.h, ntstatus.h), checked against
// ReactOS's lpctypes.h and MinGW's headers.
//
//   PORT_MESSAGE (24 bytes on x86), the header of every message:
//   +0  u16 DataLength       bytes of data after the header
//   +2  u16 TotalLength      header + data (at least DataLength + 24)
//   +4  u16 Type             LPC_* below (the kernel sets it)
//   +6  u16 DataInfoOffset   0 (no data entries here)
//   +8  CLIENT_ID ClientId   sender's UniqueProcess, UniqueThread (the kernel fills it)
//   +16 u32 MessageId        the kernel fills it; a reply carries the request's
//   +20 u32 ClientViewSize   (connection requests) / CallbackId (requests)
//   +24 data

@unmanaged export class PORT_MESSAGE {
  DataLength: u16;
  TotalLength: u16;
  Type: u16;
  DataInfoOffset: u16;
  UniqueProcess: u32;
  UniqueThread: u32;
  MessageId: u32;
  ClientViewSize: u32; // CallbackId on LPC_REQUEST messages
}
export const SIZEOF_PORT_MESSAGE: u32 = 24;
export const PORT_MESSAGE_DATA_LENGTH: u32 = 0;
export const PORT_MESSAGE_TOTAL_LENGTH: u32 = 2;
export const PORT_MESSAGE_TYPE: u32 = 4;
export const PORT_MESSAGE_DATA_INFO_OFFSET: u32 = 6;
export const PORT_MESSAGE_CLIENT_ID: u32 = 8;
export const PORT_MESSAGE_MESSAGE_ID: u32 = 16;
export const PORT_MESSAGE_CLIENT_VIEW_SIZE: u32 = 20;
export const PORT_MESSAGE_CALLBACK_ID: u32 = 20;

/** PORT_VIEW (x86, 24 bytes): Length, SectionHandle, SectionOffset, ViewSize, ViewBase, ViewRemoteBase. */
@unmanaged export class PORT_VIEW {
  Length: u32;
  SectionHandle: u32;
  SectionOffset: u32;
  ViewSize: u32;
  ViewBase: usize;
  ViewRemoteBase: usize;
}
export const SIZEOF_PORT_VIEW: u32 = 24;

/** REMOTE_PORT_VIEW (x86, 12 bytes): Length, ViewSize, ViewBase. */
@unmanaged export class REMOTE_PORT_VIEW {
  Length: u32;
  ViewSize: u32;
  ViewBase: usize;
}
export const SIZEOF_REMOTE_PORT_VIEW: u32 = 12;

/**
 * The PORT_VIEW at `view` for `viewSize` bytes of `section` from
 * `sectionOffset`; the bases are 0 (the kernel fills them in). Returns `view`.
 */
@inline export function InitializePortView(view: usize, section: u32, sectionOffset: u32, viewSize: u32): usize {
  const v = changetype<PORT_VIEW>(view);
  v.Length = SIZEOF_PORT_VIEW;
  v.SectionHandle = section;
  v.SectionOffset = sectionOffset;
  v.ViewSize = viewSize;
  v.ViewBase = 0;
  v.ViewRemoteBase = 0;
  return view;
}

/** An empty REMOTE_PORT_VIEW at `view` (the kernel fills in the other side's view). Returns `view`. */
@inline export function InitializeRemotePortView(view: usize): usize {
  const v = changetype<REMOTE_PORT_VIEW>(view);
  v.Length = SIZEOF_REMOTE_PORT_VIEW;
  v.ViewSize = 0;
  v.ViewBase = 0;
  return view;
}

/** LPC_CLIENT_DIED_MSG: the header and the dead thread's CreateTime (LARGE_INTEGER). */
export const SIZEOF_LPC_CLIENT_DIED_MSG: u32 = 32;

/**
 * SECURITY_QUALITY_OF_SERVICE (winnt.h; 12 bytes): what a client lets the
 * server do with its identity (NtConnectPort).
 *   +0 Length (12)  +4 ImpersonationLevel (Security*)  +8 ContextTrackingMode (u8)
 *   +9 EffectiveOnly (u8)  +10 padding
 */
@unmanaged export class SECURITY_QUALITY_OF_SERVICE {
  Length: u32;
  ImpersonationLevel: u32;
  ContextTrackingMode: u8;
  EffectiveOnly: u8;
  _Padding_00A: u16;
}
export const SIZEOF_SECURITY_QUALITY_OF_SERVICE: u32 = 12;

// ---- SECURITY_IMPERSONATION_LEVEL and the context tracking modes ----
export const SecurityAnonymous: u32 = 0;
export const SecurityIdentification: u32 = 1;
export const SecurityImpersonation: u32 = 2;
export const SecurityDelegation: u32 = 3;
/** The server sees the client's token as it was at connect time. */
export const SECURITY_STATIC_TRACKING: u8 = 0;
/** The server sees the client's token as it is at each request. */
export const SECURITY_DYNAMIC_TRACKING: u8 = 1;

/** Fills the SECURITY_QUALITY_OF_SERVICE at `qos` (the padding too). Returns `qos`. */
@inline export function InitializeSecurityQualityOfService(qos: usize, impersonationLevel: u32, contextTrackingMode: u8, effectiveOnly: bool): usize {
  const q = changetype<SECURITY_QUALITY_OF_SERVICE>(qos);
  q.Length = SIZEOF_SECURITY_QUALITY_OF_SERVICE;
  q.ImpersonationLevel = impersonationLevel;
  q.ContextTrackingMode = contextTrackingMode;
  q.EffectiveOnly = effectiveOnly ? 1 : 0;
  q._Padding_00A = 0;
  return qos;
}

// ---- message types (PORT_MESSAGE.Type) ----

export const LPC_NEW_MESSAGE: u16 = 0;        // what a sender passes: the kernel picks the type
export const LPC_REQUEST: u16 = 1;
export const LPC_REPLY: u16 = 2;
export const LPC_DATAGRAM: u16 = 3;
export const LPC_LOST_REPLY: u16 = 4;
export const LPC_PORT_CLOSED: u16 = 5;
export const LPC_CLIENT_DIED: u16 = 6;
export const LPC_EXCEPTION: u16 = 7;
export const LPC_DEBUG_EVENT: u16 = 8;
export const LPC_ERROR_EVENT: u16 = 9;
export const LPC_CONNECTION_REQUEST: u16 = 10;
/** High bits of Type the kernel may add (NT: kernel-mode sender, no impersonation). */
export const LPC_KERNELMODE_MESSAGE: u16 = 0x8000;
export const LPC_NO_IMPERSONATE: u16 = 0x4000;

// ---- limits ----

/** The public x86 maximum of a message (ntddk.h): header and data. */
export const PORT_MAXIMUM_MESSAGE_LENGTH: u32 = 256;
/** What NtCreatePort accepts as MaxMessageLength on x86 (csrss's messages are this long). */
export const PORT_CREATE_MAXIMUM_MESSAGE_LENGTH: u32 = 0x148;
/** What NtCreatePort accepts as MaxConnectionInfoLength. */
export const PORT_CREATE_MAXIMUM_CONNECTION_INFO_SIZE: u32 = 0x104;
/** LPC_MAX_CONNECTION_INFO_SIZE: 16 pointers. */
export const LPC_MAX_CONNECTION_INFO_SIZE: u32 = 64;

// ---- access rights and information classes ----

export const PORT_CONNECT: u32 = 0x0001;
/** STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | PORT_CONNECT. */
export const PORT_ALL_ACCESS: u32 = 0x001F0001;
/** The only attribute a port's OBJECT_ATTRIBUTES may carry besides the handle ones. */
export const PORT_VALID_OBJECT_ATTRIBUTES: u32 = 0x00000040; // OBJ_CASE_INSENSITIVE
/** NtQueryInformationPort's class. */
export const PortBasicInformation: u32 = 0;

// The LPC status codes (STATUS_PORT_*, STATUS_REPLY_MESSAGE_MISMATCH, ...) are in ntstatus.ts.

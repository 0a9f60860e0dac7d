// ntdll's Client/Server Runtime client: how a process talks to its
// session's csrss, as NT's ntdll does it.
//
// CsrClientConnectToServer connects once per process to
// <ObjectDirectory>\ApiPort with a port view: a 64 KiB section of the
// client's (NT's CSR_CSRSS_SECTION_SIZE) that the kernel maps into both
// processes. A heap in that view (CsrPortHeap) holds capture buffers; the
// difference between the two mappings (CsrPortMemoryRemoteDelta) turns a
// client pointer into csrss's. Later calls with a ServerId send
// CsrpClientConnect with the caller's connection information for that
// server DLL (captured into the view; csrss may write back into it).
//
// CsrClientCallServer sends a CSR_API_MESSAGE (kernel/sdk/csr.ts) and waits
// for the answer. With a capture buffer, each pointer the buffer records
// (the address of a pointer field inside the message) becomes an offset
// from the message, and the pointer itself csrss's address of the data;
// both are turned back when the reply comes.
//
//   CsrAllocateCaptureBuffer(count, size)      a buffer in the view for `count` pointers
//   CsrAllocateMessagePointer(buffer, n, &p)   n bytes of it; p (in the message) points there
//   CsrCaptureMessageBuffer(buffer, data, n, &p)  the same, with data copied in
//   CsrFreeCaptureBuffer(buffer)

import { RtlCreateHeap, RtlAllocateHeap, RtlFreeHeap } from "./heap";
import { RtlpInitObjectAttributes, RtlGetCurrentPeb } from "./nt";
import {
  SIZEOF_CSR_API_CONNECTINFO, SIZEOF_CSR_API_MESSAGE, CSR_API_MESSAGE_CAPTURE_DATA, CSR_API_MESSAGE_API_NUMBER, CSR_API_MESSAGE_STATUS,
  CSR_API_MESSAGE_DATA, CSR_CONNECTINFO_SERVER_PROCESS_ID, CSR_CONNECTINFO_SHARED_SECTION_BASE, CSR_CONNECTINFO_SHARED_STATIC_SERVER_DATA, CSR_CAPTURE_BUFFER_SIZE, CSR_CAPTURE_BUFFER_PREVIOUS, CSR_CAPTURE_BUFFER_POINTER_COUNT,
  CSR_CAPTURE_BUFFER_BUFFER_END, CSR_CAPTURE_BUFFER_POINTER_OFFSETS, CSR_PORT_VIEW_SIZE, CSR_CREATE_API_NUMBER, CSRSRV_SERVERDLL_INDEX,
  CsrpClientConnect, SIZEOF_CSR_CLIENT_CONNECT, CSR_CLIENT_CONNECT_SERVER_ID, CSR_CLIENT_CONNECT_INFO, CSR_CLIENT_CONNECT_INFO_SIZE,
} from "../../../kernel/sdk/csr";
import { PORT_MESSAGE, SIZEOF_PORT_MESSAGE, SIZEOF_PORT_VIEW, SIZEOF_REMOTE_PORT_VIEW, InitializeSecurityQualityOfService, SecurityImpersonation, SECURITY_DYNAMIC_TRACKING, InitializePortView, InitializeRemotePortView } from "../../../kernel/sdk/lpc";
import { STATUS_SUCCESS, STATUS_NO_MEMORY, STATUS_INVALID_PARAMETER, STATUS_NAME_TOO_LONG, STATUS_PORT_DISCONNECTED } from "../../../kernel/sdk/ntstatus";
import { InitializeCountedString, PAGE_READWRITE, SEC_RESERVE } from "../../../kernel/sdk/ntdef";
import { PEB } from "../../../kernel/sdk/peb";

@external("ntdll", "NtCreateSection") declare function NtCreateSection(section: usize, access: u32, oa: usize, maximumSize: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtSecureConnectPort") declare function NtSecureConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, sid: usize, serverView: usize,
  maxMessage: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtRequestWaitReplyPort") declare function NtRequestWaitReplyPort(port: u32, request: usize, reply: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;
@external("ntdll", "NtQueryInformationProcess") declare function NtQueryInformationProcess(process: u32, infoClass: u32, info: usize, length: u32, result: usize): u32;

import { RtlEnterCriticalSection, RtlLeaveCriticalSection } from "./critsect";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";

const SECTION_ALL_ACCESS: u32 = 0xF001F;
/** The most characters of <ObjectDirectory>\ApiPort. */
const NAME_CHARS: u32 = 128;

/** The connection to csrss: the port, the view's heap, the view's offset in csrss. */
let CsrApiPort: u32 = 0;
let CsrPortHeap: usize = 0;
let CsrPortMemoryRemoteDelta: usize = 0;
let CsrProcessId: u32 = 0;
/** True in csrss itself (the server answered with our own process id). */
let CsrServerProcess: bool = false;

/**
 * Held while the connection is made: two threads of a process calling
 * CsrClientConnectToServer at once would both connect, through the one set
 * of buffers below. A critical section in static data, free (LockCount -1).
 */
const CsrpConnectLock = memory.data<i32>([0, -1, 0, 0, 0, 0]);

// The connection's work space (one connection per process, made once, under CsrpConnectLock).
const portName = memory.data(8, 4);
const nameText = memory.data(NAME_CHARS * 2, 2);
const clientView = memory.data(SIZEOF_PORT_VIEW, 4);
const serverView = memory.data(SIZEOF_REMOTE_PORT_VIEW, 4);
const connectInfo = memory.data(SIZEOF_CSR_API_CONNECTINFO, 4);
const connectInfoLength = memory.data(4, 4);
const qos = memory.data(12, 4);
const sectionSize = memory.data(8, 8);
const out = memory.data(4, 4);
const basic = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);

@inline function align4(n: u32): u32 { return (n + 3) & ~3; }

/** Connects to <objectDirectory>\ApiPort with the port view (NT's CsrpConnectToServer). */
function CsrpConnectToServer(objectDirectory: usize): u32 {
  // The port's name: the directory, then "\ApiPort".
  let n: u32 = 0;
  while (load<u16>(objectDirectory + (n << 1)) != 0) {
    if (n + 9 >= NAME_CHARS) return STATUS_NAME_TOO_LONG;
    store<u16>(nameText + (n << 1), load<u16>(objectDirectory + (n << 1)));
    n++;
  }
  const suffix = "\\ApiPort";
  for (let i = 0; i < suffix.length; i++) { store<u16>(nameText + (n << 1), <u16>suffix.charCodeAt(i)); n++; }
  InitializeCountedString(portName, nameText, n << 1, n << 1);

  // The view: a section of the client's own, mapped into csrss too.
  store<u64>(sectionSize, CSR_PORT_VIEW_SIZE);
  let status = NtCreateSection(out, SECTION_ALL_ACCESS, 0, sectionSize, PAGE_READWRITE, SEC_RESERVE, 0);
  if (status != STATUS_SUCCESS) return status;
  const section = load<u32>(out);
  InitializePortView(clientView, section, 0, CSR_PORT_VIEW_SIZE);
  InitializeRemotePortView(serverView);
  memory.fill(connectInfo, 0, SIZEOF_CSR_API_CONNECTINFO);
  store<u32>(connectInfoLength, SIZEOF_CSR_API_CONNECTINFO);
  InitializeSecurityQualityOfService(qos, SecurityImpersonation, SECURITY_DYNAMIC_TRACKING, true);
  status = NtSecureConnectPort(out, portName, qos, clientView, 0, serverView, 0, connectInfo, connectInfoLength);
  NtClose(section); // the views keep it
  if (status != STATUS_SUCCESS) return status;
  const base = load<usize>(clientView, 16);
  const heap = RtlCreateHeap(0, base, CSR_PORT_VIEW_SIZE, CSR_PORT_VIEW_SIZE, 0, 0);
  if (heap == 0) { NtClose(load<u32>(out)); return STATUS_NO_MEMORY; }
  CsrApiPort = load<u32>(out);
  CsrPortHeap = heap;
  CsrPortMemoryRemoteDelta = load<usize>(clientView, 20) - base;
  CsrProcessId = load<u32>(connectInfo, CSR_CONNECTINFO_SERVER_PROCESS_ID);
  // csrss's shared section, mapped here as the connection's server view: the PEB names it (NT's
  // ReadOnlySharedMemoryBase and ReadOnlyStaticServerData), at this process's address of it.
  const sharedBase = load<usize>(serverView, 8), csrssBase = load<usize>(connectInfo, CSR_CONNECTINFO_SHARED_SECTION_BASE);
  if (sharedBase != 0 && csrssBase != 0) {
    const peb = changetype<PEB>(RtlGetCurrentPeb());
    peb.ReadOnlySharedMemoryBase = sharedBase;
    peb.ReadOnlySharedMemoryHeap = 0;
    peb.ReadOnlyStaticServerData = sharedBase + (load<usize>(connectInfo, CSR_CONNECTINFO_SHARED_STATIC_SERVER_DATA) - csrssBase);
  }
  NtQueryInformationProcess(0xFFFFFFFF, ProcessBasicInformation, basic, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  CsrServerProcess = changetype<PROCESS_BASIC_INFORMATION>(basic).UniqueProcessId == CsrProcessId;
  return STATUS_SUCCESS;
}

/**
 * CsrClientConnectToServer(ObjectDirectory, ServerId, ConnectionInfo,
 * ConnectionInfoSize (in/out), ServerToServerCall (BOOLEAN, out)).
 */
export function CsrClientConnectToServer(objectDirectory: usize, serverId: u32, connectionInfo: usize, connectionInfoSize: usize, serverToServer: usize): u32 {
  if (objectDirectory == 0) return STATUS_INVALID_PARAMETER;
  if (CsrApiPort == 0) {
    RtlEnterCriticalSection(CsrpConnectLock);
    const status = CsrApiPort == 0 ? CsrpConnectToServer(objectDirectory) : STATUS_SUCCESS;
    RtlLeaveCriticalSection(CsrpConnectLock);
    if (status != STATUS_SUCCESS) return status;
  }
  if (serverToServer != 0) store<u8>(serverToServer, CsrServerProcess ? 1 : 0);
  if (connectionInfo == 0 || connectionInfoSize == 0) return STATUS_SUCCESS;
  // The server DLL's own connection step, its information through the view.
  const size = load<u32>(connectionInfoSize);
  const message = RtlAllocateHeap(CsrPortHeap, 0, SIZEOF_CSR_API_MESSAGE);
  if (message == 0) return STATUS_NO_MEMORY;
  const buffer = CsrAllocateCaptureBuffer(1, size);
  if (buffer == 0) { RtlFreeHeap(CsrPortHeap, 0, message); return STATUS_NO_MEMORY; }
  const data = message + CSR_API_MESSAGE_DATA;
  store<u32>(data + CSR_CLIENT_CONNECT_SERVER_ID, serverId);
  store<u32>(data + CSR_CLIENT_CONNECT_INFO_SIZE, size);
  CsrCaptureMessageBuffer(buffer, connectionInfo, size, data + CSR_CLIENT_CONNECT_INFO);
  const status = CsrClientCallServer(message, buffer, CSR_CREATE_API_NUMBER(CSRSRV_SERVERDLL_INDEX, CsrpClientConnect), SIZEOF_CSR_CLIENT_CONNECT);
  if (status == STATUS_SUCCESS) {
    // What the server wrote back into the information.
    let back = load<u32>(data + CSR_CLIENT_CONNECT_INFO_SIZE);
    if (back > size) back = size;
    memory.copy(connectionInfo, load<usize>(data + CSR_CLIENT_CONNECT_INFO), back);
    store<u32>(connectionInfoSize, back);
  }
  CsrFreeCaptureBuffer(buffer);
  RtlFreeHeap(CsrPortHeap, 0, message);
  return status;
}

/**
 * CsrClientCallServer(ApiMessage, CaptureBuffer, ApiNumber, DataLength):
 * the message's header and ApiNumber are set here; the answer's Status is
 * returned (or the port's failure, also written to Status).
 */
export function CsrClientCallServer(message: usize, captureBuffer: usize, apiNumber: u32, dataLength: u32): u32 {
  const total = CSR_API_MESSAGE_DATA + dataLength;
  const header = changetype<PORT_MESSAGE>(message);
  header.DataLength = <u16>(total - SIZEOF_PORT_MESSAGE);
  header.TotalLength = <u16>total;
  header.Type = 0; header.DataInfoOffset = 0; // ZeroInit
  store<u32>(message + CSR_API_MESSAGE_API_NUMBER, apiNumber);
  if (CsrApiPort == 0) { store<u32>(message + CSR_API_MESSAGE_STATUS, STATUS_PORT_DISCONNECTED); return STATUS_PORT_DISCONNECTED; } // never connected
  if (captureBuffer != 0) {
    store<usize>(message + CSR_API_MESSAGE_CAPTURE_DATA, captureBuffer + CsrPortMemoryRemoteDelta);
    const count = load<u32>(captureBuffer + CSR_CAPTURE_BUFFER_POINTER_COUNT);
    for (let i: u32 = 0; i < count; i++) {
      const slot = captureBuffer + CSR_CAPTURE_BUFFER_POINTER_OFFSETS + (i << 2);
      const field = load<usize>(slot);
      if (field == 0) continue;
      store<usize>(slot, field - message);
      store<usize>(field, load<usize>(field) + CsrPortMemoryRemoteDelta);
    }
  } else store<usize>(message + CSR_API_MESSAGE_CAPTURE_DATA, 0);
  const status = NtRequestWaitReplyPort(CsrApiPort, message, message);
  if (captureBuffer != 0) {
    store<usize>(message + CSR_API_MESSAGE_CAPTURE_DATA, load<usize>(message + CSR_API_MESSAGE_CAPTURE_DATA) - CsrPortMemoryRemoteDelta);
    const count = load<u32>(captureBuffer + CSR_CAPTURE_BUFFER_POINTER_COUNT);
    for (let i: u32 = 0; i < count; i++) {
      const slot = captureBuffer + CSR_CAPTURE_BUFFER_POINTER_OFFSETS + (i << 2);
      const offset = load<usize>(slot);
      if (offset == 0) continue;
      const field = offset + message;
      store<usize>(slot, field);
      store<usize>(field, load<usize>(field) - CsrPortMemoryRemoteDelta);
    }
  }
  if (status != STATUS_SUCCESS) store<u32>(message + CSR_API_MESSAGE_STATUS, status);
  return load<u32>(message + CSR_API_MESSAGE_STATUS);
}

/** CsrAllocateCaptureBuffer(ArgumentCount, BufferSize): room for `count` pointers and `size` bytes (each argument 4-aligned), in the view. */
export function CsrAllocateCaptureBuffer(count: u32, size: u32): usize {
  if (CsrPortHeap == 0 || count > 0x1000 || size >= CSR_PORT_VIEW_SIZE) return 0;
  const offsets = CSR_CAPTURE_BUFFER_POINTER_OFFSETS + (count << 2);
  const bytes = offsets + align4(size) + (count << 2); // each argument may need 3 bytes of alignment
  const buffer = RtlAllocateHeap(CsrPortHeap, 0, bytes);
  if (buffer == 0) return 0;
  store<u32>(buffer + CSR_CAPTURE_BUFFER_SIZE, bytes);
  store<usize>(buffer + CSR_CAPTURE_BUFFER_PREVIOUS, 0);
  store<u32>(buffer + CSR_CAPTURE_BUFFER_POINTER_COUNT, 0);
  memory.fill(buffer + CSR_CAPTURE_BUFFER_POINTER_OFFSETS, 0, count << 2);
  store<usize>(buffer + CSR_CAPTURE_BUFFER_BUFFER_END, buffer + offsets);
  return buffer;
}

/** CsrAllocateMessagePointer(CaptureBuffer, MessageLength, *CapturedData): the bytes allocated (4-aligned); 0 when they do not fit. */
export function CsrAllocateMessagePointer(buffer: usize, length: u32, captured: usize): u32 {
  const size = load<u32>(buffer + CSR_CAPTURE_BUFFER_SIZE);
  const end = load<usize>(buffer + CSR_CAPTURE_BUFFER_BUFFER_END);
  const bytes = align4(length);
  if (length == 0 || end + bytes > buffer + size) { store<usize>(captured, 0); return 0; }
  store<usize>(captured, end);
  store<usize>(buffer + CSR_CAPTURE_BUFFER_BUFFER_END, end + bytes);
  const count = load<u32>(buffer + CSR_CAPTURE_BUFFER_POINTER_COUNT);
  store<usize>(buffer + CSR_CAPTURE_BUFFER_POINTER_OFFSETS + (count << 2), captured);
  store<u32>(buffer + CSR_CAPTURE_BUFFER_POINTER_COUNT, count + 1);
  return bytes;
}

/** CsrCaptureMessageBuffer(CaptureBuffer, MessageBuffer, MessageLength, *CapturedData): allocates and copies `length` bytes. */
export function CsrCaptureMessageBuffer(buffer: usize, data: usize, length: u32, captured: usize): void {
  if (CsrAllocateMessagePointer(buffer, length, captured) == 0) return;
  if (data != 0) memory.copy(load<usize>(captured), data, length);
}

/** CsrFreeCaptureBuffer(CaptureBuffer). */
export function CsrFreeCaptureBuffer(buffer: usize): void {
  if (buffer != 0 && CsrPortHeap != 0) RtlFreeHeap(CsrPortHeap, 0, buffer);
}

/** CsrGetProcessId(): csrss's process id, once connected. */
export function CsrGetProcessId(): u32 { return CsrProcessId; }

// LPC connection services: NtConnectPort and NtSecureConnectPort (client),
// NtAcceptConnectPort and NtCompleteConnectPort (server).
//
// The client's NtConnectPort makes its client port (no handle yet) and
// queues an LPC_CONNECTION_REQUEST carrying its connection information on
// the server's connection port, then waits. The server receives it
// (NtListenPort or NtReplyWaitReceivePort), and NtAcceptConnectPort names
// it by ClientId and MessageId: refused, the client wakes with
// STATUS_PORT_CONNECTION_REFUSED; accepted, a server port is made and
// linked to the client's, and the client wakes at NtCompleteConnectPort.
// Either way the server's connection information (the data of the message
// it passes back) is copied to the client, capped at the port's
// MaxConnectionInfoLength and at the client's buffer.
//
// Port views (a section shared by client and server, PORT_VIEW and
// REMOTE_PORT_VIEW) are mapped by view.ts: the client's at NtConnectPort
// (into the client) and at NtAcceptConnectPort (into the server), the
// server's at NtAcceptConnectPort (into both). A view that cannot be mapped
// in the server refuses the connection: the client gets
// STATUS_PORT_CONNECTION_REFUSED and the server the mapping's status.
//
// User memory is read once, before the LPC lock is taken (ExCopyFromUser),
// and written after it is released (ExCopyToUser / ExWriteUserUlong): a
// user page never faults (or pages in) under the dispatcher lock, and one
// decommitted by another thread gives STATUS_ACCESS_VIOLATION.

import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExProbeHandle } from "../ex/capture";
import { ObCreateObject } from "../ob/obcreate";
import { ObInsertObject, ObReferenceObjectByName } from "../ob/obname";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import {
  LPCP_PORT_SIZE, LpcPortObjectType, LpcpInitializePort, LpcpIsPort, LpcpAllocateMessage, LpcpFreeMessage, LpcpLock, LpcpUnlock,
  LpcpQueueMessage, LpcpCurrentThread, LpcpPrepareWait, LpcpWaitForAnswer, LpcpWake, LpcpClosePortSide, LpcpReferencePort,
  LpcpReferenceStatus, LpcpFrame, LpcpOut, LpcpFindThread, LpcpThreadExists, Lt, Msg, MsgHeader, MsgPort, Port, PortKind,
  CLIENT_COMMUNICATION_PORT, SERVER_COMMUNICATION_PORT, SERVER_CONNECTION_PORT, PORT_CLOSED,
} from "./lpcp";
import { ObCheckAccess, ObGetObjectSecurity } from "../ob/obsecure";
import { OBJECT_TYPE_OF } from "../ob/obp";
import { LpcpStampMessage } from "./send";
import {
  SIZEOF_PORT_MESSAGE, SIZEOF_PORT_VIEW, SIZEOF_REMOTE_PORT_VIEW, SIZEOF_SECURITY_QUALITY_OF_SERVICE, LPC_CONNECTION_REQUEST, PORT_ALL_ACCESS,
  PORT_CREATE_MAXIMUM_MESSAGE_LENGTH, PORT_CONNECT,
} from "../sdk/lpc";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INVALID_CID, STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PORT_HANDLE, STATUS_NOT_IMPLEMENTED, STATUS_NO_MEMORY, STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_PORT_CONNECTION_REFUSED, STATUS_PORT_DISCONNECTED,
  STATUS_REPLY_MESSAGE_MISMATCH, STATUS_SUCCESS, STATUS_QUOTA_EXCEEDED,
} from "../sdk/ntstatus";
import { InitializeCountedString, OBJ_CASE_INSENSITIVE } from "../sdk/ntdef";
import {
  LpcpCaptureView, LpcpCheckRemoteView, LpcpCurrentProcess, LpcpMapView, LpcpProcessOfThread, LpcpReferenceViewSection, LpcpSetMappingProcess,
  REMOTE_VIEW_BASE, REMOTE_VIEW_SIZE, VIEW_BASE, VIEW_REMOTE_BASE, VIEW_SECTION_OFFSET, VIEW_SIZE,
} from "./view";

const NAME_TAG: u32 = 0x6E63704C; // 'Lpcn'
const VIEW_TAG: u32 = 0x7663704C; // 'Lpcv'
/** A service's view work space (pool, only when views are asked for): the captured PORT_VIEW, then two mapping results. */
const VIEWS_CAPTURED: u32 = 0;
const VIEWS_MAP: u32 = 24;       // base, size, offset (u64)
const VIEWS_REMOTE_MAP: u32 = 40;
const VIEWS_BYTES: u32 = 56;

/** Copies the caller's UNICODE_STRING into pool (UNICODE_STRING + text); 0 with the status in LpcpFrame().Status. */
function LpcpCaptureName(name: usize): usize {
  const frame = LpcpFrame();
  // The UNICODE_STRING, then its text, each read once.
  const s = KeAllocateScratch(8);
  const ok = ProbeUserRange(name, 8, 4) && ExCopyFromUser(s, name, 8);
  const length = <u32>load<u16>(s), maximum = <u32>load<u16>(s, 2), buffer = load<usize>(s, 4);
  KeFreeScratch(s);
  if (!ok) { frame.Status = STATUS_ACCESS_VIOLATION; return 0; }
  let copy: usize = 0;
  let status = STATUS_SUCCESS;
  if ((length & 1) != 0 || length > maximum || length == 0) status = STATUS_OBJECT_NAME_INVALID;
  else if (!ProbeUserRange(buffer, length, 2)) status = STATUS_ACCESS_VIOLATION;
  else {
    copy = ExAllocatePoolWithTag(NonPagedPool, 8 + length, NAME_TAG);
    if (copy == 0) status = STATUS_NO_MEMORY;
    else if (!ExCopyFromUser(copy + 8, buffer, length)) { ExFreePoolWithTag(copy, NAME_TAG); copy = 0; status = STATUS_ACCESS_VIOLATION; }
    else {
      InitializeCountedString(copy, copy + 8, length, length);
    }
  }
  frame.Status = status;
  return copy;
}

/**
 * NT's NtSecureConnectPort: a user-mode caller needs PORT_CONNECT on the
 * connection port's descriptor (its creator's, or its token's default:
 * \SmApiPort, made by smss as SYSTEM, admits SYSTEM and Administrators only;
 * csrss gives its \ApiPort one that admits everyone). STATUS_ACCESS_DENIED.
 */
function LpcpCheckConnectAccess(port: usize): u32 {
  const granted = KeAllocateScratch(4);
  const status = ObCheckAccess(ObGetObjectSecurity(port), OBJECT_TYPE_OF(port), PORT_CONNECT, granted);
  KeFreeScratch(granted);
  return status;
}

/** The connection port a name names, referenced; 0 with the status in LpcpFrame().Status. */
function LpcpReferenceConnectionPort(name: usize): usize {
  const frame = LpcpFrame();
  const copy = LpcpCaptureName(name);
  if (copy == 0) return 0;
  let status = ObReferenceObjectByName(copy, OBJ_CASE_INSENSITIVE, 0, LpcpOut());
  ExFreePoolWithTag(copy, NAME_TAG);
  let port: usize = 0;
  if (status == STATUS_SUCCESS) {
    port = frame.Out;
    if (!LpcpIsPort(port)) status = STATUS_OBJECT_TYPE_MISMATCH;
    else if (PortKind(port) != SERVER_CONNECTION_PORT) status = STATUS_INVALID_PORT_HANDLE;
    else status = LpcpCheckConnectAccess(port);
    if (status != STATUS_SUCCESS) { ObDereferenceObject(port); port = 0; }
  }
  frame.Status = status;
  return port;
}

/** Hands the caller its new handle; a caller that unmapped the slot gets STATUS_ACCESS_VIOLATION and keeps the handle, as on NT. */
function LpcpStoreHandle(handle: usize, value: u32): u32 {
  return ExProbeHandle(handle) && ExWriteUserUlong(handle, value) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/**
 * NtConnectPort(PortHandle, PortName, SecurityQos, ClientView, ServerView,
 * MaxMessageLength, ConnectionInformation, ConnectionInformationLength).
 */
export function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize,
  maxMessageLength: usize, connectionInfo: usize, connectionInfoLength: usize): u32 {
  return LpcpConnect(handle, name, qos, clientView, serverView, maxMessageLength, connectionInfo, connectionInfoLength);
}

/**
 * NtSecureConnectPort: NtConnectPort with RequiredServerSid. Ports carry no
 * security yet, so the SID is probed and not compared.
 */
export function NtSecureConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, requiredServerSid: usize, serverView: usize,
  maxMessageLength: usize, connectionInfo: usize, connectionInfoLength: usize): u32 {
  if (requiredServerSid != 0) {
    const cell = KeAllocateScratch(8); // read (once), not compared
    const ok = ProbeUserRange(requiredServerSid, 8, 4) && ExCopyFromUser(cell, requiredServerSid, 8);
    KeFreeScratch(cell);
    if (!ok) return STATUS_ACCESS_VIOLATION;
  }
  return LpcpConnect(handle, name, qos, clientView, serverView, maxMessageLength, connectionInfo, connectionInfoLength);
}

function LpcpConnect(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize,
  maxMessageLength: usize, connectionInfo: usize, connectionInfoLength: usize): u32 {
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  // The QoS: captured (read once) and accepted; nothing impersonates yet.
  const captured = KeAllocateScratch(SIZEOF_SECURITY_QUALITY_OF_SERVICE);
  const ok = ProbeUserRange(qos, SIZEOF_SECURITY_QUALITY_OF_SERVICE, 4) && ExCopyFromUser(captured, qos, SIZEOF_SECURITY_QUALITY_OF_SERVICE);
  KeFreeScratch(captured);
  if (!ok) return STATUS_ACCESS_VIOLATION;
  if (clientView == 0 && serverView == 0) return LpcpConnectWith(0, handle, name, clientView, serverView, maxMessageLength, connectionInfo, connectionInfoLength);
  const views = ExAllocatePoolWithTag(NonPagedPool, VIEWS_BYTES, VIEW_TAG);
  if (views == 0) return STATUS_NO_MEMORY;
  let status = clientView != 0 ? LpcpCaptureView(clientView, views + VIEWS_CAPTURED) : STATUS_SUCCESS;
  if (status == STATUS_SUCCESS && serverView != 0) status = LpcpCheckRemoteView(serverView, views + VIEWS_MAP);
  if (status == STATUS_SUCCESS) status = LpcpConnectWith(views, handle, name, clientView, serverView, maxMessageLength, connectionInfo, connectionInfoLength);
  ExFreePoolWithTag(views, VIEW_TAG);
  return status;
}

/** NtConnectPort once the views are captured (into `views`, pool; 0 when there are none). */
function LpcpConnectWith(views: usize, handle: usize, name: usize, clientView: usize, serverView: usize,
  maxMessageLength: usize, connectionInfo: usize, connectionInfoLength: usize): u32 {
  let status = STATUS_SUCCESS;
  if (maxMessageLength != 0 && !ProbeUserRange(maxMessageLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  let bufferLength: u32 = 0;
  if (connectionInfoLength != 0) {
    const cell = KeAllocateScratch(4);
    const ok = ProbeUserRange(connectionInfoLength, 4, 4) && ExCopyFromUser(cell, connectionInfoLength, 4); // read once
    bufferLength = load<u32>(cell);
    KeFreeScratch(cell);
    if (!ok) return STATUS_ACCESS_VIOLATION;
  }
  if (bufferLength != 0 && !ProbeUserRange(connectionInfo, bufferLength, 1)) return STATUS_ACCESS_VIOLATION;
  const lt = LpcpCurrentThread();
  if (lt == 0) return STATUS_NO_MEMORY;
  const connection = LpcpReferenceConnectionPort(name);
  if (connection == 0) return LpcpReferenceStatus();
  const cp = Port(connection);
  // As NT: information longer than the port takes is cut to its maximum.
  const infoLength = bufferLength > cp.MaxConnectionInfoLength ? cp.MaxConnectionInfoLength : bufferLength;

  // The client's port: it owns the reference on the connection port from here.
  status = ObCreateObject(LpcPortObjectType, 0, LPCP_PORT_SIZE, LpcpOut());
  if (status != STATUS_SUCCESS) { ObDereferenceObject(connection); return status; }
  const client = LpcpFrame().Out;
  LpcpInitializePort(client, CLIENT_COMMUNICATION_PORT, cp.MaxConnectionInfoLength, cp.MaxMessageLength);
  Port(client).ConnectionPort = connection;
  if (clientView != 0) {
    // The client's view, mapped into the client now; the port keeps the section for the server.
    const section = LpcpReferenceViewSection(views + VIEWS_CAPTURED, views + VIEWS_MAP);
    if (section == 0) { ObDereferenceObject(client); return load<u32>(views, VIEWS_MAP); }
    Port(client).SectionToMap = section;
    const current = LpcpCurrentProcess();
    status = LpcpMapView(section, current, load<u32>(views, VIEWS_CAPTURED + VIEW_SECTION_OFFSET), load<u32>(views, VIEWS_CAPTURED + VIEW_SIZE), views + VIEWS_MAP);
    if (status != STATUS_SUCCESS) { ObDereferenceObject(client); return status; }
    LpcpSetMappingProcess(client, current);
    Port(client).ClientSectionBase = load<usize>(views, VIEWS_MAP);
    Port(client).ViewSize = load<u32>(views, VIEWS_MAP + 4);
    Port(client).ViewOffset = load<u32>(views, VIEWS_MAP + 8);
  }
  const reason = KeAllocateScratch(4);
  const message = LpcpAllocateMessage(cp.MaxConnectionInfoLength, true, reason);
  const refused = load<u32>(reason);
  KeFreeScratch(reason);
  if (message == 0) { ObDereferenceObject(client); return refused == STATUS_QUOTA_EXCEEDED ? refused : STATUS_NO_MEMORY; }
  Msg(message).ClientPort = client; // freed with the message unless it gets a handle
  Msg(message).Sender = lt;

  // The connection information, read once into the message before the lock.
  if (infoLength != 0 && !ExCopyFromUser(MsgPort(message) + SIZEOF_PORT_MESSAGE, connectionInfo, infoLength)) status = STATUS_ACCESS_VIOLATION;
  let lock = LpcpLock();
  if (status != STATUS_SUCCESS) {}
  else if ((cp.Flags & PORT_CLOSED) != 0) status = STATUS_PORT_DISCONNECTED;
  else {
    const h = MsgHeader(message);
    h.DataLength = <u16>infoLength;
    h.TotalLength = <u16>(SIZEOF_PORT_MESSAGE + infoLength);
    const id = LpcpStampMessage(message, LPC_CONNECTION_REQUEST);
    h.ClientViewSize = Port(client).ViewSize; // the server sees the size of the client's view
    LpcpPrepareWait(lt, id, connection, message);
    LpcpQueueMessage(connection, message);
  }
  LpcpUnlock(lock);
  if (status != STATUS_SUCCESS) { LpcpFreeMessage(message); return status; }

  const wait = LpcpWaitForAnswer(lt);
  // What goes back to the caller, gathered under the lock, written after it:
  // PORT_VIEW (24 bytes, at +0), REMOTE_PORT_VIEW (12, at +24), MaxMessageLength (+36).
  const out = KeAllocateScratch(40);
  lock = LpcpLock();
  Lt(lt).Request = 0;
  status = wait == STATUS_SUCCESS ? Lt(lt).ReplyStatus : wait;
  Msg(message).ClientPort = 0; // ours now
  if (status == STATUS_SUCCESS && Port(client).ConnectedPort == 0) status = STATUS_PORT_DISCONNECTED;
  if (status == STATUS_SUCCESS) {
    const c = Port(client);
    store<u32>(out, SIZEOF_PORT_VIEW);
    store<u32>(out + VIEW_SECTION_OFFSET, c.ViewOffset);
    store<u32>(out + VIEW_SIZE, c.ViewSize);
    store<usize>(out + VIEW_BASE, c.ClientSectionBase);
    store<usize>(out + VIEW_REMOTE_BASE, c.ViewRemoteBase);
    store<u32>(out + 24, SIZEOF_REMOTE_PORT_VIEW);
    store<u32>(out + 24 + REMOTE_VIEW_SIZE, c.ServerViewSize);
    store<usize>(out + 24 + REMOTE_VIEW_BASE, c.ServerSectionBase);
    store<u32>(out + 36, c.MaxMessageLength);
  } else {
    // Accepted but not completed (the client is ending, or the server closed): undo the link.
    const server = Msg(message).ServerPort;
    if (server != 0 && Port(server).ConnectingThread == lt) Port(server).ConnectingThread = 0;
    LpcpClosePortSide(client);
  }
  LpcpUnlock(lock);
  if (status == STATUS_SUCCESS || status == STATUS_PORT_CONNECTION_REFUSED) {
    // The server's connection information (the message is ours), as much as the caller's buffer holds.
    let answer = <u32>MsgHeader(message).DataLength;
    if (answer > bufferLength) answer = bufferLength;
    if (connectionInfoLength != 0 && ExCopyToUser(connectionInfo, MsgPort(message) + SIZEOF_PORT_MESSAGE, answer)) ExWriteUserUlong(connectionInfoLength, answer);
  }
  if (status == STATUS_SUCCESS) {
    // As on NT, a result that cannot be written leaves the connection made; only the handle's store decides the status.
    if (maxMessageLength != 0) ExWriteUserUlong(maxMessageLength, load<u32>(out, 36));
    if (clientView != 0) ExCopyToUser(clientView + VIEW_SECTION_OFFSET, out + VIEW_SECTION_OFFSET, SIZEOF_PORT_VIEW - VIEW_SECTION_OFFSET);
    if (serverView != 0) ExCopyToUser(serverView + REMOTE_VIEW_SIZE, out + 24 + REMOTE_VIEW_SIZE, SIZEOF_REMOTE_PORT_VIEW - REMOTE_VIEW_SIZE);
  }
  KeFreeScratch(out);
  LpcpFreeMessage(message);
  if (status != STATUS_SUCCESS) { ObDereferenceObject(client); return status; }

  // A handle to the client port (an extra reference keeps it while a failure undoes the link).
  ObReferenceObject(client);
  status = ObInsertObject(client, PORT_ALL_ACCESS, LpcpOut());
  if (status == STATUS_SUCCESS) status = LpcpStoreHandle(handle, <u32>LpcpFrame().Out);
  else { lock = LpcpLock(); LpcpClosePortSide(client); LpcpUnlock(lock); }
  ObDereferenceObject(client);
  return status;
}

/**
 * NtAcceptConnectPort(PortHandle, PortContext, ConnectionRequest,
 * AcceptConnection, ServerView, ClientView): answers the connection request
 * ConnectionRequest names (its ClientId and MessageId, as received); its
 * data goes back to the client as the server's connection information.
 * Accepted, the new server port's handle goes to PortHandle and the client
 * waits for NtCompleteConnectPort.
 */
export function NtAcceptConnectPort(handle: usize, portContext: usize, request: usize, accept: u32, serverView: usize, clientView: usize): u32 {
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  // The request (header, then as much data as a message holds) is read once, here, before any lock.
  const captured = KeAllocateScratch(PORT_CREATE_MAXIMUM_MESSAGE_LENGTH);
  let status = STATUS_SUCCESS;
  if (!ProbeUserRange(request, SIZEOF_PORT_MESSAGE, 4) || !ExCopyFromUser(captured, request, SIZEOF_PORT_MESSAGE)) status = STATUS_ACCESS_VIOLATION;
  else {
    let dataLength = <u32>load<u16>(captured);
    if (dataLength > PORT_CREATE_MAXIMUM_MESSAGE_LENGTH - SIZEOF_PORT_MESSAGE) dataLength = PORT_CREATE_MAXIMUM_MESSAGE_LENGTH - SIZEOF_PORT_MESSAGE;
    store<u16>(captured, <u16>dataLength);
    if (!ProbeUserRange(request, SIZEOF_PORT_MESSAGE + dataLength, 4)
        || !ExCopyFromUser(captured + SIZEOF_PORT_MESSAGE, request + SIZEOF_PORT_MESSAGE, dataLength)) status = STATUS_ACCESS_VIOLATION;
  }
  if (status == STATUS_SUCCESS) status = LpcpAccept(handle, portContext, captured, accept, serverView, clientView);
  KeFreeScratch(captured);
  return status;
}

/** NtAcceptConnectPort with the request captured (kernel memory). */
function LpcpAccept(handle: usize, portContext: usize, request: usize, accept: u32, serverView: usize, clientView: usize): u32 {
  const accepting = (accept & 0xFF) != 0;
  if (!accepting) serverView = 0; // a refusal maps nothing
  if (serverView == 0 && clientView == 0) return LpcpAcceptWith(0, 0, handle, portContext, request, accepting, 0, 0);
  const views = ExAllocatePoolWithTag(NonPagedPool, VIEWS_BYTES, VIEW_TAG);
  if (views == 0) return STATUS_NO_MEMORY;
  let status = serverView != 0 ? LpcpCaptureView(serverView, views + VIEWS_CAPTURED) : STATUS_SUCCESS;
  if (status == STATUS_SUCCESS && clientView != 0) status = LpcpCheckRemoteView(clientView, views + VIEWS_MAP);
  let section: usize = 0;
  if (status == STATUS_SUCCESS && serverView != 0) {
    section = LpcpReferenceViewSection(views + VIEWS_CAPTURED, views + VIEWS_MAP);
    if (section == 0) status = load<u32>(views, VIEWS_MAP);
  }
  if (status == STATUS_SUCCESS) status = LpcpAcceptWith(views, section, handle, portContext, request, accepting, serverView, clientView);
  if (section != 0) ObDereferenceObject(section);
  ExFreePoolWithTag(views, VIEW_TAG);
  return status;
}

/**
 * Maps the connection's views for an accepted `server` port (under the
 * lock): the client's section into the server (the current process), the
 * server's `section` (if any) into the server and into the client's process.
 * Each side's port records what was mapped in its process.
 */
function LpcpMapConnectionViews(views: usize, section: usize, server: usize, client: usize, clientThread: usize): u32 {
  const current = LpcpCurrentProcess();
  const c = Port(client), sp = Port(server);
  let status = STATUS_SUCCESS;
  if (c.SectionToMap != 0) {
    status = LpcpMapView(c.SectionToMap, current, c.ViewOffset, c.ViewSize, views + VIEWS_MAP);
    if (status != STATUS_SUCCESS) return status;
    LpcpSetMappingProcess(server, current);
    sp.ClientSectionBase = load<usize>(views, VIEWS_MAP);
    c.ViewRemoteBase = sp.ClientSectionBase;
  }
  if (section == 0) return STATUS_SUCCESS;
  const captured = views + VIEWS_CAPTURED;
  status = LpcpMapView(section, current, load<u32>(captured, VIEW_SECTION_OFFSET), load<u32>(captured, VIEW_SIZE), views + VIEWS_MAP);
  if (status != STATUS_SUCCESS) return status;
  LpcpSetMappingProcess(server, current);
  sp.ServerSectionBase = load<usize>(views, VIEWS_MAP);
  const size = load<u32>(views, VIEWS_MAP + 4), offset = load<u32>(views, VIEWS_MAP + 8);
  store<u32>(captured + VIEW_SECTION_OFFSET, offset);
  store<u32>(captured + VIEW_SIZE, size);
  store<usize>(captured + VIEW_BASE, sp.ServerSectionBase);
  const clientProcess = LpcpProcessOfThread(clientThread);
  status = LpcpMapView(section, clientProcess, offset, size, views + VIEWS_REMOTE_MAP);
  if (status != STATUS_SUCCESS) return status;
  LpcpSetMappingProcess(client, clientProcess);
  c.ServerSectionBase = load<usize>(views, VIEWS_REMOTE_MAP);
  c.ServerViewSize = load<u32>(views, VIEWS_REMOTE_MAP + 4);
  store<usize>(captured + VIEW_REMOTE_BASE, c.ServerSectionBase);
  return STATUS_SUCCESS;
}

/** NtAcceptConnectPort once the views are captured (`views`, pool, 0 when none) and the server's section referenced (`section`, or 0). */
function LpcpAcceptWith(views: usize, section: usize, handle: usize, portContext: usize, request: usize, accepting: bool, serverView: usize, clientView: usize): u32 {
  let status = STATUS_SUCCESS;
  let server: usize = 0;
  if (accepting) {
    status = ObCreateObject(LpcPortObjectType, 0, LPCP_PORT_SIZE, LpcpOut());
    if (status != STATUS_SUCCESS) return status;
    server = LpcpFrame().Out;
    LpcpInitializePort(server, SERVER_COMMUNICATION_PORT, 0, 0); // its maxima come from the connection port below
  }
  // What goes back to the caller's views, gathered under the lock and written after it:
  // the REMOTE_PORT_VIEW's size and base (+0), the PORT_VIEW from SectionOffset on (+8, 16 bytes).
  const out = KeAllocateScratch(24);
  let views_out = false;
  let lock = LpcpLock();
  // The request's header (captured).
  const process = load<u32>(request, 8), thread = load<u32>(request, 12), id = load<u32>(request, 16);
  let dataLength = <u32>load<u16>(request);
  const lt = LpcpFindThread(process, thread);
  let message: usize = 0;
  if (lt == 0) status = LpcpThreadExists(process, thread) ? STATUS_REPLY_MESSAGE_MISMATCH : STATUS_INVALID_CID;
  else {
    message = Lt(lt).Request;
    if (id == 0 || Lt(lt).ReplyMessageId != id || message == 0 || MsgHeader(message).Type != LPC_CONNECTION_REQUEST
      || Msg(message).QueuePort != 0 || Msg(message).ServerPort != 0) status = STATUS_REPLY_MESSAGE_MISMATCH;
  }
  if (status == STATUS_SUCCESS) {
    if (dataLength > Msg(message).Capacity) dataLength = Msg(message).Capacity;
    memory.copy(MsgPort(message) + SIZEOF_PORT_MESSAGE, request + SIZEOF_PORT_MESSAGE, dataLength);
    MsgHeader(message).DataLength = <u16>dataLength;
    MsgHeader(message).TotalLength = <u16>(SIZEOF_PORT_MESSAGE + dataLength);
    const client = Msg(message).ClientPort;
    // The views first: one that cannot be mapped refuses the connection (the server's port goes with what it mapped).
    if (accepting) status = LpcpMapConnectionViews(views, section, server, client, Lt(lt).Thread);
    if (!accepting || status != STATUS_SUCCESS) LpcpWake(lt, STATUS_PORT_CONNECTION_REFUSED, 0);
    else {
      const connection = Port(client).ConnectionPort;
      const cp = Port(connection);
      LpcpInitializePort(server, SERVER_COMMUNICATION_PORT, cp.MaxConnectionInfoLength, cp.MaxMessageLength);
      ObReferenceObject(connection);
      Port(server).ConnectionPort = connection;
      Port(server).PortContext = portContext;
      // Each end holds a reference on the other until either side closes.
      ObReferenceObject(client);
      Port(server).ConnectedPort = client;
      ObReferenceObject(server);
      Port(client).ConnectedPort = server;
      Port(server).ConnectingThread = lt;
      ObReferenceObject(server);
      Msg(message).ServerPort = server; // the client reads it when it wakes, whatever the server has closed by then
      store<u32>(out, Port(server).ClientSectionBase != 0 ? Port(client).ViewSize : 0);
      store<usize>(out, Port(server).ClientSectionBase, 4);
      if (serverView != 0) memory.copy(out + 8, views + VIEWS_CAPTURED + VIEW_SECTION_OFFSET, 16);
      views_out = true;
    }
  }
  LpcpUnlock(lock);
  if (views_out) {
    // As on NT, views that cannot be written back leave the connection made.
    if (clientView != 0) ExCopyToUser(clientView + REMOTE_VIEW_SIZE, out, 8);
    if (serverView != 0) ExCopyToUser(serverView + VIEW_SECTION_OFFSET, out + 8, 16);
  }
  KeFreeScratch(out);
  if (server == 0) return status;
  if (status != STATUS_SUCCESS) { ObDereferenceObject(server); return status; }
  ObReferenceObject(server);
  status = ObInsertObject(server, PORT_ALL_ACCESS, LpcpOut());
  if (status == STATUS_SUCCESS) status = LpcpStoreHandle(handle, <u32>LpcpFrame().Out);
  else { lock = LpcpLock(); LpcpClosePortSide(server); LpcpUnlock(lock); }
  ObDereferenceObject(server);
  return status;
}

/** NtCompleteConnectPort(PortHandle): wakes the client of an accepted connection. */
export function NtCompleteConnectPort(handle: u32): u32 {
  const port = LpcpReferencePort(handle);
  if (port == 0) return LpcpReferenceStatus();
  let status = STATUS_INVALID_PORT_HANDLE;
  if (PortKind(port) == SERVER_COMMUNICATION_PORT) {
    const lock = LpcpLock();
    const lt = Port(port).ConnectingThread;
    if (lt == 0) status = STATUS_INVALID_PARAMETER;
    else {
      Port(port).ConnectingThread = 0;
      status = STATUS_SUCCESS;
      if (Lt(lt).ReplyMessageId != 0) LpcpWake(lt, STATUS_SUCCESS, 0);
    }
    LpcpUnlock(lock);
  }
  ObDereferenceObject(port);
  return status;
}

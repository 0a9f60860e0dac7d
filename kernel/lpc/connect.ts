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
// REMOTE_PORT_VIEW) come with csrss in a later issue: a connection that
// asks for one is refused with STATUS_NOT_IMPLEMENTED for now; an empty
// REMOTE_PORT_VIEW is accepted and answered with no view.

import { ProbeForRead, ProbeForWrite } from "../ke/probe";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExProbeHandle } from "../ex/capture";
import { ObCreateObject } from "../ob/obcreate";
import { ObInsertObject, ObReferenceObjectByName } from "../ob/obname";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import {
  LPCP_PORT_SIZE, LpcPortObjectType, LpcpInitializePort, LpcpIsPort, LpcpAllocateMessage, LpcpFreeMessage, LpcpLock, LpcpUnlock,
  LpcpQueueMessage, LpcpCurrentThread, LpcpPrepareWait, LpcpWaitForAnswer, LpcpWake, LpcpClosePortSide, LpcpReferencePort,
  LpcpReferenceStatus, LpcpScratch, LpcpFindThread, LpcpThreadExists, Lt, Msg, MsgHeader, MsgPort, Port, PortKind,
  CLIENT_COMMUNICATION_PORT, SERVER_COMMUNICATION_PORT, SERVER_CONNECTION_PORT, PORT_CLOSED,
} from "./lpcp";
import { LpcpStampMessage } from "./send";
import {
  SIZEOF_PORT_MESSAGE, SIZEOF_PORT_VIEW, SIZEOF_REMOTE_PORT_VIEW, SIZEOF_SECURITY_QUALITY_OF_SERVICE, LPC_CONNECTION_REQUEST, PORT_ALL_ACCESS,
} from "../sdk/lpc";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INVALID_CID, STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PORT_HANDLE, STATUS_NOT_IMPLEMENTED, STATUS_NO_MEMORY, STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_PORT_CONNECTION_REFUSED, STATUS_PORT_DISCONNECTED,
  STATUS_REPLY_MESSAGE_MISMATCH, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { OBJ_CASE_INSENSITIVE } from "../sdk/ntdef";

const NAME_TAG: u32 = 0x6E63704C; // 'Lpcn'

/** Copies the caller's UNICODE_STRING into pool (UNICODE_STRING + text); 0 with the status at LpcpScratch()+4. */
function LpcpCaptureName(name: usize): usize {
  const s = LpcpScratch();
  const lock = LpcpLock();
  if (!ProbeForRead(name, 8, 4)) { LpcpUnlock(lock); store<u32>(s, STATUS_ACCESS_VIOLATION, 4); return 0; }
  const length = <u32>load<u16>(name), maximum = <u32>load<u16>(name, 2), buffer = load<usize>(name, 4);
  let copy: usize = 0;
  let status = STATUS_SUCCESS;
  if ((length & 1) != 0 || length > maximum || length == 0) status = STATUS_OBJECT_NAME_INVALID;
  else if (!ProbeForRead(buffer, length, 2)) status = STATUS_ACCESS_VIOLATION;
  else {
    copy = ExAllocatePoolWithTag(NonPagedPool, 8 + length, NAME_TAG);
    if (copy == 0) status = STATUS_NO_MEMORY;
    else {
      store<u16>(copy, <u16>length);
      store<u16>(copy, <u16>length, 2);
      store<usize>(copy, copy + 8, 4);
      memory.copy(copy + 8, buffer, length);
    }
  }
  LpcpUnlock(lock);
  store<u32>(s, status, 4);
  return copy;
}

/** The connection port a name names, referenced; 0 with the status at LpcpScratch()+4. */
function LpcpReferenceConnectionPort(name: usize): usize {
  const s = LpcpScratch();
  const copy = LpcpCaptureName(name);
  if (copy == 0) return 0;
  let status = ObReferenceObjectByName(copy, OBJ_CASE_INSENSITIVE, 0, s);
  ExFreePoolWithTag(copy, NAME_TAG);
  let port: usize = 0;
  if (status == STATUS_SUCCESS) {
    port = load<usize>(s);
    if (!LpcpIsPort(port)) status = STATUS_OBJECT_TYPE_MISMATCH;
    else if (PortKind(port) != SERVER_CONNECTION_PORT) status = STATUS_INVALID_PORT_HANDLE;
    if (status != STATUS_SUCCESS) { ObDereferenceObject(port); port = 0; }
  }
  store<u32>(s, status, 4);
  return port;
}

/** Checks a PORT_VIEW (in/out) and REMOTE_PORT_VIEW (out) of the caller; views themselves are not supported yet. */
function LpcpCheckViews(portView: usize, remoteView: usize): u32 {
  const lock = LpcpLock(); // each probe and its read with nothing in between
  let status = STATUS_SUCCESS;
  if (portView != 0) {
    if (!ProbeForWrite(portView, SIZEOF_PORT_VIEW, 4)) status = STATUS_ACCESS_VIOLATION;
    else if (load<u32>(portView) != SIZEOF_PORT_VIEW) status = STATUS_INVALID_PARAMETER;
    else status = STATUS_NOT_IMPLEMENTED; // port views come with csrss (a later issue)
  } else if (remoteView != 0) {
    if (!ProbeForWrite(remoteView, SIZEOF_REMOTE_PORT_VIEW, 4)) status = STATUS_ACCESS_VIOLATION;
    else if (load<u32>(remoteView) != SIZEOF_REMOTE_PORT_VIEW) status = STATUS_INVALID_PARAMETER;
  }
  LpcpUnlock(lock);
  return status;
}

/** Hands the caller its new handle (probed again under the lock); a caller that unmapped the slot gets STATUS_ACCESS_VIOLATION and keeps the handle, as on NT. */
function LpcpStoreHandle(handle: usize, value: u32): u32 {
  const lock = LpcpLock();
  const ok = ExProbeHandle(handle);
  if (ok) store<u32>(handle, value);
  LpcpUnlock(lock);
  return ok ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/** An empty REMOTE_PORT_VIEW: no view was mapped. Under the lock. */
function LpcpNoRemoteView(remoteView: usize): void {
  if (remoteView != 0 && ProbeForWrite(remoteView, SIZEOF_REMOTE_PORT_VIEW, 4)) { store<u32>(remoteView, 0, 4); store<u32>(remoteView, 0, 8); }
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
  if (requiredServerSid != 0 && !ProbeForRead(requiredServerSid, 8, 4)) return STATUS_ACCESS_VIOLATION;
  return LpcpConnect(handle, name, qos, clientView, serverView, maxMessageLength, connectionInfo, connectionInfoLength);
}

function LpcpConnect(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize,
  maxMessageLength: usize, connectionInfo: usize, connectionInfoLength: usize): u32 {
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeForRead(qos, SIZEOF_SECURITY_QUALITY_OF_SERVICE, 4)) return STATUS_ACCESS_VIOLATION; // accepted; nothing impersonates yet
  let status = LpcpCheckViews(clientView, serverView);
  if (status != STATUS_SUCCESS) return status;
  if (maxMessageLength != 0 && !ProbeForWrite(maxMessageLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  let bufferLength: u32 = 0;
  if (connectionInfoLength != 0) {
    const lock = LpcpLock();
    const ok = ProbeForWrite(connectionInfoLength, 4, 4);
    if (ok) bufferLength = load<u32>(connectionInfoLength); // read once
    LpcpUnlock(lock);
    if (!ok) return STATUS_ACCESS_VIOLATION;
  }
  if (bufferLength != 0 && !ProbeForWrite(connectionInfo, bufferLength, 1)) return STATUS_ACCESS_VIOLATION;
  const lt = LpcpCurrentThread();
  if (lt == 0) return STATUS_NO_MEMORY;
  const connection = LpcpReferenceConnectionPort(name);
  if (connection == 0) return LpcpReferenceStatus();
  const cp = Port(connection);
  // As NT: information longer than the port takes is cut to its maximum.
  const infoLength = bufferLength > cp.MaxConnectionInfoLength ? cp.MaxConnectionInfoLength : bufferLength;

  // The client's port: it owns the reference on the connection port from here.
  const s = LpcpScratch();
  status = ObCreateObject(LpcPortObjectType, 0, LPCP_PORT_SIZE, s);
  if (status != STATUS_SUCCESS) { ObDereferenceObject(connection); return status; }
  const client = load<usize>(s);
  LpcpInitializePort(client, CLIENT_COMMUNICATION_PORT, cp.MaxConnectionInfoLength, cp.MaxMessageLength);
  Port(client).ConnectionPort = connection;
  const message = LpcpAllocateMessage(cp.MaxConnectionInfoLength);
  if (message == 0) { ObDereferenceObject(client); return STATUS_NO_MEMORY; }
  Msg(message).ClientPort = client; // freed with the message unless it gets a handle
  Msg(message).Sender = lt;

  let lock = LpcpLock();
  if (infoLength != 0 && !ProbeForRead(connectionInfo, infoLength, 1)) status = STATUS_ACCESS_VIOLATION;
  else if ((cp.Flags & PORT_CLOSED) != 0) status = STATUS_PORT_DISCONNECTED;
  else {
    memory.copy(MsgPort(message) + SIZEOF_PORT_MESSAGE, connectionInfo, infoLength);
    const h = MsgHeader(message);
    h.DataLength = <u16>infoLength;
    h.TotalLength = <u16>(SIZEOF_PORT_MESSAGE + infoLength);
    const id = LpcpStampMessage(message, LPC_CONNECTION_REQUEST);
    LpcpPrepareWait(lt, id, connection, message);
    LpcpQueueMessage(connection, message);
  }
  LpcpUnlock(lock);
  if (status != STATUS_SUCCESS) { LpcpFreeMessage(message); return status; }

  const wait = LpcpWaitForAnswer(lt);
  lock = LpcpLock();
  Lt(lt).Request = 0;
  status = wait == STATUS_SUCCESS ? Lt(lt).ReplyStatus : wait;
  Msg(message).ClientPort = 0; // ours now
  if (status == STATUS_SUCCESS && Port(client).ConnectedPort == 0) status = STATUS_PORT_DISCONNECTED;
  if (status == STATUS_SUCCESS || status == STATUS_PORT_CONNECTION_REFUSED) {
    // The server's connection information, as much as the caller's buffer holds.
    let answer = <u32>MsgHeader(message).DataLength;
    if (answer > bufferLength) answer = bufferLength;
    if (connectionInfoLength != 0 && ProbeForWrite(connectionInfoLength, 4, 4) && (answer == 0 || ProbeForWrite(connectionInfo, answer, 1))) {
      memory.copy(connectionInfo, MsgPort(message) + SIZEOF_PORT_MESSAGE, answer);
      store<u32>(connectionInfoLength, answer);
    }
  }
  if (status == STATUS_SUCCESS) {
    if (maxMessageLength != 0 && ProbeForWrite(maxMessageLength, 4, 4)) store<u32>(maxMessageLength, Port(client).MaxMessageLength);
    LpcpNoRemoteView(serverView);
  } else {
    // Accepted but not completed (the client is ending, or the server closed): undo the link.
    const server = Msg(message).ServerPort;
    if (server != 0 && Port(server).ConnectingThread == lt) Port(server).ConnectingThread = 0;
    LpcpClosePortSide(client);
  }
  LpcpUnlock(lock);
  LpcpFreeMessage(message);
  if (status != STATUS_SUCCESS) { ObDereferenceObject(client); return status; }

  // A handle to the client port (an extra reference keeps it while a failure undoes the link).
  ObReferenceObject(client);
  status = ObInsertObject(client, PORT_ALL_ACCESS, s + 12);
  if (status == STATUS_SUCCESS) status = LpcpStoreHandle(handle, load<u32>(s, 12));
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
  const accepting = (accept & 0xFF) != 0;
  if (!ExProbeHandle(handle)) return STATUS_ACCESS_VIOLATION;
  if (!ProbeForRead(request, SIZEOF_PORT_MESSAGE, 4)) return STATUS_ACCESS_VIOLATION;
  let status = LpcpCheckViews(accepting ? serverView : 0, clientView);
  if (status != STATUS_SUCCESS) return status;
  const s = LpcpScratch();
  let server: usize = 0;
  if (accepting) {
    status = ObCreateObject(LpcPortObjectType, 0, LPCP_PORT_SIZE, s);
    if (status != STATUS_SUCCESS) return status;
    server = load<usize>(s);
    LpcpInitializePort(server, SERVER_COMMUNICATION_PORT, 0, 0); // its maxima come from the connection port below
  }
  let lock = LpcpLock();
  if (!ProbeForRead(request, SIZEOF_PORT_MESSAGE, 4)) { LpcpUnlock(lock); if (server != 0) ObDereferenceObject(server); return STATUS_ACCESS_VIOLATION; }
  // The request's header, read once.
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
    if (!ProbeForRead(request, SIZEOF_PORT_MESSAGE + dataLength, 4)) status = STATUS_ACCESS_VIOLATION;
  }
  if (status == STATUS_SUCCESS) {
    memory.copy(MsgPort(message) + SIZEOF_PORT_MESSAGE, request + SIZEOF_PORT_MESSAGE, dataLength);
    MsgHeader(message).DataLength = <u16>dataLength;
    MsgHeader(message).TotalLength = <u16>(SIZEOF_PORT_MESSAGE + dataLength);
    if (!accepting) LpcpWake(lt, STATUS_PORT_CONNECTION_REFUSED, 0);
    else {
      const client = Msg(message).ClientPort;
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
      LpcpNoRemoteView(clientView);
    }
  }
  LpcpUnlock(lock);
  if (server == 0) return status;
  if (status != STATUS_SUCCESS) { ObDereferenceObject(server); return status; }
  ObReferenceObject(server);
  status = ObInsertObject(server, PORT_ALL_ACCESS, s + 12);
  if (status == STATUS_SUCCESS) status = LpcpStoreHandle(handle, load<u32>(s, 12));
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

// LPC services that send: NtRequestPort (a datagram), NtRequestWaitReplyPort
// (a request and the wait for its reply), and NtImpersonateClientOfPort,
// which checks that a message is a request its client still waits on.
//
// A message is captured once, before any lock is taken: its header is read a
// single time into kernel memory (ExCopyFromUser), its lengths checked
// against that copy and the port's maximum, and the data after it copied
// into the new message. The kernel then writes Type, ClientId and MessageId
// itself. Answers go to the caller after the lock is released
// (ExCopyToUser). A user page is never touched under the LPC lock (the
// dispatcher lock): a fault there, or a page-in, could not be served.

import { ExCopyFromUser, ExCopyToUser, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { KeCurrentThread, KTHREAD } from "../ke/thread";
import { ObDereferenceObject } from "../ob/obref";
import {
  LPCP_MESSAGE, LpcpAllocateMessage, LpcpFreeMessage, LpcpNewMessageId, LpcpLock, LpcpUnlock, LpcpQueueMessage, LpcpRoute,
  LpcpCurrentThread, LpcpCurrentProcessId, LpcpPrepareWait, LpcpWaitForAnswer, LpcpReferencePort, LpcpReferenceStatus, LpcpFrame,
  LpcpFindThread, LpcpThreadExists, LPCP_MAX_QUEUED_DATAGRAMS, Lt, Msg, MsgHeader, MsgPort, Port, PortKind, SERVER_COMMUNICATION_PORT, SERVER_CONNECTION_PORT, PORT_CLOSED,
} from "./lpcp";
import {
  SIZEOF_PORT_MESSAGE, LPC_NEW_MESSAGE, LPC_REQUEST, LPC_DATAGRAM, LPC_CONNECTION_REQUEST,
} from "../sdk/lpc";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_CID,
  STATUS_INVALID_PARAMETER, STATUS_INVALID_PORT_HANDLE, STATUS_NO_MEMORY, STATUS_PORT_DISCONNECTED,
  STATUS_PORT_MESSAGE_TOO_LONG, STATUS_REPLY_MESSAGE_MISMATCH, STATUS_SUCCESS,
} from "../sdk/ntstatus";

/**
 * Captures the caller's message at `user` (at most `maxLength` bytes, header
 * included) into a new LPCP_MESSAGE, stored in LpcpFrame().Message. Type must be
 * 0 or `allowedType` (0xFFFF: any, for replies). Returns an NTSTATUS:
 * STATUS_INVALID_PARAMETER when TotalLength < DataLength + 24 or the type is
 * wrong, STATUS_PORT_MESSAGE_TOO_LONG past the port's maximum.
 */
export function LpcpCaptureMessage(user: usize, maxLength: u32, allowedType: u32): u32 {
  const frame = LpcpFrame();
  frame.Message = 0;
  // The header, read once into this thread's scratch.
  const header = KeAllocateScratch(SIZEOF_PORT_MESSAGE);
  if (!ProbeUserRange(user, SIZEOF_PORT_MESSAGE, 4) || !ExCopyFromUser(header, user, SIZEOF_PORT_MESSAGE)) { KeFreeScratch(header); return STATUS_ACCESS_VIOLATION; }
  const lengths = load<u32>(header);
  const dataLength = lengths & 0xFFFF, totalLength = lengths >>> 16;
  const type = <u32>load<u16>(header, 4);
  let status = STATUS_SUCCESS;
  if (dataLength + SIZEOF_PORT_MESSAGE > totalLength) status = STATUS_INVALID_PARAMETER;
  else if (totalLength > maxLength) status = STATUS_PORT_MESSAGE_TOO_LONG;
  else if (allowedType != 0xFFFF && type != LPC_NEW_MESSAGE && type != allowedType) status = STATUS_INVALID_PARAMETER;
  else if (!ProbeUserRange(user, totalLength, 4)) status = STATUS_ACCESS_VIOLATION;
  if (status == STATUS_SUCCESS) {
    const reason = KeAllocateScratch(4);
    const message = LpcpAllocateMessage(totalLength - SIZEOF_PORT_MESSAGE, true, reason);
    if (message == 0) status = load<u32>(reason); // past the sender's quota: STATUS_QUOTA_EXCEEDED
    KeFreeScratch(reason);
    if (message != 0) {
      // The header as captured; the data after it, once.
      memory.copy(MsgPort(message), header, SIZEOF_PORT_MESSAGE);
      if (!ExCopyFromUser(MsgPort(message) + SIZEOF_PORT_MESSAGE, user + SIZEOF_PORT_MESSAGE, totalLength - SIZEOF_PORT_MESSAGE)) {
        LpcpFreeMessage(message);
        status = STATUS_ACCESS_VIOLATION;
      } else {
        const h = MsgHeader(message);
        h.DataLength = <u16>dataLength; // the values checked
        h.TotalLength = <u16>totalLength;
        frame.Message = message;
      }
    }
  }
  KeFreeScratch(header);
  return status;
}

/** Sets what the kernel owns in a header: type, the sender's ClientId, a new MessageId. */
export function LpcpStampMessage(message: usize, type: u16): u32 {
  const h = MsgHeader(message);
  h.Type = type;
  h.UniqueProcess = LpcpCurrentProcessId();
  h.UniqueThread = changetype<KTHREAD>(KeCurrentThread).UniqueThread;
  const id = LpcpNewMessageId();
  h.MessageId = id;
  h.ClientViewSize = 0; // CallbackId: callbacks are not supported
  return id;
}

/** NtRequestPort(PortHandle, RequestMessage): a datagram; nobody waits for an answer. */
export function NtRequestPort(handle: u32, request: usize): u32 {
  const port = LpcpReferencePort(handle);
  if (port == 0) return LpcpReferenceStatus();
  let status = LpcpCaptureMessage(request, Port(port).MaxMessageLength, LPC_DATAGRAM);
  if (status == STATUS_SUCCESS) {
    const message = LpcpFrame().Message;
    const lock = LpcpLock();
    // The receiver's context goes straight into the message (ours until it is queued).
    const queue = LpcpRoute(port, message + offsetof<LPCP_MESSAGE>("PortContext"));
    if (queue == 0) status = STATUS_PORT_DISCONNECTED;
    else if (Port(queue).QueueCount >= LPCP_MAX_QUEUED_DATAGRAMS) status = STATUS_NO_MEMORY;
    else {
      LpcpStampMessage(message, LPC_DATAGRAM);
      LpcpQueueMessage(queue, message);
    }
    LpcpUnlock(lock);
    if (status != STATUS_SUCCESS) LpcpFreeMessage(message);
  }
  ObDereferenceObject(port);
  return status;
}

/**
 * After LpcpWaitForAnswer: frees the request if nobody took it, copies the
 * answer to `reply` (range-checked for its TotalLength, copied after the
 * lock is released: the answer is this thread's by then) and frees it.
 * Returns the wait's status, the waker's, or STATUS_ACCESS_VIOLATION.
 */
export function LpcpTakeAnswer(lt: usize, waitStatus: u32, reply: usize): u32 {
  const lock = LpcpLock();
  const l = Lt(lt);
  const request = l.Request;
  l.Request = 0;
  const answer = l.ReplyMessage;
  l.ReplyMessage = 0;
  let status = waitStatus == STATUS_SUCCESS ? l.ReplyStatus : waitStatus;
  LpcpUnlock(lock);
  if (status == STATUS_SUCCESS) {
    if (answer == 0) status = STATUS_PORT_DISCONNECTED;
    else {
      const total = <u32>MsgHeader(answer).TotalLength;
      if (!ProbeUserRange(reply, total, 4) || !ExCopyToUser(reply, MsgPort(answer), total)) status = STATUS_ACCESS_VIOLATION;
    }
  }
  if (request != 0) LpcpFreeMessage(request);
  if (answer != 0) LpcpFreeMessage(answer);
  return status;
}

/**
 * NtRequestWaitReplyPort(PortHandle, RequestMessage, ReplyMessage): sends a
 * request and waits for its reply. A server that goes away answers it with
 * STATUS_PORT_DISCONNECTED.
 */
export function NtRequestWaitReplyPort(handle: u32, request: usize, reply: usize): u32 {
  if (!ProbeUserRange(reply, SIZEOF_PORT_MESSAGE, 4)) return STATUS_ACCESS_VIOLATION;
  const port = LpcpReferencePort(handle);
  if (port == 0) return LpcpReferenceStatus();
  const lt = LpcpCurrentThread();
  let status = lt == 0 ? STATUS_NO_MEMORY : LpcpCaptureMessage(request, Port(port).MaxMessageLength, LPC_REQUEST);
  if (status == STATUS_SUCCESS) {
    const message = LpcpFrame().Message;
    status = LpcpSendRequest(port, message, LPC_REQUEST, lt);
    if (status == STATUS_SUCCESS) status = LpcpTakeAnswer(lt, LpcpWaitForAnswer(lt), reply);
  }
  ObDereferenceObject(port);
  return status;
}

/**
 * May `port` answer the request thread `lt` waits on? The request must have
 * been received (a connection request is answered by NtAcceptConnectPort
 * instead) and have gone out through a port connected to `port`, or to a
 * communication port of the connection port `port` (servers reply through
 * their connection port handle), or to the connection port itself.
 */
export function LpcpAnswerable(port: usize, lt: usize): bool {
  const l = Lt(lt);
  if (l.Request != 0) {
    if (Msg(l.Request).QueuePort != 0) return false;
    if (MsgHeader(l.Request).Type == LPC_CONNECTION_REQUEST) return false;
  }
  const sent = l.WaitingOnPort;
  if (sent == 0) return false;
  if (sent == port) return PortKind(port) == SERVER_CONNECTION_PORT;
  const peer = Port(sent).ConnectedPort;
  if (peer == port) return true;
  return PortKind(port) == SERVER_CONNECTION_PORT && peer != 0 && Port(peer).ConnectionPort == port;
}

/** The waiting thread a message's ClientId and MessageId name, if `port` may answer it; else 0 and the status in LpcpFrame().Status. */
export function LpcpFindWaiter(port: usize, process: u32, thread: u32, id: u32): usize {
  const lt = LpcpFindThread(process, thread);
  let status = STATUS_SUCCESS;
  if (lt == 0) status = LpcpThreadExists(process, thread) ? STATUS_REPLY_MESSAGE_MISMATCH : STATUS_INVALID_CID;
  else if (id == 0 || Lt(lt).ReplyMessageId != id || !LpcpAnswerable(port, lt)) status = STATUS_REPLY_MESSAGE_MISMATCH;
  LpcpFrame().Status = status;
  return status == STATUS_SUCCESS ? lt : 0;
}

/**
 * NtImpersonateClientOfPort(PortHandle, Message): there are no impersonation
 * tokens yet, so a success changes nothing; but it succeeds only where NT's
 * would: on a server communication port, for a request whose client thread
 * still waits for the reply (else STATUS_REPLY_MESSAGE_MISMATCH, or
 * STATUS_INVALID_CID for a ClientId that names no thread).
 */
export function NtImpersonateClientOfPort(handle: u32, message: usize): u32 {
  // The ClientId and MessageId, read once before the lock.
  const ids = KeAllocateScratch(12);
  if (!ProbeUserRange(message, SIZEOF_PORT_MESSAGE, 4) || !ExCopyFromUser(ids, message + 8, 12)) { KeFreeScratch(ids); return STATUS_ACCESS_VIOLATION; }
  const process = load<u32>(ids), thread = load<u32>(ids, 4), id = load<u32>(ids, 8);
  KeFreeScratch(ids);
  const port = LpcpReferencePort(handle);
  if (port == 0) return LpcpReferenceStatus();
  let status = STATUS_INVALID_PORT_HANDLE;
  if (PortKind(port) == SERVER_COMMUNICATION_PORT) {
    const lock = LpcpLock();
    status = LpcpFindWaiter(port, process, thread, id) != 0 ? STATUS_SUCCESS : LpcpReferenceStatus();
    LpcpUnlock(lock);
  }
  ObDereferenceObject(port);
  return status;
}


/**
 * The kernel's own request (NT's LpcRequestWaitReplyPort, used for hard
 * errors): `request` (kernel memory, a whole PORT_MESSAGE of at most the
 * port's maximum) goes through `port` (referenced by the caller) typed
 * `type`, with the current thread's ClientId, and the current thread waits
 * for the answer, copied to `reply` (kernel memory, `replyMax` bytes at
 * most). STATUS_PORT_DISCONNECTED when the server is gone or goes.
 */
export function LpcRequestWaitReplyPortKernel(port: usize, type: u16, request: usize, reply: usize, replyMax: u32): u32 {
  const total = <u32>load<u16>(request, 2);
  if (total < SIZEOF_PORT_MESSAGE || total > Port(port).MaxMessageLength) return STATUS_PORT_MESSAGE_TOO_LONG;
  const lt = LpcpCurrentThread();
  if (lt == 0) return STATUS_NO_MEMORY;
  const reason = KeAllocateScratch(4);
  const message = LpcpAllocateMessage(total - SIZEOF_PORT_MESSAGE, true, reason);
  const refused = load<u32>(reason);
  KeFreeScratch(reason);
  if (message == 0) return refused;
  memory.copy(MsgPort(message), request, total);
  MsgHeader(message).DataLength = <u16>(total - SIZEOF_PORT_MESSAGE);
  let status = LpcpSendRequest(port, message, type, lt);
  if (status != STATUS_SUCCESS) return status;
  const wait = LpcpWaitForAnswer(lt);
  // As LpcpTakeAnswer, into kernel memory.
  const relock = LpcpLock();
  const l = Lt(lt);
  const sent = l.Request;
  l.Request = 0;
  const answer = l.ReplyMessage;
  l.ReplyMessage = 0;
  status = wait == STATUS_SUCCESS ? l.ReplyStatus : wait;
  if (status == STATUS_SUCCESS) {
    if (answer == 0) status = STATUS_PORT_DISCONNECTED;
    else {
      let n = <u32>MsgHeader(answer).TotalLength;
      if (n > replyMax) n = replyMax;
      memory.copy(reply, MsgPort(answer), n);
    }
  }
  LpcpUnlock(relock);
  if (sent != 0) LpcpFreeMessage(sent);
  if (answer != 0) LpcpFreeMessage(answer);
  return status;
}

/** A port by handle, referenced, for kernel components above LPC; 0 with the status in LpcReferencePortStatus(). */
export function LpcReferencePortByHandle(handle: u32): usize { return LpcpReferencePort(handle); }
export function LpcReferencePortStatus(): u32 { return LpcpReferenceStatus(); }
/** Has the side that owns `port` closed it (its owner ended or closed its last handle)? */
export function LpcIsPortClosed(port: usize): bool { return (Port(port).Flags & PORT_CLOSED) != 0; }

/**
 * Queues `message` (a kernel copy) as a request of `type` from thread `lt`
 * on the queue `port` routes to, and makes `lt` the one that waits for its
 * answer. STATUS_PORT_DISCONNECTED (the message freed) when no one listens.
 */
function LpcpSendRequest(port: usize, message: usize, type: u16, lt: usize): u32 {
  let status = STATUS_SUCCESS;
  const lock = LpcpLock();
  const queue = LpcpRoute(port, message + offsetof<LPCP_MESSAGE>("PortContext")); // the receiver's context, into the message
  if (queue == 0) status = STATUS_PORT_DISCONNECTED;
  else {
    const id = LpcpStampMessage(message, type);
    Msg(message).Sender = lt;
    LpcpPrepareWait(lt, id, port, message);
    LpcpQueueMessage(queue, message);
  }
  LpcpUnlock(lock);
  if (status != STATUS_SUCCESS) LpcpFreeMessage(message);
  return status;
}

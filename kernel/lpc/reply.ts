// LPC services that answer and receive: NtReplyPort, NtReplyWaitReceivePort
// and its Ex form (a timeout), NtReplyWaitReplyPort, NtListenPort.
//
// A server's port for receiving is its connection port: a server
// communication port handle receives from the connection port it belongs
// to, a client port from its own queue (what the server sends it). A reply
// goes to the thread its ClientId names, only if that thread waits for
// exactly that MessageId through a port connected to the replier's
// (send.ts, LpcpAnswerable); a reply to a request whose thread gave up
// waiting after the server received it goes back as LPC_LOST_REPLY (lpcp.ts).

import { ExCopyFromUser, ExCopyToUser, ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeCurrentThread, KeFreeScratch, KTHREAD } from "../ke/thread";
import { KeReleaseSemaphore, KeWaitForSingleObject } from "../ke/wait";
import { ObDereferenceObject } from "../ob/obref";
import { ExCaptureTimeout } from "../ex/capture";
import { IsListEmpty } from "../sdk/list";
import {
  LpcpLock, LpcpUnlock, LpcpDequeueMessage, LpcpFreeMessage, LpcpCurrentThread, LpcpCurrentProcessId, LpcpPrepareWait, LpcpWake,
  LpcpWaitForAnswer, LpcpDeliverLostReply, LpcpReferencePort, LpcpReferenceStatus, LpcpFrame, LPCP_SERVICE_FRAME, Lt, Msg, MsgHeader, MsgPort, Port, PortKind,
  PORT_QUEUE, PORT_SEMAPHORE, SERVER_COMMUNICATION_PORT,
} from "./lpcp";
import { LpcpCaptureMessage, LpcpFindWaiter, LpcpTakeAnswer } from "./send";
import {
  SIZEOF_PORT_MESSAGE, LPC_REPLY, LPC_CONNECTION_REQUEST, PORT_CREATE_MAXIMUM_MESSAGE_LENGTH,
} from "../sdk/lpc";
import { STATUS_ACCESS_VIOLATION, STATUS_NO_MEMORY, STATUS_SUCCESS, STATUS_TIMEOUT } from "../sdk/ntstatus";

/**
 * Captures the caller's reply at `user` for `port` and hands it to the
 * thread waiting for it. `before` (an LPCP_THREAD, or 0) is readied to wait
 * for the reply's own MessageId first (NtReplyWaitReplyPort), so an answer
 * that comes back at once is not missed.
 */
function LpcpReply(port: usize, user: usize, before: usize): u32 {
  let status = LpcpCaptureMessage(user, Port(port).MaxMessageLength, 0xFFFF);
  if (status != STATUS_SUCCESS) return status;
  const message = LpcpFrame().Message;
  const h = MsgHeader(message);
  const process = h.UniqueProcess, thread = h.UniqueThread, id = h.MessageId;
  h.Type = LPC_REPLY; // MessageId and CallbackId stay the request's
  h.UniqueProcess = LpcpCurrentProcessId();
  h.UniqueThread = changetype<KTHREAD>(KeCurrentThread).UniqueThread;
  const lock = LpcpLock();
  const waiter = LpcpFindWaiter(port, process, thread, id);
  if (waiter == 0) {
    status = LpcpFrame().Status;
    // A reply to a request whose thread stopped waiting is not refused: it is lost (LPC_LOST_REPLY).
    // (Not for NtReplyWaitReplyPort: its caller waits for an answer a lost reply never brings.)
    if (before == 0 && LpcpDeliverLostReply(port, message, process, thread, id)) { LpcpUnlock(lock); return STATUS_SUCCESS; }
  } else {
    if (before != 0) LpcpPrepareWait(before, id, port, 0);
    LpcpWake(waiter, STATUS_SUCCESS, message);
  }
  LpcpUnlock(lock);
  if (status != STATUS_SUCCESS) LpcpFreeMessage(message);
  return status;
}

/** NtReplyPort(PortHandle, ReplyMessage). */
export function NtReplyPort(handle: u32, reply: usize): u32 {
  const port = LpcpReferencePort(handle);
  if (port == 0) return LpcpReferenceStatus();
  const status = LpcpReply(port, reply, 0);
  ObDereferenceObject(port);
  return status;
}

/**
 * NT's ProbeForWrite: the range check, then each page of [address, address +
 * length) read and written back through the guarded copies, so a buffer with
 * nothing mapped is refused before a message is taken for it. Not a
 * promise: the pages may still go before the copy (which is guarded too).
 */
function LpcpProbeForWrite(address: usize, length: u32): bool {
  if (!ProbeUserRange(address, length, 4)) return false;
  if (length == 0) return true;
  const cell = KeAllocateScratch(4);
  let ok = true;
  for (let page = address & ~<usize>4095; ok && page < address + length; page += 4096) {
    const at = page < address ? address : page;
    ok = ExCopyFromUser(cell, at, 1) && ExCopyToUser(at, cell, 1);
  }
  KeFreeScratch(cell);
  return ok;
}

/**
 * Waits for a message on the queue `port` receives from and copies it to
 * `receive`. The message is taken off its queue under the lock and copied
 * to the caller after it (ExCopyToUser; a connection request, which stays
 * its client's, through a kernel copy made under the lock): a buffer that
 * faults then gets STATUS_ACCESS_VIOLATION and the message is lost, as in
 * NT. The message's type goes to LpcpFrame().ReceivedType.
 */
function LpcpReceive(port: usize, portContext: usize, receive: usize, timeout: usize): u32 {
  const queuePort = PortKind(port) == SERVER_COMMUNICATION_PORT ? Port(port).ConnectionPort : port;
  while (true) {
    const wait = KeWaitForSingleObject(queuePort + PORT_SEMAPHORE, timeout, true);
    if (wait == STATUS_TIMEOUT) return STATUS_TIMEOUT;
    if (wait != 0) return wait; // the thread is asked to end
    const bounce = KeAllocateScratch(PORT_CREATE_MAXIMUM_MESSAGE_LENGTH);
    const lock = LpcpLock();
    if (IsListEmpty(queuePort + PORT_QUEUE)) { LpcpUnlock(lock); KeFreeScratch(bounce); continue; } // its sender took it back
    const message = load<usize>(queuePort + PORT_QUEUE);
    const total = <u32>MsgHeader(message).TotalLength;
    if (!ProbeUserRange(receive, total, 4)) {
      KeReleaseSemaphore(queuePort + PORT_SEMAPHORE, 1, 0); // the message stays for the next receive
      LpcpUnlock(lock);
      KeFreeScratch(bounce);
      return STATUS_ACCESS_VIOLATION;
    }
    LpcpDequeueMessage(message);
    memory.copy(bounce, MsgPort(message), total);
    const context = Msg(message).PortContext;
    const type = MsgHeader(message).Type;
    LpcpFrame().ReceivedType = type;
    const sender = Msg(message).Sender;
    let keep = false;
    if (sender != 0 && Lt(sender).Request == message) {
      // A connection request stays its client's until accepted or refused;
      // a request is the server's now, its client waits for the reply.
      if (type == LPC_CONNECTION_REQUEST) keep = true;
      else Lt(sender).Request = 0;
    }
    LpcpUnlock(lock);
    if (!keep) LpcpFreeMessage(message);
    let status = STATUS_SUCCESS;
    if (!ExCopyToUser(receive, bounce, total) || (portContext != 0 && !ExWriteUserUlong(portContext, <u32>context))) status = STATUS_ACCESS_VIOLATION;
    KeFreeScratch(bounce);
    return status;
  }
}

/**
 * NtReplyWaitReceivePortEx(PortHandle, PortContext, ReplyMessage, ReceiveMessage, Timeout):
 * replies (when ReplyMessage is given) and waits for the next message;
 * STATUS_TIMEOUT when none comes in time.
 */
export function NtReplyWaitReceivePortEx(handle: u32, portContext: usize, reply: usize, receive: usize, timeout: usize): u32 {
  if (portContext != 0 && !ProbeUserRange(portContext, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (!LpcpProbeForWrite(receive, SIZEOF_PORT_MESSAGE)) return STATUS_ACCESS_VIOLATION;
  const due = ExCaptureTimeout(timeout, changetype<usize>(LpcpFrame()) + offsetof<LPCP_SERVICE_FRAME>("Timeout"));
  if (due == 1) return STATUS_ACCESS_VIOLATION;
  const port = LpcpReferencePort(handle);
  if (port == 0) return LpcpReferenceStatus();
  let status = reply != 0 ? LpcpReply(port, reply, 0) : STATUS_SUCCESS;
  if (status == STATUS_SUCCESS) status = LpcpReceive(port, portContext, receive, due);
  ObDereferenceObject(port);
  return status;
}

/** NtReplyWaitReceivePort(PortHandle, PortContext, ReplyMessage, ReceiveMessage): no timeout. */
export function NtReplyWaitReceivePort(handle: u32, portContext: usize, reply: usize, receive: usize): u32 {
  return NtReplyWaitReceivePortEx(handle, portContext, reply, receive, 0);
}

/**
 * NtListenPort(PortHandle, ConnectionRequest): receives until a connection
 * request comes (other messages received meanwhile are dropped, as NT's).
 */
export function NtListenPort(handle: u32, connectionRequest: usize): u32 {
  while (true) {
    const status = NtReplyWaitReceivePortEx(handle, 0, 0, connectionRequest, 0);
    if (status != STATUS_SUCCESS) return status;
    if ((LpcpFrame().ReceivedType & 0xFFF) == LPC_CONNECTION_REQUEST) return STATUS_SUCCESS;
  }
}

/**
 * NtReplyWaitReplyPort(PortHandle, ReplyMessage): replies, then waits for a
 * reply to that same MessageId (the other side answers back), which lands
 * in the same buffer.
 */
export function NtReplyWaitReplyPort(handle: u32, reply: usize): u32 {
  if (!ProbeUserRange(reply, SIZEOF_PORT_MESSAGE, 4)) return STATUS_ACCESS_VIOLATION;
  const port = LpcpReferencePort(handle);
  if (port == 0) return LpcpReferenceStatus();
  const lt = LpcpCurrentThread();
  let status = lt == 0 ? STATUS_NO_MEMORY : LpcpReply(port, reply, lt);
  if (status == STATUS_SUCCESS) status = LpcpTakeAnswer(lt, LpcpWaitForAnswer(lt), reply);
  ObDereferenceObject(port);
  return status;
}

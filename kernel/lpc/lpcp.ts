// LPC's private structures and the machinery the services share: the Port
// and WaitablePort object types, message queues, per-thread reply state,
// port rundown (a side that closes), thread rundown (LPC_CLIENT_DIED) and
// the replies to requests whose thread gave up waiting (LPC_LOST_REPLY).
//
// Ports come in the four kinds NT has. A server creates a *connection port*
// (NtCreatePort, usually named); a client's NtConnectPort makes a *client
// communication port* and queues an LPC_CONNECTION_REQUEST on the connection
// port; the server's NtAcceptConnectPort makes the *server communication
// port*, links the two, and NtCompleteConnectPort wakes the client.
//
//   client thread          client port  <--ConnectedPort-->  server port
//     NtRequestWaitReplyPort  |                                   | ConnectionPort
//                             +------ message queued on ------> connection port's queue
//                                                                 (the server's NtReplyWaitReceivePort)
//
// Messages always pass through the kernel: a sender's message is captured
// once into an LPCP_MESSAGE in pool (its ClientId, MessageId and Type set
// here, whatever the caller wrote), queued on the receiving port, and copied
// out to the receiver in the receiver's address space. A reply travels the
// same way and is handed to the waiting thread, found by its ClientId; the
// reply must name the MessageId the thread waits on and come through a port
// connected to the one the request went out on.
//
// Locking: one uniprocessor lock, interrupts off (KeAcquireDispatcherLock), around
// every change to ports, queues and thread states, and around each copy
// between a user buffer and a message (the copy is probed under the lock,
// so no other thread can unmap the buffer between probe and copy). Waking a
// thread or a receiver is the last step of each change, because a wake-up
// may switch to the woken thread at once.

import { KeAllocateScratch, KeCurrentThread, KeFreeScratch, KTHREAD, KTHREAD_LPC_FRAME, KeAcquireDispatcherLock, KeReleaseDispatcherLock } from "../ke/thread";
import { KEVENT_SIZE, KSEMAPHORE_SIZE, KeInitializeEvent, KeInitializeSemaphore, KeReleaseSemaphore, KeResetEvent, KeSetEvent, KeWaitForSingleObject } from "../ke/wait";
import { KeBugCheckEx } from "../ke/bugcheck";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExChargePoolQuota, ExCurrentQuotaBlock, ExReturnPoolQuota } from "../ex/quota";
import { InitializeListHead, InsertTailList, IsListEmpty, RemoveEntryList } from "../sdk/list";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { ObCreateObjectType, ObInitializeTypeInitializer } from "../ob/obcreate";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import { OBJECT_TYPE_INITIALIZER, OBJECT_TO_OBJECT_HEADER, READ_CONTROL, DELETE } from "../ob/obp";
import { ObRegisterIndirectWaitableType } from "../ob/obwait";
import {
  PORT_MESSAGE, SIZEOF_PORT_MESSAGE, PORT_CREATE_MAXIMUM_MESSAGE_LENGTH, LPC_PORT_CLOSED, LPC_CLIENT_DIED, LPC_LOST_REPLY,
  PORT_CONNECT, PORT_ALL_ACCESS,
} from "../sdk/lpc";
import { LpcpDeleteViews } from "./view";
import {
  STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_PORT_DISCONNECTED, STATUS_SUCCESS,
  STATUS_THREAD_IS_TERMINATING, STATUS_QUOTA_EXCEEDED, STATUS_INSUFFICIENT_RESOURCES,
} from "../sdk/ntstatus";

// ---- ports ----

/** LPCP_PORT.Flags: the kind (low four bits) and state. */
export const SERVER_CONNECTION_PORT: u32 = 1;
export const UNCONNECTED_COMMUNICATION_PORT: u32 = 2;
export const SERVER_COMMUNICATION_PORT: u32 = 3;
export const CLIENT_COMMUNICATION_PORT: u32 = 4;
export const PORT_TYPE: u32 = 0xF;
/** Created by NtCreateWaitablePort: its handle may be waited on (WaitEvent). */
export const PORT_WAITABLE: u32 = 0x20;
/** The side that owns it has closed its last handle: nothing more goes in or out. */
export const PORT_CLOSED: u32 = 0x100;

/**
 * The body of a Port (and WaitablePort) object. A connection port's queue
 * receives connection requests and every message its clients send; a client
 * port's queue receives what the server sends (datagrams, LPC_PORT_CLOSED).
 */
@unmanaged export class LPCP_PORT {
  DispatcherObject: usize;  // +0 &WaitEvent: what a wait on a WaitablePort handle waits on (ex/sync indirect types)
  Flags: u32;
  ConnectionPort: usize;    // communication ports: the server's connection port (referenced); a connection port: itself
  ConnectedPort: usize;     // communication ports: the other end (referenced) until either side closes
  PortContext: usize;       // server ports: NtAcceptConnectPort's context, given with each message received through it
  MaxMessageLength: u32;    // header included
  MaxConnectionInfoLength: u32;
  CreatorProcess: u32;      // ClientId of the creator
  CreatorThread: u32;
  ConnectingThread: usize;  // server ports: the client's LPCP_THREAD between accept and NtCompleteConnectPort
  QueueFlink: usize;        // +40 LPCP_MESSAGEs waiting to be received
  QueueBlink: usize;
  // +48 KSEMAPHORE: one count per queued message (receivers wait on it)
  SemType: u32; SemSignalState: i32; SemWaitFlink: usize; SemWaitBlink: usize; SemLimit: i32;
  // +68 KEVENT (notification): signalled while the queue holds a message
  EvType: u32; EvSignalState: i32; EvWaitFlink: usize; EvWaitBlink: usize;
  QueueCount: u32;          // messages on the queue
  // Port views (kernel/lpc/view.ts): what this side has mapped, unmapped when the port goes.
  MappingProcess: usize;    // the process (referenced) whose address space holds the two views below; 0: none
  ClientSectionBase: usize; // the client's view: in the client (client port), in the server (server port)
  ServerSectionBase: usize; // the server's view: in the client (client port), in the server (server port)
  SectionToMap: usize;      // client ports: the client's section (referenced), for the server to map
  ViewOffset: u32;          // client ports: the client view's section offset (64 KiB aligned)
  ViewSize: u32;            // client ports: the client view's size
  ViewRemoteBase: usize;    // client ports: where the server mapped the client's view
  ServerViewSize: u32;      // client ports: the server view's size
}
export const LPCP_PORT_SIZE: u32 = offsetof<LPCP_PORT>();
export const PORT_QUEUE: u32 = offsetof<LPCP_PORT>("QueueFlink");
export const PORT_SEMAPHORE: u32 = offsetof<LPCP_PORT>("SemType");
export const PORT_WAIT_EVENT: u32 = offsetof<LPCP_PORT>("EvType");

@inline export function Port(port: usize): LPCP_PORT { return changetype<LPCP_PORT>(port); }
@inline export function PortKind(port: usize): u32 { return Port(port).Flags & PORT_TYPE; }

// ---- messages ----

/**
 * A message in the kernel: links, routing, then the PORT_MESSAGE and its data
 * as the receiver will see them.
 */
@unmanaged export class LPCP_MESSAGE {
  EntryFlink: usize;        // in QueuePort's queue
  EntryBlink: usize;
  QueuePort: usize;         // the port whose queue holds it; 0 once received (or never queued)
  PortContext: usize;       // given to the receiver
  Sender: usize;            // the LPCP_THREAD that waits for an answer (requests, connection requests), else 0
  ClientPort: usize;        // connection requests: the client's new port (referenced), until it gets a handle
  ServerPort: usize;        // connection requests: the server port NtAcceptConnectPort made (referenced; 0 before)
  Capacity: u32;            // bytes of data the buffer holds (connection requests: the answer's room)
  QuotaBlock: usize;        // the sender's quota block charged for the buffer (ex/quota.ts), 0 for the kernel's notices
  Reserved: u32;
  // +40: PORT_MESSAGE, data
}
export const LPCP_MESSAGE_HEADER: u32 = 40;
@inline export function Msg(message: usize): LPCP_MESSAGE { return changetype<LPCP_MESSAGE>(message); }
@inline export function MsgHeader(message: usize): PORT_MESSAGE { return changetype<PORT_MESSAGE>(message + LPCP_MESSAGE_HEADER); }
@inline export function MsgPort(message: usize): usize { return message + LPCP_MESSAGE_HEADER; }
const MESSAGE_TAG: u32 = 0x4D63704C; // 'LpcM'

// Messages come from a small zone of buffers of the largest size (NT keeps
// one too, LpcpZone): a round trip then costs no pool search. The zone is
// emptied when the last port goes, so LPC holds no pool while unused.

/** The most data a message carries: PORT_CREATE_MAXIMUM_MESSAGE_LENGTH less the header (connection information is less). */
const LPCP_MAX_DATA: u32 = PORT_CREATE_MAXIMUM_MESSAGE_LENGTH - SIZEOF_PORT_MESSAGE;
const LPCP_ZONE_BYTES: u32 = LPCP_MESSAGE_HEADER + SIZEOF_PORT_MESSAGE + LPCP_MAX_DATA;
/** Free buffers kept (a chain through their first word). */
const LPCP_ZONE_MAX: u32 = 8;
let LpcpZoneFree: usize = 0;
let LpcpZoneCount: u32 = 0;
/** Ports in existence: the zone is emptied when this drops to 0. */
let LpcpPortCount: u32 = 0;

/**
 * A message with room for `dataCapacity` bytes of data (at most LPCP_MAX_DATA), headers zeroed; 0 when pool
 * is out or, with `charge`, when the sending process's quota is (ex/quota.ts: a message queued holds a whole
 * buffer of the sender's nonpaged quota until it is freed, so a port's queue cannot fill the pool).
 * Why a 0 (STATUS_QUOTA_EXCEEDED or STATUS_INSUFFICIENT_RESOURCES) goes to `status` when it is not 0.
 */
export function LpcpAllocateMessage(dataCapacity: u32, charge: bool = true, status: usize = 0): usize {
  if (status != 0) store<u32>(status, STATUS_INSUFFICIENT_RESOURCES);
  if (dataCapacity > LPCP_MAX_DATA) return 0;
  const block = charge ? ExCurrentQuotaBlock() : 0;
  if (ExChargePoolQuota(block, 0, LPCP_ZONE_BYTES) != STATUS_SUCCESS) { if (status != 0) store<u32>(status, STATUS_QUOTA_EXCEEDED); return 0; }
  const lock = LpcpLock();
  let message = LpcpZoneFree;
  if (message != 0) { LpcpZoneFree = load<usize>(message); LpcpZoneCount--; }
  LpcpUnlock(lock);
  if (message != 0) memory.fill(message, 0, LPCP_MESSAGE_HEADER + SIZEOF_PORT_MESSAGE);
  else message = ExAllocatePoolWithTag(NonPagedPool, LPCP_ZONE_BYTES, MESSAGE_TAG);
  if (message == 0) { ExReturnPoolQuota(block, 0, LPCP_ZONE_BYTES); return 0; }
  Msg(message).Capacity = dataCapacity;
  Msg(message).QuotaBlock = block;
  return message;
}

/** Frees a message that no queue holds; a connection request's references on its ports go with it. */
export function LpcpFreeMessage(message: usize): void {
  const m = Msg(message);
  if (m.ClientPort != 0) { const client = m.ClientPort; m.ClientPort = 0; ObDereferenceObject(client); }
  if (m.ServerPort != 0) { const server = m.ServerPort; m.ServerPort = 0; ObDereferenceObject(server); }
  const block = m.QuotaBlock;
  m.QuotaBlock = 0;
  ExReturnPoolQuota(block, 0, LPCP_ZONE_BYTES);
  const lock = LpcpLock();
  const keep = LpcpPortCount != 0 && LpcpZoneCount < LPCP_ZONE_MAX;
  if (keep) { store<usize>(message, LpcpZoneFree); LpcpZoneFree = message; LpcpZoneCount++; }
  LpcpUnlock(lock);
  if (!keep) ExFreePoolWithTag(message, MESSAGE_TAG);
}

/** The last port is gone: the zone's buffers go back to the pool. */
function LpcpEmptyZone(): void {
  while (LpcpZoneFree != 0) {
    const message = LpcpZoneFree;
    LpcpZoneFree = load<usize>(message);
    LpcpZoneCount--;
    ExFreePoolWithTag(message, MESSAGE_TAG);
  }
}

let LpcpNextMessageId: u32 = 1;
/** A new message id (never 0: 0 means "no message" in a thread's state). */
export function LpcpNewMessageId(): u32 {
  const id = LpcpNextMessageId;
  LpcpNextMessageId = id == 0xFFFFFFFF ? 1 : id + 1;
  return id;
}

// ---- the lock ----

@inline export function LpcpLock(): u32 { return KeAcquireDispatcherLock(); }
@inline export function LpcpUnlock(state: u32): void { KeReleaseDispatcherLock(state); }

// ---- queues ----

/**
 * Datagrams a queue takes from user mode (a sender of requests waits for
 * each, so only datagrams can pile up): past it NtRequestPort answers
 * STATUS_NO_MEMORY, as NT's does when the port's zone is spent. The
 * kernel's own LPC_PORT_CLOSED and LPC_CLIENT_DIED always go in.
 */
export const LPCP_MAX_QUEUED_DATAGRAMS: u32 = 64;

/**
 * Queues `message` on `port` and wakes a receiver. The last step of a
 * change under the lock: the wake-up may switch threads.
 */
export function LpcpQueueMessage(port: usize, message: usize): void {
  Msg(message).QueuePort = port;
  InsertTailList(port + PORT_QUEUE, message);
  Port(port).QueueCount++;
  if ((Port(port).Flags & PORT_WAITABLE) == 0) { KeReleaseSemaphore(port + PORT_SEMAPHORE, 1, 0); return; }
  // Two signals: the port must outlive whatever runs after the first.
  ObReferenceObject(port);
  KeSetEvent(port + PORT_WAIT_EVENT);
  KeReleaseSemaphore(port + PORT_SEMAPHORE, 1, 0);
  ObDereferenceObject(port);
}

/** Takes a message off its queue (a receiver that got the semaphore's count does this). */
export function LpcpDequeueMessage(message: usize): void {
  const port = Msg(message).QueuePort;
  RemoveEntryList(message);
  Msg(message).QueuePort = 0;
  Port(port).QueueCount--;
  if (IsListEmpty(port + PORT_QUEUE) && (Port(port).Flags & PORT_WAITABLE) != 0) KeResetEvent(port + PORT_WAIT_EVENT);
}

/**
 * Takes a message off its queue on anyone's behalf but a receiver's: its
 * count comes off the semaphore too, unless a receiver has already been
 * given that count (it then finds the queue short and waits again).
 */
export function LpcpUnqueueMessage(message: usize): void {
  const port = Msg(message).QueuePort;
  if (port == 0) return;
  LpcpDequeueMessage(message);
  const p = Port(port);
  if (p.SemSignalState > 0) p.SemSignalState--;
}

// ---- threads ----

/**
 * A thread's LPC state, made on its first wait for an answer. While it waits
 * ReplyMessageId names what it waits for; whoever answers sets ReplyStatus
 * (and ReplyMessage), clears ReplyMessageId and sets ReplyEvent.
 */
@unmanaged export class LPCP_THREAD {
  LinksFlink: usize;        // on LpcpThreads
  LinksBlink: usize;
  Thread: usize;
  UniqueProcess: u32;
  UniqueThread: u32;
  ReplyMessageId: u32;      // the request or connection request it waits on; 0: none
  ReplyMessage: usize;      // the answer handed over (an LPCP_MESSAGE it then owns)
  ReplyStatus: u32;         // STATUS_SUCCESS, STATUS_PORT_DISCONNECTED, STATUS_PORT_CONNECTION_REFUSED
  WaitingOnPort: usize;     // the port its request went out through (its service holds a reference)
  Request: usize;           // its request while queued; its connection request until it is answered
  TerminatePorts: usize;    // NtRegisterThreadTerminatePort: chain of { next, port (referenced) }
  Reserved: u32;
  // +48 ReplyEvent: a synchronization KEVENT
  EvType: u32; EvSignalState: i32; EvWaitFlink: usize; EvWaitBlink: usize;
}
const LPCP_THREAD_SIZE: u32 = offsetof<LPCP_THREAD>();
export const THREAD_REPLY_EVENT: u32 = offsetof<LPCP_THREAD>("EvType");
const THREAD_TAG: u32 = 0x5463704C; // 'LpcT'
const NODE_TAG: u32 = 0x4E63704C;   // 'LpcN'
@inline export function Lt(lt: usize): LPCP_THREAD { return changetype<LPCP_THREAD>(lt); }

/** Every LPCP_THREAD, so a reply finds the thread its ClientId names. */
const LpcpThreads: usize = memory.data(8, 4);

// ---- what LPC reads of processes: Ps's, handed in (LpcSetProcessRoutines, PsInitializeLpcViews) ----

/** A process's id (`process` 0: the System process). */
export type LPC_PROCESS_ID = (process: usize) => u32;
/** A process's creation time (`process` 0: the System process's). */
export type LPC_PROCESS_CREATE_TIME = (process: usize) => u64;
/** Is there a running thread with this ClientId (PsLookupProcessThreadByCid)? */
export type LPC_THREAD_EXISTS = (process: u32, thread: u32) => bool;
function LpcpNoProcessId(process: usize): u32 { return 0; }
function LpcpNoCreateTime(process: usize): u64 { return 0; }
function LpcpNoThread(process: u32, thread: u32): bool { return false; }
let LpcpProcessId: LPC_PROCESS_ID = LpcpNoProcessId;
let LpcpProcessCreateTime: LPC_PROCESS_CREATE_TIME = LpcpNoCreateTime;
let LpcpThreadExistsRoutine: LPC_THREAD_EXISTS = LpcpNoThread;

/** Phase 1: Ps sits above LPC and hands in how to read its processes (before LPC's first message). */
export function LpcSetProcessRoutines(processId: LPC_PROCESS_ID, createTime: LPC_PROCESS_CREATE_TIME, threadExists: LPC_THREAD_EXISTS): void {
  LpcpProcessId = processId;
  LpcpProcessCreateTime = createTime;
  LpcpThreadExistsRoutine = threadExists;
}

/** The current thread's process id (the System process's for kernel threads). */
export function LpcpCurrentProcessId(): u32 {
  return LpcpProcessId(changetype<KTHREAD>(KeCurrentThread).Process);
}

/** The current thread's LPC state, made on first use; 0 when pool is out. */
export function LpcpCurrentThread(): usize {
  const t = changetype<KTHREAD>(KeCurrentThread);
  if (t.LpcThread != 0) return t.LpcThread;
  const lt = ExAllocatePoolWithTag(NonPagedPool, LPCP_THREAD_SIZE, THREAD_TAG);
  if (lt == 0) return 0;
  Lt(lt).Thread = KeCurrentThread;
  Lt(lt).UniqueProcess = LpcpCurrentProcessId();
  Lt(lt).UniqueThread = t.UniqueThread;
  KeInitializeEvent(lt + THREAD_REPLY_EVENT, false, false);
  const lock = LpcpLock();
  InsertTailList(LpcpThreads, lt);
  LpcpUnlock(lock);
  t.LpcThread = lt;
  return lt;
}

/** The LPC state of the thread a ClientId names (0: none, or it never used LPC). */
export function LpcpFindThread(process: u32, thread: u32): usize {
  for (let e = load<usize>(LpcpThreads); e != LpcpThreads; e = load<usize>(e)) {
    if (Lt(e).UniqueThread == thread && (process == 0 || Lt(e).UniqueProcess == process)) return e;
  }
  return 0;
}

/** Is there a running thread with this ClientId (PsLookupProcessThreadByCid)? */
export function LpcpThreadExists(process: u32, thread: u32): bool { return LpcpThreadExistsRoutine(process, thread); }

/** Readies `lt` for a wait on message `id` sent through `port` (under the lock). */
export function LpcpPrepareWait(lt: usize, id: u32, port: usize, request: usize): void {
  const l = Lt(lt);
  l.ReplyMessageId = id;
  l.ReplyMessage = 0;
  l.ReplyStatus = STATUS_PORT_DISCONNECTED;
  l.WaitingOnPort = port;
  l.Request = request;
  KeResetEvent(lt + THREAD_REPLY_EVENT);
}

/** Answers a waiting thread (under the lock; the last step: it may run at once). */
export function LpcpWake(lt: usize, status: u32, message: usize): void {
  const l = Lt(lt);
  l.ReplyStatus = status;
  l.ReplyMessage = message;
  l.ReplyMessageId = 0;
  KeSetEvent(lt + THREAD_REPLY_EVENT);
}

/**
 * Waits for the answer to what LpcpPrepareWait named. A thread asked to
 * end stops waiting: what it sent is taken back (or is answered to nobody).
 * Returns STATUS_SUCCESS when answered (see ReplyStatus), else
 * STATUS_THREAD_IS_TERMINATING. Either way, afterwards, under the lock, a
 * request still queued has been taken off its queue.
 */
export function LpcpWaitForAnswer(lt: usize): u32 {
  const wait = KeWaitForSingleObject(lt + THREAD_REPLY_EVENT, 0, true);
  // A request the other side already holds will be answered to nobody: its
  // reply is lost (LpcpNoteLostReply). The record is made before the lock.
  const record = wait != 0 ? ExAllocatePoolWithTag(NonPagedPool, LPCP_LOST_SIZE, LOST_TAG) : 0;
  const lock = LpcpLock();
  const l = Lt(lt);
  let status = STATUS_SUCCESS;
  let kept = false;
  if (wait != 0 && l.ReplyMessageId != 0) {
    if (l.Request == 0 && l.WaitingOnPort != 0 && record != 0) { LpcpNoteLostReply(record, l); kept = true; }
    l.ReplyMessageId = 0;
    status = STATUS_THREAD_IS_TERMINATING;
  }
  if (l.Request != 0) LpcpUnqueueMessage(l.Request);
  LpcpUnlock(lock);
  if (record != 0 && !kept) ExFreePoolWithTag(record, LOST_TAG);
  return status;
}

// ---- lost replies ----
//
// A thread that stops waiting (it is killed, or ends) after the other side
// received its request leaves that request unanswered. NT's NtReplyPort says
// what becomes of the reply that still comes: when the thread it names does
// not wait for that MessageId, the message goes, typed LPC_LOST_REPLY, to
// the queue of the port connected to the replier's port. Here that holds for the
// requests a thread gave up on: each is remembered (ClientId, MessageId,
// the port it went out through) until its reply comes or that port closes;
// a reply naming anything else still gets STATUS_REPLY_MESSAGE_MISMATCH or
// STATUS_INVALID_CID, as NT's code answers forged replies.

@unmanaged class LPCP_LOST {
  LinksFlink: usize;        // on LpcpLostReplies
  LinksBlink: usize;
  UniqueProcess: u32;
  UniqueThread: u32;
  MessageId: u32;
  Port: usize;              // the port the request went out through (not referenced: a record goes when it closes)
}
const LPCP_LOST_SIZE: u32 = offsetof<LPCP_LOST>();
const LOST_TAG: u32 = 0x4C63704C; // 'LpcL'
/** At most this many lost requests are remembered (the oldest is forgotten first). */
const LPCP_MAX_LOST: u32 = 16;
const LpcpLostReplies: usize = memory.data(8, 4);
let LpcpLostCount: u32 = 0;
@inline function Lost(record: usize): LPCP_LOST { return changetype<LPCP_LOST>(record); }

/** Remembers the request `l` waited on as lost (under the lock). */
function LpcpNoteLostReply(record: usize, l: LPCP_THREAD): void {
  if (LpcpLostCount >= LPCP_MAX_LOST) LpcpForgetLost(load<usize>(LpcpLostReplies));
  Lost(record).UniqueProcess = l.UniqueProcess;
  Lost(record).UniqueThread = l.UniqueThread;
  Lost(record).MessageId = l.ReplyMessageId;
  Lost(record).Port = l.WaitingOnPort;
  InsertTailList(LpcpLostReplies, record);
  LpcpLostCount++;
}

function LpcpForgetLost(record: usize): void {
  RemoveEntryList(record);
  LpcpLostCount--;
  ExFreePoolWithTag(record, LOST_TAG);
}

/** Every lost request that went out through `port` is forgotten: it closes (under the lock). */
function LpcpForgetLostOf(port: usize): void {
  let e = load<usize>(LpcpLostReplies);
  while (e != LpcpLostReplies) {
    const next = load<usize>(e);
    if (Lost(e).Port == port) LpcpForgetLost(e);
    e = next;
  }
}

/**
 * A reply through `port` that no thread waits for: if it answers a lost
 * request sent through a port connected to `port` (or through a
 * communication port of `port`, a connection port), it becomes an
 * LPC_LOST_REPLY queued where the requester's side receives, and true is
 * returned; the message is then the queue's. Under the lock (the last step).
 */
export function LpcpDeliverLostReply(port: usize, message: usize, process: u32, thread: u32, id: u32): bool {
  for (let e = load<usize>(LpcpLostReplies); e != LpcpLostReplies; e = load<usize>(e)) {
    const r = Lost(e);
    if (r.UniqueProcess != process || r.UniqueThread != thread || r.MessageId != id) continue;
    const sent = r.Port;
    const peer = Port(sent).ConnectedPort;
    if (peer != port && !(PortKind(port) == SERVER_CONNECTION_PORT && peer != 0 && Port(peer).ConnectionPort == port)) return false;
    const serverSide = PortKind(sent) == SERVER_COMMUNICATION_PORT;
    const queue = serverSide ? Port(sent).ConnectionPort : sent;
    if (queue == 0 || (Port(queue).Flags & PORT_CLOSED) != 0 || (Port(sent).Flags & PORT_CLOSED) != 0) return false;
    LpcpForgetLost(e);
    MsgHeader(message).Type = LPC_LOST_REPLY;
    Msg(message).PortContext = serverSide ? Port(sent).PortContext : 0;
    LpcpQueueMessage(queue, message);
    return true;
  }
  return false;
}

/** Answers every thread waiting through `a` or `b` with STATUS_PORT_DISCONNECTED (under the lock). */
export function LpcpWakeWaiters(a: usize, b: usize): void {
  let e = load<usize>(LpcpThreads);
  while (e != LpcpThreads) {
    const l = Lt(e);
    if (l.ReplyMessageId != 0 && (l.WaitingOnPort == a || l.WaitingOnPort == b)) {
      LpcpWake(e, STATUS_PORT_DISCONNECTED, 0);
      e = load<usize>(LpcpThreads); // the woken thread may have run: start again
      continue;
    }
    e = load<usize>(e);
  }
}

/** Adds `port` (referenced) to the current thread's terminate ports. */
export function LpcpAddTerminatePort(lt: usize, port: usize): bool {
  const node = ExAllocatePoolWithTag(NonPagedPool, 8, NODE_TAG);
  if (node == 0) return false;
  ObReferenceObject(port);
  const lock = LpcpLock();
  store<usize>(node, Lt(lt).TerminatePorts);
  store<usize>(node, port, 4);
  Lt(lt).TerminatePorts = node;
  LpcpUnlock(lock);
  return true;
}

// ---- sending from the kernel (LPC_PORT_CLOSED, LPC_CLIENT_DIED) ----

/**
 * Where a message sent through `port` goes: the queue (0 when the other side
 * is gone) and the context the receiver gets. Under the lock.
 */
export function LpcpRoute(port: usize, out: usize): usize {
  const p = Port(port);
  store<usize>(out, 0);
  const kind = p.Flags & PORT_TYPE;
  if (kind == SERVER_CONNECTION_PORT) return (p.Flags & PORT_CLOSED) != 0 ? 0 : port;
  const peer = p.ConnectedPort;
  if (peer == 0 || (Port(peer).Flags & PORT_CLOSED) != 0) return 0;
  store<usize>(out, Port(peer).PortContext);
  if (kind == CLIENT_COMMUNICATION_PORT) {
    const queue = Port(peer).ConnectionPort;
    return queue == 0 || (Port(queue).Flags & PORT_CLOSED) != 0 ? 0 : queue;
  }
  return peer; // a server port sends to the client port's own queue
}

/** The creation time a closed or died message carries: the process's (threads keep none yet). */
function LpcpCreateTime(message: usize): void {
  const time = LpcpProcessCreateTime(changetype<KTHREAD>(KeCurrentThread).Process);
  store<u32>(MsgPort(message) + SIZEOF_PORT_MESSAGE, <u32>time);
  store<u32>(MsgPort(message) + SIZEOF_PORT_MESSAGE, <u32>(time >>> 32), 4);
}

/**
 * A kernel datagram of `type` (with a creation time) for the other side of
 * `port`, its queue at `queueOut`; 0 when that side is gone. Under the
 * lock; nothing is queued or signalled yet.
 */
function LpcpMakeKernelDatagram(port: usize, type: u16, queueOut: usize): usize {
  const context = KeAllocateScratch(4); // this call's own (a module cell would be any thread's)
  const queue = LpcpRoute(port, context);
  const portContext = load<usize>(context);
  KeFreeScratch(context);
  store<usize>(queueOut, queue);
  if (queue == 0) return 0;
  const message = LpcpAllocateMessage(8, false); // the kernel's notice: never refused for the closer's quota
  if (message == 0) return 0;
  const h = MsgHeader(message);
  h.DataLength = 8;
  h.TotalLength = <u16>(SIZEOF_PORT_MESSAGE + 8);
  h.Type = type;
  h.UniqueProcess = LpcpCurrentProcessId();
  h.UniqueThread = changetype<KTHREAD>(KeCurrentThread).UniqueThread;
  h.MessageId = LpcpNewMessageId();
  LpcpCreateTime(message);
  Msg(message).PortContext = portContext;
  return message;
}

/** Sends a kernel datagram of `type` through `port`, if its other side is there. Under the lock (the last step). */
export function LpcpSendKernelDatagram(port: usize, type: u16): void {
  const cell = KeAllocateScratch(4);
  const message = LpcpMakeKernelDatagram(port, type, cell);
  const queue = load<usize>(cell);
  KeFreeScratch(cell);
  if (message != 0) LpcpQueueMessage(queue, message);
}

// ---- rundown ----

/**
 * A message taken off a queue that goes away: its sender, if one waits, is
 * answered with STATUS_PORT_DISCONNECTED (and frees it when it wakes);
 * anything else is freed here.
 */
function LpcpAnswerQueued(message: usize): void {
  const sender = Msg(message).Sender;
  if (sender == 0 || Lt(sender).Request != message) { LpcpFreeMessage(message); return; }
  if (Lt(sender).ReplyMessageId != 0) LpcpWake(sender, STATUS_PORT_DISCONNECTED, 0);
}

/**
 * A side goes away (its last handle closed, or a connection that never
 * completed): the other side hears LPC_PORT_CLOSED, the link is cut both
 * ways, and every thread waiting through either end is answered with
 * STATUS_PORT_DISCONNECTED. Under the lock.
 */
export function LpcpClosePortSide(port: usize): void {
  const p = Port(port);
  if ((p.Flags & PORT_CLOSED) != 0) return;
  p.Flags |= PORT_CLOSED;
  LpcpForgetLostOf(port);
  const kind = p.Flags & PORT_TYPE;
  if (kind == SERVER_CONNECTION_PORT) {
    // Every connection request and request still queued is answered; datagrams go.
    while (!IsListEmpty(port + PORT_QUEUE)) {
      const message = load<usize>(port + PORT_QUEUE);
      LpcpUnqueueMessage(message);
      LpcpAnswerQueued(message);
    }
    LpcpWakeWaiters(port, port);
    return;
  }
  // Everything changes before anything is signalled (a wake-up may run
  // another thread at once, which must find the link cut both ways): the
  // LPC_PORT_CLOSED message is made while the link still routes it, then the
  // link is cut (each end held a reference on the other).
  const peer = p.ConnectedPort;
  const closedQueue = KeAllocateScratch(4);
  const closed = peer != 0 ? LpcpMakeKernelDatagram(port, LPC_PORT_CLOSED, closedQueue) : 0;
  const queue = load<usize>(closedQueue);
  KeFreeScratch(closedQueue);
  p.ConnectedPort = 0;
  let peerHeldUs = false;
  if (peer != 0 && Port(peer).ConnectedPort == port) { Port(peer).ConnectedPort = 0; peerHeldUs = true; }
  const connecting = p.ConnectingThread;
  p.ConnectingThread = 0;
  // Now the signals: the client of an uncompleted connection (first: a
  // thread that runs after any signal may be gone), the other side, the
  // senders of what this side's queue holds (a client port's), and every
  // thread waiting through either end.
  if (connecting != 0 && Lt(connecting).ReplyMessageId != 0) LpcpWake(connecting, STATUS_PORT_DISCONNECTED, 0);
  if (closed != 0) LpcpQueueMessage(queue, closed);
  while (!IsListEmpty(port + PORT_QUEUE)) {
    const message = load<usize>(port + PORT_QUEUE);
    LpcpUnqueueMessage(message);
    LpcpAnswerQueued(message);
  }
  LpcpWakeWaiters(port, peer);
  if (peerHeldUs) ObDereferenceObject(port);
  if (peer != 0) ObDereferenceObject(peer);
}

/** The Port types' close procedure: the last handle of a side closes it. */
function LpcpClosePort(object: usize, handleCount: u32): void {
  if (handleCount != 0) return;
  const lock = LpcpLock();
  LpcpClosePortSide(object);
  LpcpUnlock(lock);
}

/** The Port types' delete procedure: what it still holds goes. */
function LpcpDeletePort(object: usize): void {
  const lock = LpcpLock();
  const p = Port(object);
  if ((p.Flags & PORT_CLOSED) == 0) LpcpClosePortSide(object);
  while (!IsListEmpty(object + PORT_QUEUE)) {
    const message = load<usize>(object + PORT_QUEUE);
    LpcpUnqueueMessage(message);
    if (Msg(message).Sender == 0) LpcpFreeMessage(message);
  }
  const connection = p.ConnectionPort;
  p.ConnectionPort = 0;
  if (p.DispatcherObject != 0) LpcpPortCount--;
  if (LpcpPortCount == 0) LpcpEmptyZone();
  LpcpUnlock(lock);
  LpcpDeleteViews(object);
  if (connection != 0 && connection != object) ObDereferenceObject(connection);
}

/**
 * A thread ends (Ps calls this before its process's handles close): each
 * port it registered hears LPC_CLIENT_DIED, and its LPC state goes.
 */
export function LpcExitThread(thread: usize): void {
  const t = changetype<KTHREAD>(thread);
  const lt = t.LpcThread;
  if (lt == 0) return;
  const lock = LpcpLock();
  let node = Lt(lt).TerminatePorts;
  Lt(lt).TerminatePorts = 0;
  while (node != 0) {
    const next = load<usize>(node);
    const port = load<usize>(node, 4);
    LpcpSendKernelDatagram(port, LPC_CLIENT_DIED);
    ObDereferenceObject(port);
    ExFreePoolWithTag(node, NODE_TAG);
    node = next;
  }
  const l = Lt(lt);
  l.ReplyMessageId = 0;
  if (l.Request != 0) { LpcpUnqueueMessage(l.Request); LpcpFreeMessage(l.Request); l.Request = 0; }
  if (l.ReplyMessage != 0) { LpcpFreeMessage(l.ReplyMessage); l.ReplyMessage = 0; }
  RemoveEntryList(lt);
  t.LpcThread = 0;
  LpcpUnlock(lock);
  ExFreePoolWithTag(lt, THREAD_TAG);
}

// ---- object types ----

export let LpcPortObjectType: usize = 0;
export let LpcWaitablePortObjectType: usize = 0;

// The type's creation arguments: phase 1 only, before a second thread exists.
const TypeName = memory.data(8, 4);
const TypeInit = memory.data(128, 4);
const TypeOut = memory.data(4, 4);

function LpcpCreateType(name: string, tag: u32): usize {
  // GENERIC_MAPPING as NT's: read and write are connect (plus READ_CONTROL / DELETE), all is PORT_ALL_ACCESS.
  ObInitializeTypeInitializer(TypeInit, READ_CONTROL | PORT_CONNECT, DELETE | PORT_CONNECT, 0, PORT_ALL_ACCESS, PORT_ALL_ACCESS, LPCP_PORT_SIZE);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(TypeInit);
  info.PoolTag = tag;
  info.CloseProcedure = LpcpClosePort;
  info.DeleteProcedure = LpcpDeletePort;
  RtlInitUnicodeString(TypeName, name);
  const status = ObCreateObjectType(TypeName, TypeInit, TypeOut);
  if (status != STATUS_SUCCESS) KeBugCheckEx(0x5E, 12, status, 0, 0); // OBJECT_INITIALIZATION_FAILED
  return load<usize>(TypeOut);
}

/** Phase 1: \ObjectTypes\Port and \ObjectTypes\WaitablePort (a WaitablePort handle may be waited on). */
export function LpcInitSystem(): void {
  InitializeListHead(LpcpThreads);
  InitializeListHead(LpcpLostReplies);
  LpcPortObjectType = LpcpCreateType("Port", 0x74726F50);                  // 'Port'
  LpcWaitablePortObjectType = LpcpCreateType("WaitablePort", 0x74695157);  // 'WQit'
  ObRegisterIndirectWaitableType(LpcWaitablePortObjectType);
}

/** Initialises a new port's body. */
export function LpcpInitializePort(port: usize, flags: u32, maxConnectionInfo: u32, maxMessage: u32): void {
  const p = Port(port);
  if (p.DispatcherObject == 0) LpcpPortCount++; // (the server port is initialised twice)
  p.DispatcherObject = port + PORT_WAIT_EVENT;
  p.Flags = flags;
  p.MaxConnectionInfoLength = maxConnectionInfo;
  p.MaxMessageLength = maxMessage;
  p.CreatorProcess = LpcpCurrentProcessId();
  p.CreatorThread = changetype<KTHREAD>(KeCurrentThread).UniqueThread;
  InitializeListHead(port + PORT_QUEUE);
  KeInitializeSemaphore(port + PORT_SEMAPHORE, 0, 0x7FFFFFFF);
  KeInitializeEvent(port + PORT_WAIT_EVENT, true, false);
}

// ---- handles ----

/**
 * What an LPC service hands between its helpers, one per thread (in its
 * KTHREAD at KTHREAD_LPC_FRAME; a service runs on one thread, and a helper
 * that is preempted finds its own thread's frame again).
 */
@unmanaged export class LPCP_SERVICE_FRAME {
  /** The out-parameter of the Ob routines: the object (ObReferenceObjectByHandle/ByName, ObCreateObject) or the new handle (ObInsertObject). */
  Out: usize;
  /** Why LpcpReferencePort (and the name and waiter look-ups) returned 0. */
  Status: u32;
  /** LpcpCaptureMessage's new LPCP_MESSAGE. */
  Message: usize;
  /** The type of the message LpcpReceive copied out (NtListenPort looks for connection requests). */
  ReceivedType: u32;
  /** The captured timeout of NtReplyWaitReceivePortEx. */
  Timeout: i64;
}
// It fits its KTHREAD_LPC_FRAME_SIZE bytes: test/kernel/lpc-layout.test.ts.

/** The running thread's LPC service frame. */
@inline export function LpcpFrame(): LPCP_SERVICE_FRAME { return changetype<LPCP_SERVICE_FRAME>(KeCurrentThread + KTHREAD_LPC_FRAME); }
/** The address of its Out field, for the Ob routines that return an object or a handle through a pointer. */
@inline export function LpcpOut(): usize { return KeCurrentThread + KTHREAD_LPC_FRAME + offsetof<LPCP_SERVICE_FRAME>("Out"); }

/**
 * References the port behind `handle` (either port type) and returns it, or
 * 0 with the status in LpcpReferenceStatus(). Drop it with ObDereferenceObject.
 */
export function LpcpReferencePort(handle: u32): usize {
  const frame = LpcpFrame();
  let status = ObReferenceObjectByHandle(handle, 0, 0, LpcpOut(), 0);
  if (status == STATUS_SUCCESS) {
    const object = frame.Out;
    const type = OBJECT_TO_OBJECT_HEADER(object).Type;
    if (type == LpcPortObjectType || type == LpcWaitablePortObjectType) return object;
    ObDereferenceObject(object);
    status = STATUS_OBJECT_TYPE_MISMATCH;
  }
  frame.Status = status;
  return 0;
}
@inline export function LpcpReferenceStatus(): u32 { return LpcpFrame().Status; }

/** Is `port` a port object (either type)? */
export function LpcpIsPort(object: usize): bool {
  const type = OBJECT_TO_OBJECT_HEADER(object).Type;
  return type == LpcPortObjectType || type == LpcWaitablePortObjectType;
}


// The waits on handles (NtWaitForSingleObject, NtWaitForMultipleObjects; NT's
// ob/obwait.c): each handle is referenced for SYNCHRONIZE, its object must
// be waitable (Ex's events, mutants, semaphores and timers, whose bodies are
// the kernel's dispatcher objects, or a type another component registers
// whose body points at one), and the kernel waits on the dispatcher objects
// (ke/wait.ts). The handles are read once from the caller's memory.

import { KWAIT_BLOCK_SIZE, KeAllocateScratch, KeFreeScratch, THREAD_WAIT_OBJECTS } from "../ke/thread";
import { KeWaitForMultipleObjects, MAXIMUM_WAIT_OBJECTS, WaitAll, WaitAny } from "../ke/wait";
import { ExCopyFromUser, ProbeUserRange } from "../ke/probe";
import { ExCaptureTimeout } from "../ex/capture";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExEventObjectType, ExMutantObjectType, ExSemaphoreObjectType, ExTimerObjectType } from "../ex/sync";
import { ObReferenceHandle } from "./obsvc";
import { ObDereferenceObject } from "./obref";
import { OBJECT_TO_OBJECT_HEADER, SYNCHRONIZE } from "./obp";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_2,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from "../sdk/ntstatus";

/** Is this object waitable (a dispatcher object: its header's type is one of the kernel's)? */
function ObpIsWaitable(object: usize): bool {
  const type = OBJECT_TO_OBJECT_HEADER(object).Type;
  return type == ExEventObjectType || type == ExMutantObjectType || type == ExSemaphoreObjectType || type == ExTimerObjectType
    || ObpExtraWaitable(type);
}
/**
 * Other components' waitable types whose body points at the dispatcher
 * object (Ps: Thread -> KTHREAD, Process -> EPROCESS).
 */
const ObpIndirectTypes = memory.data(16, 4);
let ObpIndirectCount: u32 = 0;
export function ObRegisterIndirectWaitableType(type: usize): void { if (ObpIndirectCount < 4) { store<usize>(ObpIndirectTypes + ObpIndirectCount * 4, type); ObpIndirectCount++; } }
function ObpExtraWaitable(type: usize): bool {
  for (let i: u32 = 0; i < ObpIndirectCount; i++) if (load<usize>(ObpIndirectTypes + i * 4) == type) return true;
  return false;
}
/** The dispatcher object to wait on for an object body. */
function ObpDispatcherObject(object: usize): usize {
  return ObpExtraWaitable(OBJECT_TO_OBJECT_HEADER(object).Type) ? load<usize>(object) : object;
}

/** NtWaitForSingleObject(Handle, Alertable, Timeout optional). */
export function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32 {
  return NtWaitForMultipleObjectsInternal(1, 0, handle, WaitAny, timeout);
}

/** NtWaitForMultipleObjects(Count, Handles, WaitType (0 all, 1 any), Alertable, Timeout optional). */
export function NtWaitForMultipleObjects(count: u32, handles: usize, waitType: u32, alertable: u32, timeout: usize): u32 {
  if (count == 0 || count > MAXIMUM_WAIT_OBJECTS) return STATUS_INVALID_PARAMETER;
  if (waitType != WaitAll && waitType != WaitAny) return STATUS_INVALID_PARAMETER_2;
  if (!ProbeUserRange(handles, count * 4, 4)) return STATUS_ACCESS_VIOLATION;
  return NtWaitForMultipleObjectsInternal(count, handles, 0, waitType, timeout);
}

function NtWaitForMultipleObjectsInternal(count: u32, handles: usize, single: u32, waitType: u32, timeout: usize): u32 {
  const s = KeAllocateScratch(16); // +0 the captured timeout (8), +8 an object
  const due = ExCaptureTimeout(timeout, s);
  const objects = due != 1 ? ExAllocatePoolWithTag(NonPagedPool, count * 4, 0x74696157) : 0; // 'Wait'
  if (objects == 0) {
    KeFreeScratch(s);
    return due == 1 ? STATUS_ACCESS_VIOLATION : STATUS_INSUFFICIENT_RESOURCES;
  }
  // The caller's handles, read once into the block that then holds their objects.
  if (handles != 0 && !ExCopyFromUser(objects, handles, count * 4)) {
    ExFreePoolWithTag(objects, 0x74696157);
    KeFreeScratch(s);
    return STATUS_ACCESS_VIOLATION;
  }
  let referenced: u32 = 0;
  let status: u32 = STATUS_SUCCESS;
  for (; referenced < count; referenced++) {
    const handle = handles != 0 ? load<u32>(objects + referenced * 4) : single;
    status = ObReferenceHandle(handle, SYNCHRONIZE, 0, s + 8);
    if (status != STATUS_SUCCESS) break;
    const object = load<usize>(s, 8);
    if (!ObpIsWaitable(object)) { ObDereferenceObject(object); status = STATUS_OBJECT_TYPE_MISMATCH; break; }
    store<usize>(objects + referenced * 4, object);
  }
  if (status == STATUS_SUCCESS) {
    // Wait on the dispatcher objects; keep the object bodies to dereference.
    const waitOn = ExAllocatePoolWithTag(NonPagedPool, count * 4, 0x74696157);
    if (waitOn == 0) status = STATUS_INSUFFICIENT_RESOURCES;
    else {
      for (let i: u32 = 0; i < count; i++) store<usize>(waitOn + i * 4, ObpDispatcherObject(load<usize>(objects + i * 4)));
      // More objects than the thread's own wait blocks: the blocks come from pool (NT's WaitBlockArray).
      const blocks = count > THREAD_WAIT_OBJECTS ? ExAllocatePoolWithTag(NonPagedPool, count * KWAIT_BLOCK_SIZE, 0x74696157) : 0; // 'Wait'
      if (count > THREAD_WAIT_OBJECTS && blocks == 0) status = STATUS_INSUFFICIENT_RESOURCES;
      else status = KeWaitForMultipleObjects(count, waitOn, waitType, due, true, blocks);
      if (blocks != 0) ExFreePoolWithTag(blocks, 0x74696157);
      ExFreePoolWithTag(waitOn, 0x74696157);
    }
  }
  for (let i: u32 = 0; i < referenced; i++) ObDereferenceObject(load<usize>(objects + i * 4));
  ExFreePoolWithTag(objects, 0x74696157);
  KeFreeScratch(s);
  return status;
}

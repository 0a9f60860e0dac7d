// Object lifetime: references, temporary and permanent objects.
//
// ObReferenceObject / ObDereferenceObject count pointer references; the
// last dereference deletes the object (obcreate.ts). Handles hold a
// reference each and are counted apart in HandleCount; when that count
// drops to 0, ObpDeleteNameCheck takes a temporary object's name out of
// the namespace, which releases the directory entry's reference on the
// object and the object's reference on its directory. A permanent object
// (OBJ_PERMANENT, NtMakePermanentObject) keeps its name until it is made
// temporary again (ObMakeTemporaryObject), which runs the same check.
//
// A reference count that would go below zero is a caller bug: it bug-checks
// with REFERENCE_BY_POINTER, as in NT.

import { KeBugCheckEx } from "../ke/bugcheck";
import {
  OB_FLAG_PERMANENT_OBJECT, OBJECT_HEADER_NAME_INFO, OBJECT_HEADER_TO_NAME_INFO, OBJECT_TO_OBJECT_HEADER, ObpAcquireLock, ObpReleaseLock,
} from "./obp";
import { ObpDeleteObject } from "./obcreate";
import { ObpUnlinkFromDirectory } from "./obdir";
import { STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS } from "../sdk/ntstatus";

/** Bug check: p1 the object's type, p2 the object, p3 its handle count, p4 its pointer count. */
export const REFERENCE_BY_POINTER: u32 = 0x18;

/** Adds a reference to an object. */
export function ObReferenceObject(object: usize): void {
  const lock = ObpAcquireLock();
  OBJECT_TO_OBJECT_HEADER(object).PointerCount++;
  ObpReleaseLock(lock);
}

/** Drops a reference; the last one deletes the object. */
export function ObDereferenceObject(object: usize): void {
  const lock = ObpAcquireLock();
  ObpDereferenceObject(object);
  ObpReleaseLock(lock);
}

function ObpDereferenceObject(object: usize): void {
  const header = OBJECT_TO_OBJECT_HEADER(object);
  if (header.PointerCount <= 0) {
    KeBugCheckEx(REFERENCE_BY_POINTER, <u32>header.Type, <u32>object, <u32>header.HandleCount, <u32>header.PointerCount);
  }
  header.PointerCount--;
  if (header.PointerCount != 0) return;
  // Every handle holds a reference: an object without references has no handles.
  if (header.HandleCount != 0) {
    KeBugCheckEx(REFERENCE_BY_POINTER, <u32>header.Type, <u32>object, <u32>header.HandleCount, 0);
  }
  ObpDeleteObject(object);
}

/**
 * Adds a reference to an object known by its address, after checking its
 * type (`objectType` 0 takes any). There are no access checks by pointer.
 */
export function ObReferenceObjectByPointer(object: usize, desiredAccess: u32, objectType: usize): u32 {
  if (objectType != 0 && OBJECT_TO_OBJECT_HEADER(object).Type != objectType) return STATUS_OBJECT_TYPE_MISMATCH;
  ObReferenceObject(object); // the type of an object never changes: no lock needed for the check
  return STATUS_SUCCESS;
}

/** True for an object that keeps its name without handles. */
export function ObpIsPermanent(object: usize): bool {
  return (OBJECT_TO_OBJECT_HEADER(object).Flags & OB_FLAG_PERMANENT_OBJECT) != 0;
}

/**
 * Removes the name of a temporary object that has no handles left: its
 * directory entry goes, with the entry's reference on the object and the
 * object's reference on the directory (which may delete either).
 */
export function ObpDeleteNameCheck(object: usize): void {
  const header = OBJECT_TO_OBJECT_HEADER(object);
  if (header.HandleCount != 0 || ObpIsPermanent(object)) return;
  const nameInfo = OBJECT_HEADER_TO_NAME_INFO(object);
  if (nameInfo == 0 || changetype<OBJECT_HEADER_NAME_INFO>(nameInfo).Directory == 0) return;
  const directory = ObpUnlinkFromDirectory(object);
  ObDereferenceObject(object);
  ObDereferenceObject(directory);
}

/** Makes an object temporary: without handles, it loses its name now. */
export function ObMakeTemporaryObject(object: usize): void {
  const lock = ObpAcquireLock();
  OBJECT_TO_OBJECT_HEADER(object).Flags &= ~OB_FLAG_PERMANENT_OBJECT;
  ObpDeleteNameCheck(object);
  ObpReleaseLock(lock);
}

/** Makes an object permanent: its name stays after the last handle. */
export function ObMakePermanentObject(object: usize): void {
  const lock = ObpAcquireLock();
  OBJECT_TO_OBJECT_HEADER(object).Flags |= OB_FLAG_PERMANENT_OBJECT;
  ObpReleaseLock(lock);
}

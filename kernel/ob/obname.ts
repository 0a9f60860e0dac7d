// Name lookup: ObpLookupObjectName, and on it ObInsertObject (name a new
// object, or open the existing one with OBJ_OPENIF) and ObOpenObjectByName.
//
// A name is absolute ("\Device\Null", from the root directory) or, with a
// RootDirectory handle, relative ("Null"); anything else is
// STATUS_OBJECT_PATH_SYNTAX_BAD. The lookup takes one component at a time
// through directories. An empty component ("\A\\B", "\A\") is
// STATUS_OBJECT_NAME_INVALID; a missing directory on the way
// STATUS_OBJECT_PATH_NOT_FOUND, a missing last component
// STATUS_OBJECT_NAME_NOT_FOUND (or, when inserting, the place of the new
// name); something other than a directory on the way
// STATUS_OBJECT_TYPE_MISMATCH.
//
// "\??" and "\??\..." start in the caller's DOS devices directory (its
// process's device map, obdevmap.ts) instead of the root; a component not
// found in such a directory is looked up in the global one, \GLOBAL??,
// unless it is the last component of a name being created.
//
// An object whose type has a parse procedure takes over the rest of the
// name. For a symbolic link (oblink.ts) that is a reparse: the link's target
// and the rest of the name become the complete name and the lookup starts
// again from the root, up to OBJ_MAX_REPARSE_ATTEMPTS times (then
// STATUS_OBJECT_NAME_NOT_FOUND, as in NT). Links are parsed on inserts too,
// so "\??\X\New" creates New in the directory X points to. Other types'
// parse procedures (devices, later) only run on opens.
//
// The lookup's strings live in a small pool block (a context); a complete
// name a parse procedure rewrote is a pool buffer the lookup frees.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { RtlNextPathComponent, RtlStartsWithSeparator, RtlUnicodeString } from "../rtl/unicode";
import {
  OB_FLAG_NEW_OBJECT, OB_NAME_TAG, OBJ_MAX_REPARSE_ATTEMPTS, OBJECT_ATTRIBUTES, OBJECT_TO_OBJECT_HEADER, OBJECT_TYPE_OF, ObpAcquireLock, ObpReleaseLock, ObpTypeInfo,
} from "./obp";
import { ObpHasName, ObpValidateName, ObpValidateObjectAttributes } from "./obcreate";
import { ExGetPreviousMode, KernelMode, UserMode } from "../ke/probe";
import { ObpCheckDirectoryAccess, ObpCheckObjectAccess } from "./obsecure";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ObpInsertNamedObject, ObpLookupDirectoryEntry } from "./obdir";
import { ObCreateHandle, ObReferenceObjectByHandle } from "./obhandle";
import { ObDereferenceObject, ObReferenceObject, ObReferenceObjectByPointer, ObpDeleteNameCheck } from "./obref";
import { ObpDirectoryObjectType, ObpRootDirectoryObject, ObpSymbolicLinkObjectType } from "./obp";
import { ObpDosDevicesDirectory, ObpShadowDirectory } from "./obdevmap";
import {
  NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_EXISTS, STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_OBJECT_PATH_SYNTAX_BAD,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_REPARSE, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { OBJ_CASE_INSENSITIVE, OBJ_INHERIT, OBJ_KERNEL_HANDLE, OBJ_OPENIF } from "../sdk/ntdef";

// ---- the lookup context: a pool block per lookup ----

const CONTEXT_COMPLETE: u32 = 0;    // UNICODE_STRING: the whole name (rewritten by reparses)
const CONTEXT_REMAINING: u32 = 8;   // UNICODE_STRING: what is left after the current component
const CONTEXT_COMPONENT: u32 = 16;  // UNICODE_STRING: the current component
const CONTEXT_ROOT: u32 = 24;       // the object of the RootDirectory handle
const CONTEXT_OWNED: u32 = 28;      // the pool buffer of the complete name after a reparse, or 0
const CONTEXT_SIZE: u32 = 32;

/** Stores `object` with a new reference at `found` after checking its type. */
function ObpReturnObject(object: usize, objectType: usize, found: usize): u32 {
  const status = ObReferenceObjectByPointer(object, 0, objectType);
  if (NT_SUCCESS(status)) store<usize>(found, object);
  return status;
}

/** Bytes of "\??", the name of the caller's DOS devices. */
const DOS_DEVICES_PREFIX_BYTES: u32 = 6;

/** True for "\??" and "\??\...": the name starts in the caller's DOS devices directory. */
function ObpIsDosDevicesName(name: usize): bool {
  const n = RtlUnicodeString(name);
  if (n.Length < <u16>DOS_DEVICES_PREFIX_BYTES) return false;
  const b = n.Buffer;
  if (load<u16>(b) != 0x5C || load<u16>(b, 2) != 0x3F || load<u16>(b, 4) != 0x3F) return false;
  return n.Length == <u16>DOS_DEVICES_PREFIX_BYTES || load<u16>(b, 6) == 0x5C;
}

/** True when the complete name is exactly "\". */
function ObpIsRootName(name: usize): bool {
  return RtlUnicodeString(name).Length == 2 && RtlStartsWithSeparator(name);
}

/**
 * Hands the rest of the name to `object`'s parse procedure (the remaining
 * name is in the context). Returns STATUS_REPARSE, or the final status with
 * a referenced object at `found`.
 */
function ObpCallParseProcedure(context: usize, object: usize, objectType: usize, attributes: u32, found: usize): u32 {
  const parse = ObpTypeInfo(OBJECT_TYPE_OF(object)).ParseProcedure;
  if (!parse) return STATUS_OBJECT_TYPE_MISMATCH;
  ObReferenceObject(object); // alive during the call, whatever it does to the namespace
  let status = parse(object, objectType, attributes, context + CONTEXT_COMPLETE, context + CONTEXT_REMAINING, found);
  ObDereferenceObject(object);
  if (status == STATUS_REPARSE) return status;
  if (!NT_SUCCESS(status)) store<usize>(found, 0);
  else if (load<usize>(found) == 0) status = STATUS_OBJECT_NAME_NOT_FOUND;
  return status;
}

/**
 * One pass over the complete name from `directory` (a directory, or the
 * object of a RootDirectory handle with a parse procedure). Returns the
 * final status with a referenced object at `found`, or STATUS_REPARSE.
 * When inserting, a missing last component becomes `insertObject`'s name and
 * an existing object is returned as found (the caller decides between
 * OBJ_OPENIF and a collision).
 */
function ObpLookupOnce(context: usize, directory: usize, attributes: u32, objectType: usize, insertObject: usize, found: usize): u32 {
  const remaining = context + CONTEXT_REMAINING, component = context + CONTEXT_COMPONENT;
  memory.copy(remaining, context + CONTEXT_COMPLETE, 8);
  if (OBJECT_TYPE_OF(directory) != ObpDirectoryObjectType) {
    if (!ObpTypeInfo(OBJECT_TYPE_OF(directory)).ParseProcedure) return STATUS_INVALID_HANDLE;
    return ObpCallParseProcedure(context, directory, objectType, attributes, found);
  }
  if (directory == ObpRootDirectoryObject && ObpIsRootName(context + CONTEXT_COMPLETE)) {
    return ObpReturnObject(directory, objectType, found);
  }
  if (directory == ObpRootDirectoryObject && ObpIsDosDevicesName(remaining)) {
    // "\??" is the caller's DOS devices directory (its device map's, obdevmap.ts).
    const rest = RtlUnicodeString(remaining);
    rest.Buffer += DOS_DEVICES_PREFIX_BYTES;
    rest.Length -= <u16>DOS_DEVICES_PREFIX_BYTES;
    rest.MaximumLength = rest.Length;
    directory = ObpDosDevicesDirectory();
    if (rest.Length == 0) return ObpReturnObject(directory, objectType, found);
  }
  const caseInsensitive = (attributes & OBJ_CASE_INSENSITIVE) != 0;
  while (true) {
    if (RtlNextPathComponent(remaining, component) == 0) return STATUS_OBJECT_NAME_INVALID;
    const last = RtlUnicodeString(remaining).Length == 0;
    // Looking through a directory: DIRECTORY_TRAVERSE, unless SeChangeNotifyPrivilege bypasses it (obsecure.ts).
    const traverse = ObpCheckDirectoryAccess(directory, 0, ObpDirectoryObjectType);
    if (traverse != STATUS_SUCCESS) return traverse;
    let object = ObpLookupDirectoryEntry(directory, component, caseInsensitive);
    if (object == 0 && (!last || insertObject == 0)) {
      // A process's own DOS devices directory falls back on the global one (NT's shadow directory);
      // a new name always goes into the process's own.
      const shadow = ObpShadowDirectory(directory);
      if (shadow != 0) object = ObpLookupDirectoryEntry(shadow, component, caseInsensitive);
    }
    if (object == 0) {
      if (!last) return STATUS_OBJECT_PATH_NOT_FOUND;
      if (insertObject == 0) return STATUS_OBJECT_NAME_NOT_FOUND;
      // A new name: DIRECTORY_CREATE_OBJECT (DIRECTORY_CREATE_SUBDIRECTORY for a directory) on the directory.
      const allowed = ObpCheckDirectoryAccess(directory, insertObject, ObpDirectoryObjectType);
      if (allowed != STATUS_SUCCESS) return allowed;
      const status = ObpInsertNamedObject(directory, insertObject, component);
      if (!NT_SUCCESS(status)) return status;
      ObReferenceObject(insertObject);
      store<usize>(found, insertObject);
      return STATUS_SUCCESS;
    }
    const type = OBJECT_TYPE_OF(object);
    if (ObpTypeInfo(type).ParseProcedure && (insertObject == 0 || type == ObpSymbolicLinkObjectType)) {
      return ObpCallParseProcedure(context, object, objectType, attributes, found);
    }
    if (last) {
      if (insertObject != 0) return ObpReturnObject(object, 0, found);
      return ObpReturnObject(object, objectType, found);
    }
    if (type != ObpDirectoryObjectType) return STATUS_OBJECT_TYPE_MISMATCH;
    directory = object;
  }
  return STATUS_OBJECT_NAME_INVALID; // not reached
}

/**
 * Runs passes until one does not reparse. After a reparse the parse
 * procedure's new complete name (a pool buffer) replaces the previous one,
 * and the next pass starts at the root; a target that is not absolute
 * resolves nowhere.
 */
function ObpLookupWithReparse(context: usize, start: usize, attributes: u32, objectType: usize, insertObject: usize, found: usize): u32 {
  let directory = start;
  let attempts = OBJ_MAX_REPARSE_ATTEMPTS;
  while (true) {
    const status = ObpLookupOnce(context, directory, attributes, objectType, insertObject, found);
    if (status != STATUS_REPARSE) return status;
    const previous = load<usize>(context + CONTEXT_OWNED);
    if (previous != 0) ExFreePoolWithTag(previous, OB_NAME_TAG);
    store<usize>(context + CONTEXT_OWNED, RtlUnicodeString(context + CONTEXT_COMPLETE).Buffer);
    if (--attempts == 0) return STATUS_OBJECT_NAME_NOT_FOUND;
    if (!RtlStartsWithSeparator(context + CONTEXT_COMPLETE)) return STATUS_OBJECT_NAME_NOT_FOUND;
    directory = ObpRootDirectoryObject;
  }
  return STATUS_OBJECT_NAME_NOT_FOUND; // not reached
}

/** A lookup relative to the object of a RootDirectory handle. */
function ObpLookupRelative(context: usize, rootHandle: u32, attributes: u32, objectType: usize, insertObject: usize, found: usize): u32 {
  let status = ObReferenceObjectByHandle(rootHandle, 0, 0, context + CONTEXT_ROOT, 0);
  if (!NT_SUCCESS(status)) return status;
  const root = load<usize>(context + CONTEXT_ROOT);
  const name = context + CONTEXT_COMPLETE;
  if (RtlStartsWithSeparator(name)) status = STATUS_OBJECT_PATH_SYNTAX_BAD;
  else if (OBJECT_TYPE_OF(root) == ObpDirectoryObjectType && RtlUnicodeString(name).Length == 0) status = ObpReturnObject(root, objectType, found);
  else status = ObpLookupWithReparse(context, root, attributes, objectType, insertObject, found);
  ObDereferenceObject(root);
  return status;
}

/**
 * Looks up `objectName` (a UNICODE_STRING, or 0 for none), relative to the
 * object of `rootHandle` when it is not 0. On success a referenced object is
 * stored at `foundObject`. With `insertObject`, a missing last component
 * names that object in its directory (then it is the one found, referenced
 * once more); an existing object is returned instead, unchecked for type.
 */
export function ObpLookupObjectName(rootHandle: u32, objectName: usize, attributes: u32, objectType: usize,
                                    insertObject: usize, foundObject: usize): u32 {
  store<usize>(foundObject, 0);
  const context = ExAllocatePoolWithTag(NonPagedPool, CONTEXT_SIZE, OB_NAME_TAG);
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  if (objectName != 0) memory.copy(context + CONTEXT_COMPLETE, objectName, 8);
  let status: u32;
  if (rootHandle != 0) {
    status = ObpLookupRelative(context, rootHandle, attributes, objectType, insertObject, foundObject);
  } else if (!RtlStartsWithSeparator(context + CONTEXT_COMPLETE)) {
    status = STATUS_OBJECT_PATH_SYNTAX_BAD;
  } else {
    status = ObpLookupWithReparse(context, ObpRootDirectoryObject, attributes, objectType, insertObject, foundObject);
  }
  const owned = load<usize>(context + CONTEXT_OWNED);
  if (owned != 0) ExFreePoolWithTag(owned, OB_NAME_TAG);
  ExFreePoolWithTag(context, OB_NAME_TAG);
  return status;
}

// ---- inserting and opening ----

/**
 * Names a new object as its creator's OBJECT_ATTRIBUTES say. The object to
 * give a handle to, with the reference the handle will take over, is left
 * at `out` (the caller's scratch): `object` itself, or with OBJ_OPENIF the
 * existing one. On failure every reference is dropped (the new object is
 * deleted).
 */
function ObpInsertByName(object: usize, oa: OBJECT_ATTRIBUTES, out: usize): u32 {
  const type = OBJECT_TYPE_OF(object);
  const status = ObpLookupObjectName(oa.RootDirectory, oa.ObjectName, oa.Attributes, type, object, out);
  if (!NT_SUCCESS(status)) {
    ObDereferenceObject(object);
    return status;
  }
  const found = load<usize>(out);
  if (found == object) {
    ObDereferenceObject(object); // the lookup's reference: the creator's goes to the handle
    return STATUS_SUCCESS;
  }
  // The name exists: the new object was never named, its reference deletes it.
  ObDereferenceObject(object);
  store<usize>(out, 0);
  if ((oa.Attributes & OBJ_OPENIF) == 0) {
    ObDereferenceObject(found);
    return STATUS_OBJECT_NAME_COLLISION;
  }
  if (OBJECT_TYPE_OF(found) != type) {
    ObDereferenceObject(found);
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  store<usize>(out, found);
  return STATUS_OBJECT_NAME_EXISTS;
}

/**
 * Completes the creation of an object from ObCreateObject: names it as its
 * OBJECT_ATTRIBUTES say and stores a handle with `desiredAccess` at
 * `handle`. The creator's reference goes to the handle; on failure the
 * object is deleted. With OBJ_OPENIF and the name taken by an object of
 * the same type, the handle is to that object and the status
 * STATUS_OBJECT_NAME_EXISTS; without it, STATUS_OBJECT_NAME_COLLISION.
 */
export function ObInsertObject(object: usize, desiredAccess: u32, handle: usize): u32 {
  const lock = ObpAcquireLock();
  const status = ObpInsertObject(object, desiredAccess, handle);
  ObpReleaseLock(lock);
  return status;
}

function ObpInsertObject(object: usize, desiredAccess: u32, handle: usize): u32 {
  const header = OBJECT_TO_OBJECT_HEADER(object);
  if ((header.Flags & OB_FLAG_NEW_OBJECT) == 0) return STATUS_INVALID_PARAMETER;
  const objectAttributes = header.ObjectCreateInfo;
  header.Flags &= ~OB_FLAG_NEW_OBJECT;
  header.ObjectCreateInfo = 0;
  let target = object;
  let status = STATUS_SUCCESS;
  let attributes: u32 = 0;
  if (objectAttributes != 0) attributes = changetype<OBJECT_ATTRIBUTES>(objectAttributes).Attributes;
  if (ObpHasName(objectAttributes)) {
    const out = KeAllocateScratch(4); // out-parameters: the thread's own (see obdir.ts)
    status = ObpInsertByName(object, changetype<OBJECT_ATTRIBUTES>(objectAttributes), out);
    target = load<usize>(out);
    if (NT_SUCCESS(status) && target != object) {
      // OBJ_OPENIF found an existing object: this is an open, checked as one.
      const checked = ObpCheckObjectAccess(target, desiredAccess, out);
      if (checked != STATUS_SUCCESS) { ObDereferenceObject(target); status = checked; }
      else desiredAccess = load<u32>(out);
    }
    KeFreeScratch(out);
    if (!NT_SUCCESS(status)) return status;
  }
  const handleStatus = ObCreateHandle(target, desiredAccess, attributes & (OBJ_INHERIT | OBJ_KERNEL_HANDLE), handle);
  if (!NT_SUCCESS(handleStatus)) {
    ObpDeleteNameCheck(target);
    ObDereferenceObject(target);
    return handleStatus;
  }
  return status;
}

/**
 * Opens the object OBJECT_ATTRIBUTES name (of `objectType`, 0 for any) and
 * stores a handle with `desiredAccess` at `handle`.
 */
export function ObOpenObjectByName(objectAttributes: usize, objectType: usize, desiredAccess: u32, handle: usize): u32 {
  const lock = ObpAcquireLock();
  const status = ObpOpenObjectByName(objectAttributes, objectType, desiredAccess, handle);
  ObpReleaseLock(lock);
  return status;
}

function ObpOpenObjectByName(objectAttributes: usize, objectType: usize, desiredAccess: u32, handle: usize): u32 {
  if (objectAttributes == 0) return STATUS_INVALID_PARAMETER;
  let status = ObpValidateObjectAttributes(objectAttributes, objectType);
  if (!NT_SUCCESS(status)) return status;
  const oa = changetype<OBJECT_ATTRIBUTES>(objectAttributes);
  const out = KeAllocateScratch(4);
  status = ObpLookupObjectName(oa.RootDirectory, oa.ObjectName, oa.Attributes, objectType, 0, out);
  const object = load<usize>(out);
  if (NT_SUCCESS(status)) {
    status = ObpCheckObjectAccess(object, desiredAccess, out); // obsecure.ts: the object's descriptor, the caller's token
    if (!NT_SUCCESS(status)) ObDereferenceObject(object);
    else desiredAccess = load<u32>(out);
  }
  KeFreeScratch(out);
  if (!NT_SUCCESS(status)) return status;
  status = ObCreateHandle(object, desiredAccess, oa.Attributes & (OBJ_INHERIT | OBJ_KERNEL_HANDLE), handle);
  if (!NT_SUCCESS(status)) ObDereferenceObject(object);
  return status;
}

/**
 * References the object at an absolute `objectName` (a UNICODE_STRING) of
 * `objectType` (0 for any) and stores it at `object`: for components that
 * need an object, not a handle.
 */
export function ObReferenceObjectByName(objectName: usize, attributes: u32, objectType: usize, object: usize): u32 {
  store<usize>(object, 0);
  if (objectName == 0 || !NT_SUCCESS(ObpValidateName(objectName))) return STATUS_OBJECT_NAME_INVALID;
  const lock = ObpAcquireLock();
  const status = ObpLookupObjectName(0, objectName, attributes, objectType, 0, object);
  ObpReleaseLock(lock);
  return status;
}

/**
 * References what OBJECT_ATTRIBUTES (already captured) name, absolute or
 * relative to their RootDirectory, as `objectType` (0 for any); the object
 * goes to `object`. This is how the I/O manager turns a path into a new file
 * object: the device's parse procedure makes it.
 */
export function ObReferenceObjectByAttributes(objectAttributes: usize, objectType: usize, object: usize): u32 {
  store<usize>(object, 0);
  if (objectAttributes == 0) return STATUS_INVALID_PARAMETER;
  const lock = ObpAcquireLock();
  let status = ObpValidateObjectAttributes(objectAttributes, objectType);
  if (NT_SUCCESS(status)) {
    const oa = changetype<OBJECT_ATTRIBUTES>(objectAttributes);
    status = ObpLookupObjectName(oa.RootDirectory, oa.ObjectName, oa.Attributes, objectType, 0, object);
  }
  ObpReleaseLock(lock);
  return status;
}

/**
 * Gives the caller a handle to `object`, an unnamed object a parse procedure
 * made for it (ObReferenceObjectByAttributes: a file, a registry key). The
 * handle takes OBJ_INHERIT from the caller's OBJECT_ATTRIBUTES `oa`, and
 * OBJ_KERNEL_HANDLE only from kernel mode; `insert` is 24 bytes of the
 * caller's for the attributes ObInsertObject reads. The caller's reference
 * goes to the handle (or, on failure, the object is deleted).
 */
export function ObInsertParsedObject(object: usize, oa: usize, insert: usize, desiredAccess: u32, handle: usize): u32 {
  const attributes = changetype<OBJECT_ATTRIBUTES>(oa).Attributes;
  let handleAttributes = attributes & OBJ_INHERIT;
  if (ExGetPreviousMode() == KernelMode) handleAttributes |= attributes & OBJ_KERNEL_HANDLE;
  const i = changetype<OBJECT_ATTRIBUTES>(insert);
  i.Length = 24;
  i.RootDirectory = 0;
  i.ObjectName = 0;
  i.Attributes = handleAttributes;
  i.SecurityDescriptor = 0; // a parsed object's security is its component's (Cm: the hive's)
  i.SecurityQualityOfService = 0;
  OBJECT_TO_OBJECT_HEADER(object).ObjectCreateInfo = insert;
  return ObInsertObject(object, desiredAccess, handle);
}

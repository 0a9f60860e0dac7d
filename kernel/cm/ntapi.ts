// Registry services: NtCreateKey, NtOpenKey(Ex), NtDeleteKey, NtQueryKey,
// NtEnumerateKey, NtEnumerateValueKey, NtQueryValueKey, NtSetValueKey,
// NtDeleteValueKey, NtFlushKey, NtInitializeRegistry.
//
// Every caller pointer is probed; names, classes and data are copied into
// pool before the tree is touched. Information is built in a kernel buffer
// under the lock and copied out after it, with NT's length rules: a buffer
// shorter than the class's fixed part gets STATUS_BUFFER_TOO_SMALL and
// nothing; one that holds the fixed part but not all gets as much as fits
// and STATUS_BUFFER_OVERFLOW; ResultLength always says what all would take.
// Operations on a key deleted since its handle was opened answer
// STATUS_KEY_DELETED. Changes to hive keys wake the lazy flusher (cmhive.ts).

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExCaptureSecurityDescriptor, ExFreeSecurityDescriptor } from "../ex/security";
import { OBJECT_ATTRIBUTES } from "../sdk/ntdef";
import { ExCopyFromUser, ExCopyToUser, ExGetPreviousMode, ExWriteUserUlong, KernelMode, ProbeUserRange } from "../ke/probe";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExCaptureObjectAttributes, ExProbeHandle, ExReleaseObjectAttributes } from "../ex/capture";
import { ObInsertParsedObject, ObReferenceObjectByAttributes } from "../ob/obname";
import { ObReferenceObjectByHandle } from "../ob/obhandle";
import { ObDereferenceObject, ObReferenceObject } from "../ob/obref";
import { DELETE, ObAcquireObjectLock, ObReleaseObjectLock } from "../ob/obp";
import {
  CM_KEY_DELETED, CM_KEY_HIVE_ROOT, CM_KEY_NO_DELETE, CM_MAX_VALUE_DATA, CM_MAX_VALUE_NAME_CHARS, CM_NAME_TAG, CM_VALUE,
  CM_KEY_LAZY, CmKey, CmSubKey, CmValueAt, CmpExpand, CmValueData, CmValueName, CmpDeleteKeyContents, CmpDeleteValue, CmpFindSubKey,
  CmpFindValue, CmpGetDwordValue, CmpSetDwordValue, CmpSetValue, CmpTouch, CmpUnlinkSubKey,
} from "./cmp";
import {
  CmKeyObjectType, CmKeyOfObject, CmpCreateDisposition, CmpSetCreateContext, KEY_ENUMERATE_SUB_KEYS, KEY_QUERY_VALUE, REG_CREATED_NEW_KEY,
  KEY_SET_VALUE, REG_LEGAL_OPTION,
} from "./cmparse";
import { CM_HIVE_SYSTEM, CmpKeySecurity, CmpFlushAll, CmpFlushHive, CmpHiveRoot, CmpLazyFlush } from "./cmhive";
import { ObCheckAccess } from "../ob/obsecure";
import { CmSystemHiveLoaded, CmpLoadOtherHives } from "./cminit";
import {
  NT_SUCCESS, STATUS_ACCESS_DENIED, STATUS_ACCESS_VIOLATION, STATUS_BUFFER_OVERFLOW,
  STATUS_BUFFER_TOO_SMALL, STATUS_CANNOT_DELETE, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER, STATUS_KEY_DELETED, STATUS_NO_MORE_ENTRIES,
  STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import {
  KEY_BASIC_INFORMATION, KEY_CACHED_INFORMATION, KEY_FULL_INFORMATION, KEY_NAME_INFORMATION, KEY_NODE_INFORMATION,
  KEY_VALUE_BASIC_INFORMATION, KEY_VALUE_FULL_INFORMATION, KEY_VALUE_PARTIAL_INFORMATION, KeyBasicInformation,
  KeyCachedInformation, KeyFullInformation, KeyNameInformation, KeyNodeInformation, KeyValueBasicInformation,
  KeyValueFullInformation, KeyValuePartialInformation, SIZEOF_KEY_CACHED_INFORMATION,
} from "../sdk/keyinfo";

// ---- a service's context block ----
const X_CAPTURE: u32 = 0;    // 8: captured OBJECT_ATTRIBUTES
const X_OBJECT: u32 = 8;     // the key object
const X_HANDLE: u32 = 12;
const X_NAME: u32 = 16;      // 12: captured UNICODE_STRING: buffer, length, pool copy (or 0)
const X_CLASS: u32 = 28;     // 12: the same for a class
const X_OA: u32 = 40;        // 24: OBJECT_ATTRIBUTES for ObInsertObject
const X_INFO: u32 = 64;      // built information: buffer
const X_INFO_SIZE: u32 = 68; //   and its size
const X_DATA: u32 = 72;      // a copy of NtSetValueKey's data
const X_SECURITY: u32 = 76;  // NtCreateKey's captured descriptor ('SeSd'), or 0
const CONTEXT_SIZE: u32 = 80;
const CONTEXT_TAG: u32 = 0x78436D43; // 'CmCx'

function CmpNewContext(): usize {
  const context = ExAllocatePoolWithTag(NonPagedPool, CONTEXT_SIZE, CONTEXT_TAG);
  if (context != 0) memory.fill(context, 0, CONTEXT_SIZE);
  return context;
}

function CmpFreeContext(context: usize): void {
  ExReleaseObjectAttributes(context + X_CAPTURE);
  for (let at: u32 = X_NAME; at <= X_CLASS; at += 12) {
    const copy = load<usize>(context + at + 8);
    if (copy != 0) ExFreePoolWithTag(copy, CM_NAME_TAG);
  }
  if (load<usize>(context + X_INFO) != 0) ExFreePoolWithTag(load<usize>(context + X_INFO), CM_NAME_TAG);
  if (load<usize>(context + X_DATA) != 0) ExFreePoolWithTag(load<usize>(context + X_DATA), CM_NAME_TAG);
  ExFreeSecurityDescriptor(load<usize>(context + X_SECURITY));
  if (load<usize>(context + X_OBJECT) != 0) ObDereferenceObject(load<usize>(context + X_OBJECT));
  ExFreePoolWithTag(context, CONTEXT_TAG);
}

/**
 * Captures an optional UNICODE_STRING* of the caller into the 12 bytes at
 * `out`. From user mode the structure is read once, into kernel memory, and
 * both it and the characters through the user-copy routine (a page gone
 * under the copy: STATUS_ACCESS_VIOLATION).
 */
function CmpCaptureString(source: usize, out: usize, maximumBytes: u32): u32 {
  store<usize>(out, 0);
  store<u32>(out, 0, 4);
  store<usize>(out, 0, 8);
  if (source == 0) return STATUS_SUCCESS;
  const user = ExGetPreviousMode() != KernelMode;
  const captured = KeAllocateScratch(8);
  const status = CmpCaptureStringIn(source, captured, out, maximumBytes, user);
  KeFreeScratch(captured);
  return status;
}

function CmpCaptureStringIn(source: usize, captured: usize, out: usize, maximumBytes: u32, user: bool): u32 {
  if (!ProbeUserRange(source, 8, 4) || !ExCopyFromUser(captured, source, 8)) return STATUS_ACCESS_VIOLATION;
  const length = <u32>load<u16>(captured);
  const buffer = load<usize>(captured, 4);
  if ((length & 1) != 0 || length > maximumBytes) return STATUS_INVALID_PARAMETER;
  if (length == 0) return STATUS_SUCCESS;
  if (!user) { store<usize>(out, buffer); store<u32>(out, length, 4); return STATUS_SUCCESS; }
  if (!ProbeUserRange(buffer, length, 2)) return STATUS_ACCESS_VIOLATION;
  const copy = ExAllocatePoolWithTag(NonPagedPool, length, CM_NAME_TAG);
  if (copy == 0) return STATUS_INSUFFICIENT_RESOURCES;
  if (!ExCopyFromUser(copy, buffer, length)) { ExFreePoolWithTag(copy, CM_NAME_TAG); return STATUS_ACCESS_VIOLATION; }
  store<usize>(out, copy);
  store<u32>(out, length, 4);
  store<usize>(out, copy, 8);
  return STATUS_SUCCESS;
}

/** References the key object of `handle` with `access`; the object goes to context + X_OBJECT. */
function CmpReferenceKey(handle: u32, access: u32, context: usize): u32 {
  return ObReferenceObjectByHandle(handle, access, CmKeyObjectType, context + X_OBJECT, 0);
}

@inline function CmpKeyOf(context: usize): usize { return CmKeyOfObject(load<usize>(context + X_OBJECT)); }

/** A zeroed kernel buffer for `size` bytes of information (context + X_INFO). */
function CmpInfoBuffer(context: usize, size: u32): usize {
  const buffer = ExAllocatePoolWithTag(NonPagedPool, size != 0 ? size : 4, CM_NAME_TAG);
  if (buffer != 0) memory.fill(buffer, 0, size);
  store<usize>(context + X_INFO, buffer);
  store<u32>(context + X_INFO_SIZE, size);
  return buffer;
}

/** Copies the built information out with NT's length rules; `fixed` is the class's fixed part. */
function CmpReturnInformation(context: usize, fixed: u32, buffer: usize, length: u32, resultLength: usize): u32 {
  const required = load<u32>(context + X_INFO_SIZE);
  if (!ExWriteUserUlong(resultLength, required)) return STATUS_ACCESS_VIOLATION;
  if (length < fixed) return STATUS_BUFFER_TOO_SMALL;
  const count = length < required ? length : required;
  if (!ExCopyToUser(buffer, load<usize>(context + X_INFO), count)) return STATUS_ACCESS_VIOLATION;
  return count < required ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

/** Range-checks an information buffer and its ResultLength (CmpReturnInformation writes them, guarded). */
function CmpProbeInformation(buffer: usize, length: u32, resultLength: usize): bool {
  return ProbeUserRange(resultLength, 4, 4) && ProbeUserRange(buffer, length, 4);
}

// ---- opening and creating ----

function CmpInsertKeyHandle(context: usize, oa: usize, desiredAccess: u32): u32 {
  const object = load<usize>(context + X_OBJECT);
  store<usize>(context + X_OBJECT, 0); // the handle takes the reference (or the object goes on failure)
  return ObInsertParsedObject(object, oa, context + X_OA, desiredAccess, context + X_HANDLE);
}

/** Deletes `key`, made by a create that then failed, unless someone has put something in it meanwhile. */
function CmpUndoCreate(key: usize): void {
  const lock = ObAcquireObjectLock();
  CmpExpand(key);
  const k = CmKey(key);
  if ((k.Flags & (CM_KEY_DELETED | CM_KEY_HIVE_ROOT | CM_KEY_NO_DELETE | CM_KEY_LAZY)) == 0 && k.SubKeyCount == 0 && k.ValueCount == 0) {
    const parent = k.Parent;
    CmpUnlinkSubKey(key);
    CmpTouch(parent);
    CmpDeleteKeyContents(key); // the block goes with the last reference
  }
  ObReleaseObjectLock(lock);
}

function CmpOpenOrCreate(keyHandle: usize, desiredAccess: u32, objectAttributes: usize, titleIndex: u32, classString: usize,
                         options: u32, disposition: usize, creating: bool): u32 {
  if (!ExProbeHandle(keyHandle)) return STATUS_ACCESS_VIOLATION;
  if (disposition != 0 && !ProbeUserRange(disposition, 4, 4)) return STATUS_ACCESS_VIOLATION;
  if (objectAttributes == 0) return STATUS_INVALID_PARAMETER;
  if ((options & ~REG_LEGAL_OPTION) != 0) return STATUS_INVALID_PARAMETER;
  const context = CmpNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = ExCaptureObjectAttributes(objectAttributes, context + X_CAPTURE);
  if (NT_SUCCESS(status)) status = CmpCaptureString(classString, context + X_CLASS, 0xFFFE);
  if (NT_SUCCESS(status) && creating) {
    // The creator's descriptor for a new key, read once (ex/security.ts) before the tree's lock.
    const given = changetype<OBJECT_ATTRIBUTES>(load<usize>(context + X_CAPTURE)).SecurityDescriptor;
    if (given != 0) status = ExCaptureSecurityDescriptor(given, ExGetPreviousMode() != KernelMode, context + X_SECURITY);
  }
  let result: u32 = 0;
  if (NT_SUCCESS(status)) {
    const oa = load<usize>(context + X_CAPTURE);
    const lock = ObAcquireObjectLock();
    CmpSetCreateContext(creating, options, load<usize>(context + X_CLASS), load<u32>(context + X_CLASS, 4), titleIndex,
                        load<usize>(context + X_SECURITY));
    status = ObReferenceObjectByAttributes(oa, CmKeyObjectType, context + X_OBJECT);
    result = CmpCreateDisposition;
    CmpSetCreateContext(false, 0, 0, 0, 0, 0);
    ObReleaseObjectLock(lock);
    if (NT_SUCCESS(status) && (!creating || result != REG_CREATED_NEW_KEY)) {
      // Opening a key that exists: its descriptor against the caller's token (NT's CmpCheckKeyAccess),
      // under the tree's lock (NtSetSecurityObject may replace and free it).
      const granted = KeAllocateScratch(4);
      const key = CmKeyOfObject(load<usize>(context + X_OBJECT));
      const held = ObAcquireObjectLock();
      const checked = ObCheckAccess(CmpKeySecurity(key), CmKeyObjectType, desiredAccess, granted);
      ObReleaseObjectLock(held);
      desiredAccess = load<u32>(granted);
      KeFreeScratch(granted);
      if (checked != STATUS_SUCCESS) {
        ObDereferenceObject(load<usize>(context + X_OBJECT));
        store<usize>(context + X_OBJECT, 0);
        status = checked;
      }
    }
    if (NT_SUCCESS(status)) {
      // A key this call made goes again when its handle is refused (the handle table's quota):
      // the call failed, so it must leave no key behind.
      const object = load<usize>(context + X_OBJECT);
      const made = creating && result == REG_CREATED_NEW_KEY;
      if (made) ObReferenceObject(object);
      status = CmpInsertKeyHandle(context, oa, desiredAccess);
      if (made) {
        if (!NT_SUCCESS(status)) CmpUndoCreate(CmKeyOfObject(object));
        ObDereferenceObject(object);
      }
    }
    if (NT_SUCCESS(status)) {
      if (!ExWriteUserUlong(keyHandle, load<u32>(context + X_HANDLE))
          || (disposition != 0 && !ExWriteUserUlong(disposition, result))) status = STATUS_ACCESS_VIOLATION; // the handle stays, as in NT
    }
  }
  CmpFreeContext(context);
  if (creating) CmpLazyFlush();
  return status;
}

/** NtCreateKey(KeyHandle, DesiredAccess, ObjectAttributes, TitleIndex, Class, CreateOptions, Disposition). */
export function NtCreateKey(keyHandle: usize, desiredAccess: u32, objectAttributes: usize, titleIndex: u32, classString: usize,
                            createOptions: u32, disposition: usize): u32 {
  return CmpOpenOrCreate(keyHandle, desiredAccess, objectAttributes, titleIndex, classString, createOptions, disposition, true);
}

/** NtOpenKey(KeyHandle, DesiredAccess, ObjectAttributes). */
export function NtOpenKey(keyHandle: usize, desiredAccess: u32, objectAttributes: usize): u32 {
  return CmpOpenOrCreate(keyHandle, desiredAccess, objectAttributes, 0, 0, 0, 0, false);
}

/** NtOpenKeyEx(KeyHandle, DesiredAccess, ObjectAttributes, OpenOptions): REG_OPTION_OPEN_LINK opens a link key itself. */
export function NtOpenKeyEx(keyHandle: usize, desiredAccess: u32, objectAttributes: usize, openOptions: u32): u32 {
  return CmpOpenOrCreate(keyHandle, desiredAccess, objectAttributes, 0, 0, openOptions, 0, false);
}

// ---- deleting ----

/** NtDeleteKey(KeyHandle): a key with subkeys, a hive's root or a master key cannot go. */
export function NtDeleteKey(keyHandle: u32): u32 {
  const context = CmpNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = CmpReferenceKey(keyHandle, DELETE, context);
  if (NT_SUCCESS(status)) {
    const lock = ObAcquireObjectLock();
    const key = CmpKeyOf(context);
    const k = CmKey(key);
    if ((k.Flags & CM_KEY_DELETED) != 0) status = STATUS_KEY_DELETED;
    else if (!CmpExpand(key)) status = STATUS_INSUFFICIENT_RESOURCES; // its subkeys and values are counted when built
    else if ((k.Flags & (CM_KEY_HIVE_ROOT | CM_KEY_NO_DELETE)) != 0 || k.SubKeyCount != 0) status = STATUS_CANNOT_DELETE;
    else {
      const parent = k.Parent;
      CmpUnlinkSubKey(key);
      CmpTouch(parent);
      CmpDeleteKeyContents(key); // the handles keep the block; it goes with the last one
    }
    ObReleaseObjectLock(lock);
  }
  CmpFreeContext(context);
  CmpLazyFlush();
  return status;
}

// ---- key information ----

/** The longest subkey name, subkey class, value name and value data of `key` (bytes), at `out`. */
function CmpMaxima(key: usize, out: usize): void {
  CmpExpand(key);
  const k = CmKey(key);
  let name: u32 = 0, klass: u32 = 0, valueName: u32 = 0, data: u32 = 0;
  for (let i: u32 = 0; i < k.SubKeyCount; i++) {
    const sub = CmKey(CmSubKey(key, i));
    if (sub.NameLength > name) name = sub.NameLength;
    if (sub.ClassLength > klass) klass = sub.ClassLength;
  }
  for (let i: u32 = 0; i < k.ValueCount; i++) {
    const v = changetype<CM_VALUE>(CmValueAt(key, i));
    if (v.NameLength > valueName) valueName = v.NameLength;
    if (v.DataLength > data) data = v.DataLength;
  }
  store<u32>(out, name);
  store<u32>(out, klass, 4);
  store<u32>(out, valueName, 8);
  store<u32>(out, data, 12);
}

/** The length in bytes of the full name (\REGISTRY\...) of `key`. */
function CmpFullNameLength(key: usize): u32 {
  let length: u32 = 0;
  for (let k = key; k != 0; k = CmKey(k).Parent) length += 2 + CmKey(k).NameLength;
  return length;
}

/** Writes the full name of `key` ending at `end`. */
function CmpWriteFullName(key: usize, end: usize): void {
  for (let k = key; k != 0; k = CmKey(k).Parent) {
    end -= CmKey(k).NameLength;
    memory.copy(end, CmKey(k).Name, CmKey(k).NameLength);
    end -= 2;
    store<u16>(end, 0x5C);
  }
}

/** Builds key information of `informationClass` for `key` into the context; returns the fixed size or 0 for a bad class. */
function CmpBuildKeyInformation(context: usize, key: usize, informationClass: u32): u32 {
  if (informationClass == KeyFullInformation || informationClass == KeyCachedInformation) CmpExpand(key); // the counts
  const k = CmKey(key);
  const maxima = memory.data(16, 4); // callers hold the tree's lock (interrupts off) across its use
  switch (informationClass) {
    case KeyBasicInformation: {
      const fixed = <u32>offsetof<KEY_BASIC_INFORMATION>("Name");
      const info = CmpInfoBuffer(context, fixed + k.NameLength);
      if (info == 0) return 0xFFFFFFFF;
      const r = changetype<KEY_BASIC_INFORMATION>(info);
      r.LastWriteTime = <i64>k.LastWriteTime;
      r.TitleIndex = k.TitleIndex;
      r.NameLength = k.NameLength;
      memory.copy(info + fixed, k.Name, k.NameLength);
      return fixed;
    }
    case KeyNodeInformation: {
      const fixed = <u32>offsetof<KEY_NODE_INFORMATION>("Name");
      const info = CmpInfoBuffer(context, fixed + k.NameLength + k.ClassLength);
      if (info == 0) return 0xFFFFFFFF;
      const r = changetype<KEY_NODE_INFORMATION>(info);
      r.LastWriteTime = <i64>k.LastWriteTime;
      r.TitleIndex = k.TitleIndex;
      r.ClassOffset = k.ClassLength != 0 ? fixed + k.NameLength : 0xFFFFFFFF;
      r.ClassLength = k.ClassLength;
      r.NameLength = k.NameLength;
      memory.copy(info + fixed, k.Name, k.NameLength);
      if (k.ClassLength != 0) memory.copy(info + fixed + k.NameLength, k.Class, k.ClassLength);
      return fixed;
    }
    case KeyFullInformation: {
      const fixed = <u32>offsetof<KEY_FULL_INFORMATION>("Class");
      const info = CmpInfoBuffer(context, fixed + k.ClassLength);
      if (info == 0) return 0xFFFFFFFF;
      CmpMaxima(key, maxima);
      const r = changetype<KEY_FULL_INFORMATION>(info);
      r.LastWriteTime = <i64>k.LastWriteTime;
      r.TitleIndex = k.TitleIndex;
      r.ClassOffset = k.ClassLength != 0 ? fixed : 0xFFFFFFFF;
      r.ClassLength = k.ClassLength;
      r.SubKeys = k.SubKeyCount;
      r.MaxNameLen = load<u32>(maxima);
      r.MaxClassLen = load<u32>(maxima, 4);
      r.Values = k.ValueCount;
      r.MaxValueNameLen = load<u32>(maxima, 8);
      r.MaxValueDataLen = load<u32>(maxima, 12);
      if (k.ClassLength != 0) memory.copy(info + fixed, k.Class, k.ClassLength);
      return fixed;
    }
    case KeyNameInformation: {
      const fixed = <u32>offsetof<KEY_NAME_INFORMATION>("Name");
      const length = CmpFullNameLength(key);
      const info = CmpInfoBuffer(context, fixed + length);
      if (info == 0) return 0xFFFFFFFF;
      changetype<KEY_NAME_INFORMATION>(info).NameLength = length;
      CmpWriteFullName(key, info + fixed + length);
      return fixed;
    }
    case KeyCachedInformation: {
      const info = CmpInfoBuffer(context, SIZEOF_KEY_CACHED_INFORMATION);
      if (info == 0) return 0xFFFFFFFF;
      CmpMaxima(key, maxima);
      const r = changetype<KEY_CACHED_INFORMATION>(info);
      r.LastWriteTime = <i64>k.LastWriteTime;
      r.TitleIndex = k.TitleIndex;
      r.SubKeys = k.SubKeyCount;
      r.MaxNameLen = load<u32>(maxima);
      r.Values = k.ValueCount;
      r.MaxValueNameLen = load<u32>(maxima, 8);
      r.MaxValueDataLen = load<u32>(maxima, 12);
      r.NameLength = k.NameLength;
      return SIZEOF_KEY_CACHED_INFORMATION;
    }
  }
  return 0;
}

/** Turns CmpBuildKeyInformation's answer into a status (0: bad class; -1: no pool). */
@inline function CmpBuildStatus(fixed: u32): u32 {
  if (fixed == 0) return STATUS_INVALID_INFO_CLASS;
  if (fixed == 0xFFFFFFFF) return STATUS_INSUFFICIENT_RESOURCES;
  return STATUS_SUCCESS;
}

/** NtQueryKey(KeyHandle, KeyInformationClass, KeyInformation, Length, ResultLength). */
export function NtQueryKey(keyHandle: u32, informationClass: u32, buffer: usize, length: u32, resultLength: usize): u32 {
  if (!CmpProbeInformation(buffer, length, resultLength)) return STATUS_ACCESS_VIOLATION;
  const context = CmpNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = CmpReferenceKey(keyHandle, informationClass == KeyNameInformation ? 0 : KEY_QUERY_VALUE, context);
  let fixed: u32 = 0;
  if (NT_SUCCESS(status)) {
    const lock = ObAcquireObjectLock();
    const key = CmpKeyOf(context);
    if ((CmKey(key).Flags & CM_KEY_DELETED) != 0) status = STATUS_KEY_DELETED;
    else { fixed = CmpBuildKeyInformation(context, key, informationClass); status = CmpBuildStatus(fixed); }
    ObReleaseObjectLock(lock);
  }
  if (NT_SUCCESS(status)) status = CmpReturnInformation(context, fixed, buffer, length, resultLength);
  CmpFreeContext(context);
  return status;
}

/** NtEnumerateKey(KeyHandle, Index, KeyInformationClass, KeyInformation, Length, ResultLength): subkeys in name order. */
export function NtEnumerateKey(keyHandle: u32, index: u32, informationClass: u32, buffer: usize, length: u32, resultLength: usize): u32 {
  if (!CmpProbeInformation(buffer, length, resultLength)) return STATUS_ACCESS_VIOLATION;
  if (informationClass > KeyFullInformation) return STATUS_INVALID_INFO_CLASS;
  const context = CmpNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = CmpReferenceKey(keyHandle, KEY_ENUMERATE_SUB_KEYS, context);
  let fixed: u32 = 0;
  if (NT_SUCCESS(status)) {
    const lock = ObAcquireObjectLock();
    const key = CmpKeyOf(context);
    if ((CmKey(key).Flags & CM_KEY_DELETED) != 0) status = STATUS_KEY_DELETED;
    else if (!CmpExpand(key)) status = STATUS_INSUFFICIENT_RESOURCES;
    else if (index >= CmKey(key).SubKeyCount) status = STATUS_NO_MORE_ENTRIES;
    else { fixed = CmpBuildKeyInformation(context, CmSubKey(key, index), informationClass); status = CmpBuildStatus(fixed); }
    ObReleaseObjectLock(lock);
  }
  if (NT_SUCCESS(status)) status = CmpReturnInformation(context, fixed, buffer, length, resultLength);
  CmpFreeContext(context);
  return status;
}

// ---- values ----

function CmpBuildValueInformation(context: usize, value: usize, informationClass: u32): u32 {
  const v = changetype<CM_VALUE>(value);
  switch (informationClass) {
    case KeyValueBasicInformation: {
      const fixed = <u32>offsetof<KEY_VALUE_BASIC_INFORMATION>("Name");
      const info = CmpInfoBuffer(context, fixed + v.NameLength);
      if (info == 0) return 0xFFFFFFFF;
      const r = changetype<KEY_VALUE_BASIC_INFORMATION>(info);
      r.Type = v.Type;
      r.NameLength = v.NameLength;
      memory.copy(info + fixed, CmValueName(value), v.NameLength);
      return fixed;
    }
    case KeyValueFullInformation: {
      const fixed = <u32>offsetof<KEY_VALUE_FULL_INFORMATION>("Name");
      const dataOffset = (fixed + v.NameLength + 3) & ~3;
      const info = CmpInfoBuffer(context, dataOffset + v.DataLength);
      if (info == 0) return 0xFFFFFFFF;
      const r = changetype<KEY_VALUE_FULL_INFORMATION>(info);
      r.Type = v.Type;
      r.DataOffset = dataOffset;
      r.DataLength = v.DataLength;
      r.NameLength = v.NameLength;
      memory.copy(info + fixed, CmValueName(value), v.NameLength);
      memory.copy(info + dataOffset, CmValueData(value), v.DataLength);
      return fixed;
    }
    case KeyValuePartialInformation: {
      const fixed = <u32>offsetof<KEY_VALUE_PARTIAL_INFORMATION>("Data");
      const info = CmpInfoBuffer(context, fixed + v.DataLength);
      if (info == 0) return 0xFFFFFFFF;
      const r = changetype<KEY_VALUE_PARTIAL_INFORMATION>(info);
      r.Type = v.Type;
      r.DataLength = v.DataLength;
      memory.copy(info + fixed, CmValueData(value), v.DataLength);
      return fixed;
    }
  }
  return 0;
}

/** NtEnumerateValueKey(KeyHandle, Index, KeyValueInformationClass, KeyValueInformation, Length, ResultLength). */
export function NtEnumerateValueKey(keyHandle: u32, index: u32, informationClass: u32, buffer: usize, length: u32,
                                    resultLength: usize): u32 {
  if (!CmpProbeInformation(buffer, length, resultLength)) return STATUS_ACCESS_VIOLATION;
  if (informationClass > KeyValuePartialInformation) return STATUS_INVALID_INFO_CLASS;
  const context = CmpNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = CmpReferenceKey(keyHandle, KEY_QUERY_VALUE, context);
  let fixed: u32 = 0;
  if (NT_SUCCESS(status)) {
    const lock = ObAcquireObjectLock();
    const key = CmpKeyOf(context);
    if ((CmKey(key).Flags & CM_KEY_DELETED) != 0) status = STATUS_KEY_DELETED;
    else if (!CmpExpand(key)) status = STATUS_INSUFFICIENT_RESOURCES;
    else if (index >= CmKey(key).ValueCount) status = STATUS_NO_MORE_ENTRIES;
    else { fixed = CmpBuildValueInformation(context, CmValueAt(key, index), informationClass); status = CmpBuildStatus(fixed); }
    ObReleaseObjectLock(lock);
  }
  if (NT_SUCCESS(status)) status = CmpReturnInformation(context, fixed, buffer, length, resultLength);
  CmpFreeContext(context);
  return status;
}

/** NtQueryValueKey(KeyHandle, ValueName, KeyValueInformationClass, KeyValueInformation, Length, ResultLength). */
export function NtQueryValueKey(keyHandle: u32, valueName: usize, informationClass: u32, buffer: usize, length: u32,
                                resultLength: usize): u32 {
  if (!CmpProbeInformation(buffer, length, resultLength)) return STATUS_ACCESS_VIOLATION;
  if (informationClass > KeyValuePartialInformation) return STATUS_INVALID_INFO_CLASS;
  const context = CmpNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = CmpCaptureString(valueName, context + X_NAME, CM_MAX_VALUE_NAME_CHARS * 2);
  if (NT_SUCCESS(status)) status = CmpReferenceKey(keyHandle, KEY_QUERY_VALUE, context);
  let fixed: u32 = 0;
  if (NT_SUCCESS(status)) {
    const lock = ObAcquireObjectLock();
    const key = CmpKeyOf(context);
    if ((CmKey(key).Flags & CM_KEY_DELETED) != 0) status = STATUS_KEY_DELETED;
    else {
      const value = CmpFindValue(key, load<usize>(context + X_NAME), load<u32>(context + X_NAME, 4));
      if (value == 0) status = STATUS_OBJECT_NAME_NOT_FOUND;
      else { fixed = CmpBuildValueInformation(context, value, informationClass); status = CmpBuildStatus(fixed); }
    }
    ObReleaseObjectLock(lock);
  }
  if (NT_SUCCESS(status)) status = CmpReturnInformation(context, fixed, buffer, length, resultLength);
  CmpFreeContext(context);
  return status;
}

/** NtSetValueKey(KeyHandle, ValueName, TitleIndex, Type, Data, DataSize). */
export function NtSetValueKey(keyHandle: u32, valueName: usize, titleIndex: u32, type: u32, data: usize, dataSize: u32): u32 {
  if (dataSize > CM_MAX_VALUE_DATA) return STATUS_INVALID_PARAMETER;
  const context = CmpNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = CmpCaptureString(valueName, context + X_NAME, CM_MAX_VALUE_NAME_CHARS * 2);
  if (NT_SUCCESS(status) && dataSize != 0) {
    if (!ProbeUserRange(data, dataSize, 1)) status = STATUS_ACCESS_VIOLATION;
    else {
      const copy = ExAllocatePoolWithTag(NonPagedPool, dataSize, CM_NAME_TAG);
      if (copy == 0) status = STATUS_INSUFFICIENT_RESOURCES;
      else {
        store<usize>(context + X_DATA, copy); // freed with the context
        if (!ExCopyFromUser(copy, data, dataSize)) status = STATUS_ACCESS_VIOLATION;
      }
    }
  }
  if (NT_SUCCESS(status)) status = CmpReferenceKey(keyHandle, KEY_SET_VALUE, context);
  if (NT_SUCCESS(status)) {
    const lock = ObAcquireObjectLock();
    const key = CmpKeyOf(context);
    if ((CmKey(key).Flags & CM_KEY_DELETED) != 0) status = STATUS_KEY_DELETED;
    else if (!CmpSetValue(key, load<usize>(context + X_NAME), load<u32>(context + X_NAME, 4), type,
                          load<usize>(context + X_DATA), dataSize)) status = STATUS_INSUFFICIENT_RESOURCES;
    else CmpTouch(key);
    ObReleaseObjectLock(lock);
  }
  CmpFreeContext(context);
  CmpLazyFlush();
  return status;
}

/** NtDeleteValueKey(KeyHandle, ValueName). */
export function NtDeleteValueKey(keyHandle: u32, valueName: usize): u32 {
  const context = CmpNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = CmpCaptureString(valueName, context + X_NAME, CM_MAX_VALUE_NAME_CHARS * 2);
  if (NT_SUCCESS(status)) status = CmpReferenceKey(keyHandle, KEY_SET_VALUE, context);
  if (NT_SUCCESS(status)) {
    const lock = ObAcquireObjectLock();
    const key = CmpKeyOf(context);
    if ((CmKey(key).Flags & CM_KEY_DELETED) != 0) status = STATUS_KEY_DELETED;
    else if (!CmpDeleteValue(key, load<usize>(context + X_NAME), load<u32>(context + X_NAME, 4))) status = STATUS_OBJECT_NAME_NOT_FOUND;
    else CmpTouch(key);
    ObReleaseObjectLock(lock);
  }
  CmpFreeContext(context);
  CmpLazyFlush();
  return status;
}

// ---- flushing and the boot's registry calls ----

/** NtFlushKey(KeyHandle): writes the key's hive now (nothing to do for volatile keys). */
export function NtFlushKey(keyHandle: u32): u32 {
  const context = CmpNewContext();
  if (context == 0) return STATUS_INSUFFICIENT_RESOURCES;
  let status = CmpReferenceKey(keyHandle, 0, context);
  if (NT_SUCCESS(status)) {
    const key = CmpKeyOf(context);
    if ((CmKey(key).Flags & CM_KEY_DELETED) != 0) status = STATUS_KEY_DELETED;
    else if (CmKey(key).Hive != 0) status = CmpFlushHive(CmKey(key).Hive);
  }
  CmpFreeContext(context);
  return status;
}

const REG_INIT_BOOT_SM: u32 = 0;
const REG_INIT_BOOT_SETUP: u32 = 1;
const REG_INIT_BOOT_ACCEPTED_BASE: u32 = 2;
const REG_INIT_MAX_VALID: u32 = 1002;
let CmpHivesInitialized: bool = false;
let CmpBootAccepted: bool = false;

/**
 * NtInitializeRegistry(BootCondition). REG_INIT_BOOT_SM (from the session
 * manager) or REG_INIT_BOOT_SETUP loads the other hives, once.
 * REG_INIT_BOOT_ACCEPTED_BASE + n accepts the boot, once: the control set
 * that booted becomes the last known good (Select\LastKnownGood =
 * Select\Current; NT also copies the control set, which is not done here),
 * and the SYSTEM hive is written. Later calls: STATUS_ACCESS_DENIED.
 */
export function NtInitializeRegistry(bootCondition: u32): u32 {
  bootCondition &= 0xFFFF;
  if (bootCondition >= REG_INIT_MAX_VALID) return STATUS_INVALID_PARAMETER;
  if (bootCondition == REG_INIT_BOOT_SM || bootCondition == REG_INIT_BOOT_SETUP) {
    // Test and set with interrupts off: two callers must not both load the hives.
    const lock = ObAcquireObjectLock();
    const already = CmpHivesInitialized;
    CmpHivesInitialized = true;
    ObReleaseObjectLock(lock);
    if (already) return STATUS_ACCESS_DENIED;
    CmpLoadOtherHives();
    return STATUS_SUCCESS;
  }
  const lock = ObAcquireObjectLock();
  if (CmpBootAccepted || !CmpHivesInitialized) { ObReleaseObjectLock(lock); return STATUS_ACCESS_DENIED; }
  CmpBootAccepted = true;
  if (!CmSystemHiveLoaded) { ObReleaseObjectLock(lock); return STATUS_SUCCESS; }
  const selectName = "Select";
  const select = CmpFindSubKey(CmpHiveRoot(CM_HIVE_SYSTEM), changetype<usize>(selectName), <u32>selectName.length << 1);
  if (select != 0) {
    CmpSetDwordValue(select, "LastKnownGood", CmpGetDwordValue(select, "Current", 1));
    CmpTouch(select);
  }
  ObReleaseObjectLock(lock);
  return CmpFlushAll();
}

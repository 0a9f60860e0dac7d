// Object information services: NtQueryObject, NtSetInformationObject,
// NtMakeTemporaryObject, NtMakePermanentObject, and ObQueryNameString.
//
// NtQueryObject answers, for a handle:
//   ObjectBasicInformation (0)  OBJECT_BASIC_INFORMATION, exactly 56 bytes:
//                               attributes (handle's plus OBJ_PERMANENT /
//                               OBJ_EXCLUSIVE), granted access, handle and
//                               pointer counts (the query's own reference
//                               included, as NT reports it), the sizes the
//                               name and type queries need, a link's
//                               creation time;
//   ObjectNameInformation (1)   the full path, "\Device\X" (a name whose
//                               directory left the namespace shows as "...");
//   ObjectTypeInformation (2)   OBJECT_TYPE_INFORMATION and the type name;
//   ObjectTypesInformation (3)  every type (no handle needed);
//   ObjectHandleFlagInformation (4)  Inherit and ProtectFromClose.
// A buffer too small for the answer is STATUS_INFO_LENGTH_MISMATCH, with
// the size needed at ReturnLength.

import { ObpPrivilegeCheck, SE_CREATE_PERMANENT_PRIVILEGE } from "./obsecure";
import { OBJ_NAME_PATH_SEPARATOR, RtlUnicodeString, RtlWriteUnicodeString } from "../rtl/unicode";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import {
  DELETE, OB_FLAG_EXCLUSIVE_OBJECT, OB_FLAG_PERMANENT_OBJECT, OBJ_PROTECT_CLOSE, OBJECT_HANDLE_INFORMATION, OBJECT_HEADER_NAME_INFO, OBJECT_HEADER_TO_NAME_INFO, OBJECT_HEADER_TO_QUOTA_INFO, OBJECT_HEADER_QUOTA_INFO, OBJECT_SYMBOLIC_LINK, OBJECT_TO_OBJECT_HEADER, OBJECT_TYPE, ObjectBasicInformation, ObjectHandleFlagInformation, ObjectNameInformation, ObjectTypeInformation, ObjectTypesInformation, ObpTypeInfo, ObpTypeName, SIZEOF_OBJECT_BASIC_INFORMATION, SIZEOF_OBJECT_HANDLE_FLAG_INFORMATION, SIZEOF_OBJECT_NAME_INFORMATION, SIZEOF_OBJECT_TYPE_INFORMATION, ObpAcquireLock, ObpReleaseLock,
} from "./obp";
import { ObpObjectTypeCount, ObpObjectTypes } from "./obcreate";
import { ObSetHandleAttributes, ObReferenceObjectByHandle } from "./obhandle";
import { ObDereferenceObject, ObMakePermanentObject, ObMakeTemporaryObject } from "./obref";
import { ObpRootDirectoryObject, ObpSymbolicLinkObjectType } from "./obp";
import {
  NT_SUCCESS, STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_INFO_CLASS, STATUS_NAME_TOO_LONG,
  STATUS_SUCCESS,
  STATUS_PRIVILEGE_NOT_HELD,
} from "../sdk/ntstatus";
import { OBJ_EXCLUSIVE, OBJ_INHERIT, OBJ_PERMANENT } from "../sdk/ntdef";

// Out-parameters come from the thread's scratch arena (see obdir.ts).

/** What stands for a directory that left the namespace in a full name. */
const OBP_MISSING_NAME: string = "...";

@inline function ObpNameInfo(object: usize): OBJECT_HEADER_NAME_INFO {
  return changetype<OBJECT_HEADER_NAME_INFO>(OBJECT_HEADER_TO_NAME_INFO(object));
}

/** True for an object with a name (the root's is "\"). */
function ObpIsNamed(object: usize): bool {
  const nameInfo = OBJECT_HEADER_TO_NAME_INFO(object);
  return nameInfo != 0 && changetype<OBJECT_HEADER_NAME_INFO>(nameInfo).NameBuffer != 0;
}

/**
 * Bytes of the full name of a named object, and with `text` (the address
 * just after where it ends) the name itself, written backwards from the
 * object up: "\" + name for each level below the root.
 */
function ObpFullName(object: usize, end: usize): u32 {
  if (object == ObpRootDirectoryObject) {
    if (end != 0) store<u16>(end - 2, <u16>OBJ_NAME_PATH_SEPARATOR);
    return 2;
  }
  let bytes: u32 = 0;
  let current = object;
  while (true) {
    const info = ObpNameInfo(current);
    bytes += ObpPutComponent(end, bytes, info.NameBuffer, <u32>info.NameLength);
    const directory = info.Directory;
    if (directory == 0 || directory == ObpRootDirectoryObject) break;
    if (OBJECT_HEADER_TO_NAME_INFO(directory) == 0 || ObpNameInfo(directory).Directory == 0) {
      bytes += ObpPutComponent(end, bytes, changetype<usize>(OBP_MISSING_NAME), <u32>OBP_MISSING_NAME.length << 1);
      break;
    }
    current = directory;
  }
  return bytes;
}

/** Writes "\" + a component before the `written` bytes that end at `end` (when `end` is not 0). */
function ObpPutComponent(end: usize, written: u32, text: usize, length: u32): u32 {
  if (end != 0) {
    const start = end - written - length;
    memory.copy(start, text, length);
    store<u16>(start - 2, <u16>OBJ_NAME_PATH_SEPARATOR);
  }
  return length + 2;
}

/**
 * OBJECT_NAME_INFORMATION for an object: a UNICODE_STRING with the full
 * name after it (NUL-terminated), or an empty string for an unnamed object.
 * `returnLength` (a u32, or 0) receives the bytes needed.
 */
export function ObQueryNameString(object: usize, buffer: usize, length: u32, returnLength: usize): u32 {
  const lock = ObpAcquireLock();
  const status = ObpQueryNameString(object, buffer, length, returnLength);
  ObpReleaseLock(lock);
  return status;
}

function ObpQueryNameString(object: usize, buffer: usize, length: u32, returnLength: usize): u32 {
  const bytes: u32 = ObpIsNamed(object) ? ObpFullName(object, 0) : 0;
  if (bytes > 0xFFFD) return STATUS_NAME_TOO_LONG;
  const needed = SIZEOF_OBJECT_NAME_INFORMATION + (bytes != 0 ? bytes + 2 : 0);
  if (returnLength != 0) store<u32>(returnLength, needed);
  if (length < needed) return STATUS_INFO_LENGTH_MISMATCH;
  const name = RtlUnicodeString(buffer);
  if (bytes == 0) {
    name.Length = 0;
    name.MaximumLength = 0;
    name.Buffer = 0;
    return STATUS_SUCCESS;
  }
  const text = buffer + SIZEOF_OBJECT_NAME_INFORMATION;
  ObpFullName(object, text + bytes);
  store<u16>(text + bytes, 0);
  name.Length = <u16>bytes;
  name.MaximumLength = <u16>(bytes + 2);
  name.Buffer = text;
  return STATUS_SUCCESS;
}

/**
 * OBJECT_TYPE_INFORMATION for a type at `information`, its name right after
 * it. *returnLength counts the bytes used so far in a buffer of `length`
 * bytes (so types can follow each other) and grows by this record.
 */
export function ObQueryTypeInfo(type: usize, information: usize, length: u32, returnLength: usize): u32 {
  const t = changetype<OBJECT_TYPE>(type);
  const needed = load<u32>(returnLength) + SIZEOF_OBJECT_TYPE_INFORMATION + ((<u32>t.NameMaximumLength + 3) & ~3);
  store<u32>(returnLength, needed);
  if (length < needed) return STATUS_INFO_LENGTH_MISMATCH;
  memory.fill(information, 0, SIZEOF_OBJECT_TYPE_INFORMATION);
  RtlWriteUnicodeString(information, ObpTypeName(type), information + SIZEOF_OBJECT_TYPE_INFORMATION);
  const info = ObpTypeInfo(type);
  store<u32>(information, t.TotalNumberOfObjects, 8);
  store<u32>(information, t.TotalNumberOfHandles, 12);
  store<u32>(information, t.HighWaterNumberOfObjects, 32);
  store<u32>(information, t.HighWaterNumberOfHandles, 36);
  store<u32>(information, info.InvalidAttributes, 56);
  store<u32>(information, info.GenericRead, 60);     // GENERIC_MAPPING
  store<u32>(information, info.GenericWrite, 64);
  store<u32>(information, info.GenericExecute, 68);
  store<u32>(information, info.GenericAll, 72);
  store<u32>(information, info.ValidAccessMask, 76);
  store<u8>(information, 1, 81);                     // MaintainHandleCount: handles are counted
  store<u32>(information, info.PoolType, 84);
  store<u32>(information, info.DefaultNonPagedPoolCharge, 92);
  return STATUS_SUCCESS;
}

/** ObjectTypesInformation: NumberOfTypes, then each type's record, 4-byte aligned. */
function ObpQueryTypesInformation(buffer: usize, length: u32, returnLength: usize): u32 {
  if (length < 4) {
    if (returnLength != 0) store<u32>(returnLength, 4);
    return STATUS_INFO_LENGTH_MISMATCH;
  }
  const used = KeAllocateScratch(4); // a running total for ObQueryTypeInfo
  store<u32>(used, 4);
  store<u32>(buffer, ObpObjectTypeCount);
  let status = STATUS_SUCCESS;
  for (let i: u32 = 0; i < ObpObjectTypeCount; i++) {
    const type = load<usize>(ObpObjectTypes + (i << 2));
    const result = ObQueryTypeInfo(type, buffer + load<u32>(used), length, used);
    if (!NT_SUCCESS(result)) status = result; // keep counting the size needed
  }
  if (returnLength != 0) store<u32>(returnLength, load<u32>(used));
  KeFreeScratch(used);
  return status;
}

/** OBJECT_BASIC_INFORMATION for a referenced object and its handle's information. */
function ObpQueryBasicInformation(object: usize, handleInformation: OBJECT_HANDLE_INFORMATION, buffer: usize): void {
  const header = OBJECT_TO_OBJECT_HEADER(object);
  memory.fill(buffer, 0, SIZEOF_OBJECT_BASIC_INFORMATION);
  let attributes = handleInformation.HandleAttributes;
  if ((header.Flags & OB_FLAG_PERMANENT_OBJECT) != 0) attributes |= OBJ_PERMANENT;
  if ((header.Flags & OB_FLAG_EXCLUSIVE_OBJECT) != 0) attributes |= OBJ_EXCLUSIVE;
  store<u32>(buffer, attributes, 0);
  store<u32>(buffer, handleInformation.GrantedAccess, 4);
  store<u32>(buffer, <u32>header.HandleCount, 8);
  store<u32>(buffer, <u32>header.PointerCount, 12);
  const quotaInfo = OBJECT_HEADER_TO_QUOTA_INFO(object); // what its creation charged (ex/quota.ts)
  if (quotaInfo != 0) {
    store<u32>(buffer, changetype<OBJECT_HEADER_QUOTA_INFO>(quotaInfo).PagedPoolCharge, 16);
    store<u32>(buffer, changetype<OBJECT_HEADER_QUOTA_INFO>(quotaInfo).NonPagedPoolCharge, 20);
  }
  const nameInfo = OBJECT_HEADER_TO_NAME_INFO(object);
  if (nameInfo != 0 && changetype<OBJECT_HEADER_NAME_INFO>(nameInfo).Directory != 0) {
    store<u32>(buffer, SIZEOF_OBJECT_NAME_INFORMATION + ObpFullName(object, 0) + 2, 36); // NameInfoSize
  }
  store<u32>(buffer, SIZEOF_OBJECT_TYPE_INFORMATION + <u32>RtlUnicodeString(ObpTypeName(header.Type)).Length + 2, 40);
  if (header.Type == ObpSymbolicLinkObjectType) store<u64>(buffer, changetype<OBJECT_SYMBOLIC_LINK>(object).CreationTime, 48);
}

/** Answers one information class about a referenced object (see the file comment). */
function ObpQueryObjectClass(object: usize, handleInformation: OBJECT_HANDLE_INFORMATION, informationClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  if (informationClass == ObjectBasicInformation) {
    if (length != SIZEOF_OBJECT_BASIC_INFORMATION) return STATUS_INFO_LENGTH_MISMATCH;
    ObpQueryBasicInformation(object, handleInformation, buffer);
    if (returnLength != 0) store<u32>(returnLength, SIZEOF_OBJECT_BASIC_INFORMATION);
    return STATUS_SUCCESS;
  }
  if (informationClass == ObjectNameInformation) return ObpQueryNameString(object, buffer, length, returnLength);
  if (informationClass == ObjectTypeInformation) {
    const used = KeAllocateScratch(4);
    const status = ObQueryTypeInfo(OBJECT_TO_OBJECT_HEADER(object).Type, buffer, length, used);
    if (returnLength != 0) store<u32>(returnLength, load<u32>(used));
    KeFreeScratch(used);
    return status;
  }
  if (informationClass == ObjectHandleFlagInformation) {
    if (returnLength != 0) store<u32>(returnLength, SIZEOF_OBJECT_HANDLE_FLAG_INFORMATION);
    if (length < SIZEOF_OBJECT_HANDLE_FLAG_INFORMATION) return STATUS_INFO_LENGTH_MISMATCH;
    store<u8>(buffer, (handleInformation.HandleAttributes & OBJ_INHERIT) != 0 ? 1 : 0);
    store<u8>(buffer, (handleInformation.HandleAttributes & OBJ_PROTECT_CLOSE) != 0 ? 1 : 0, 1);
    return STATUS_SUCCESS;
  }
  return STATUS_INVALID_INFO_CLASS;
}

/** Queries an object by handle: see the file comment for the classes. */
export function ObQueryObject(handle: u32, informationClass: u32, buffer: usize, length: u32, returnLength: usize): u32 {
  const lock = ObpAcquireLock();
  let status: u32;
  if (informationClass == ObjectTypesInformation) {
    status = ObpQueryTypesInformation(buffer, length, returnLength);
  } else {
    const out = KeAllocateScratch(12); // +0 the object, +4 its OBJECT_HANDLE_INFORMATION
    status = ObReferenceObjectByHandle(handle, 0, 0, out, out + 4);
    if (NT_SUCCESS(status)) {
      const object = load<usize>(out);
      status = ObpQueryObjectClass(object, changetype<OBJECT_HANDLE_INFORMATION>(out + 4), informationClass, buffer, length, returnLength);
      ObDereferenceObject(object);
    }
    KeFreeScratch(out);
  }
  ObpReleaseLock(lock);
  return status;
}

/** Sets a handle's attributes: ObjectHandleFlagInformation (Inherit, ProtectFromClose) only. */
export function ObSetInformationObject(handle: u32, informationClass: u32, buffer: usize, length: u32): u32 {
  if (informationClass != ObjectHandleFlagInformation) return STATUS_INVALID_INFO_CLASS;
  if (length != SIZEOF_OBJECT_HANDLE_FLAG_INFORMATION) return STATUS_INFO_LENGTH_MISMATCH;
  return ObSetHandleAttributes(handle, load<u8>(buffer) != 0, load<u8>(buffer, 1) != 0);
}

/** Makes the object of a handle (granted DELETE) temporary: it loses its name with its last handle. */
export function ObMakeTemporaryHandle(handle: u32): u32 {
  const out = KeAllocateScratch(4);
  const lock = ObpAcquireLock();
  const status = ObReferenceObjectByHandle(handle, DELETE, 0, out, 0);
  if (NT_SUCCESS(status)) {
    const object = load<usize>(out);
    ObMakeTemporaryObject(object);
    ObDereferenceObject(object);
  }
  ObpReleaseLock(lock);
  KeFreeScratch(out);
  return status;
}

/**
 * Makes the object of a handle permanent. As NT's NtMakePermanentObject, the
 * caller needs SeCreatePermanentPrivilege (STATUS_PRIVILEGE_NOT_HELD: a
 * permanent object outlives its creator and is a leak nobody can close).
 */
export function ObMakePermanentHandle(handle: u32): u32 {
  if (!ObpPrivilegeCheck(SE_CREATE_PERMANENT_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  const out = KeAllocateScratch(4);
  const lock = ObpAcquireLock();
  const status = ObReferenceObjectByHandle(handle, 0, 0, out, 0);
  if (NT_SUCCESS(status)) {
    const object = load<usize>(out);
    ObMakePermanentObject(object);
    ObDereferenceObject(object);
  }
  ObpReleaseLock(lock);
  KeFreeScratch(out);
  return status;
}

// Object types and object creation: ObCreateObjectType, ObCreateObject, and
// the deletion of an object when its last reference goes.
//
// A type is itself an object (of the type "Type"), named in \ObjectTypes.
// Its body holds the counts of objects and handles and a copy of the
// OBJECT_TYPE_INITIALIZER its component gave: the generic mapping, the
// attributes it refuses and its procedures (close, delete, parse) as
// function references. The first type created is Type itself, whose header
// points at its own body.
//
// ObCreateObject allocates header and body (and a name info when the
// attributes carry a name) in one block tagged with the type's key, with one
// reference for the creator. The name is not looked at until ObInsertObject
// (obname.ts), which reads it from the OBJECT_ATTRIBUTES remembered in the
// header's ObjectCreateInfo: the creator keeps them alive in between, as the
// Nt* services do.
//
// Quotas (ex/quota.ts): ObCreateObject charges the creating process for the
// object's block (nonpaged) and for its name, the name's copy and its
// directory entry (paged), before it allocates anything, and records the
// charge in a quota info at the front of the block; the object's deletion
// returns it to the same quota block, whether or not its creator still runs.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { ExCaptureSecurityDescriptor, ExFreeSecurityDescriptor } from "../ex/security";
import { ExGetPreviousMode, UserMode } from "../ke/probe";
import { ObpDefaultObjectSecurity } from "./obsecure";
import { MM_USER_PROBE_ADDRESS } from "../sdk/ntdef";
import { ExChargePoolQuota, ExCurrentQuotaBlock, ExReturnPoolQuota } from "../ex/quota";
import {
  OBJ_NAME_PATH_SEPARATOR, RtlCharAt, RtlCharCount, RtlEqualUnicodeString, RtlUnicodeString,
} from "../rtl/unicode";
import {
  OB_FLAG_EXCLUSIVE_OBJECT, OB_FLAG_KERNEL_OBJECT, OB_FLAG_NEW_OBJECT, OB_FLAG_PERMANENT_OBJECT, OB_NAME_TAG, OBJECT_ATTRIBUTES, OBJECT_HEADER, OBJECT_HEADER_TO_NAME_INFO, OBJECT_HEADER_TO_QUOTA_INFO, OBJECT_HEADER_QUOTA_INFO, OBJECT_TYPE, SIZEOF_OBJECT_DIRECTORY_ENTRY, SIZEOF_OBJECT_HEADER_QUOTA_INFO, OBJECT_TYPE_INFO_OFFSET, OBJECT_TO_OBJECT_HEADER, ObpNameOf, ObpTypeInfo, SIZEOF_OBJECT_ATTRIBUTES, SIZEOF_OBJECT_HEADER, SIZEOF_OBJECT_HEADER_NAME_INFO, SIZEOF_OBJECT_TYPE, SIZEOF_OBJECT_TYPE_INITIALIZER, OBJECT_TYPE_INITIALIZER, ObpAcquireLock, ObpReleaseLock,
} from "./obp";
import { ObpLinkIntoDirectory, ObpSetObjectName } from "./obdir";
import { ObpTypeDirectoryObject, ObpTypeObjectType } from "./obp";
import {
  NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { OBJ_EXCLUSIVE, OBJ_KERNEL_HANDLE, OBJ_PERMANENT, OBJ_VALID_ATTRIBUTES } from "../sdk/ntdef";

/** Most types the system can hold (NT has a similar fixed table). */
export const OBP_MAX_OBJECT_TYPES: u32 = 64;
/** Every type, by index (OBJECT_TYPE.Index). */
export const ObpObjectTypes: usize = memory.data(<i32>(OBP_MAX_OBJECT_TYPES * 4), 4);
export let ObpObjectTypeCount: u32 = 0;

// ---- counting objects per type ----

function ObpCountObject(type: usize): void {
  const t = changetype<OBJECT_TYPE>(type);
  t.TotalNumberOfObjects++;
  if (t.TotalNumberOfObjects > t.HighWaterNumberOfObjects) t.HighWaterNumberOfObjects = t.TotalNumberOfObjects;
}

/**
 * Allocates quota info (when `withQuota`), name info (when `withName`),
 * header and a zeroed body of `bodySize` in one block tagged `tag`, with one
 * reference. `type` 0 is the Type type being created: the caller points the
 * header at the new body.
 */
function ObpAllocateObject(type: usize, tag: u32, withName: bool, bodySize: u32, flags: u8, withQuota: bool = false): usize {
  const quotaInfoSize: u32 = withQuota ? SIZEOF_OBJECT_HEADER_QUOTA_INFO : 0;
  const nameInfoSize: u32 = withName ? SIZEOF_OBJECT_HEADER_NAME_INFO : 0;
  const block = ExAllocatePoolWithTag(NonPagedPool, quotaInfoSize + nameInfoSize + SIZEOF_OBJECT_HEADER + bodySize, tag);
  if (block == 0) return 0;
  const header = changetype<OBJECT_HEADER>(block + quotaInfoSize + nameInfoSize);
  header.PointerCount = 1;
  header.HandleCount = 0;
  header.Type = type;
  header.NameInfoOffset = <u8>nameInfoSize;
  header.QuotaInfoOffset = <u8>(quotaInfoSize + nameInfoSize);
  header.Flags = flags;
  header.ObjectCreateInfo = 0;
  header.SecurityDescriptor = 0;
  const object = block + quotaInfoSize + nameInfoSize + SIZEOF_OBJECT_HEADER;
  if (type != 0) ObpCountObject(type);
  return object;
}

/**
 * Deletes an object whose last reference went: the type's delete procedure
 * runs on the body, then the name and the block go back to the pool.
 * Called only by ObDereferenceObject.
 */
export function ObpDeleteObject(object: usize): void {
  const type = OBJECT_TO_OBJECT_HEADER(object).Type;
  const deleteProcedure = ObpTypeInfo(type).DeleteProcedure;
  if (deleteProcedure) deleteProcedure(object);
  changetype<OBJECT_TYPE>(type).TotalNumberOfObjects--;
  const sd = OBJECT_TO_OBJECT_HEADER(object).SecurityDescriptor;
  if (sd != 0) ExFreeSecurityDescriptor(sd); // obsecure.ts: the object owns its descriptor
  const nameInfo = OBJECT_HEADER_TO_NAME_INFO(object);
  if (nameInfo != 0 && ObpNameOf(nameInfo).Buffer != 0) ExFreePoolWithTag(ObpNameOf(nameInfo).Buffer, OB_NAME_TAG);
  const quotaInfo = OBJECT_HEADER_TO_QUOTA_INFO(object);
  const block = quotaInfo != 0 ? quotaInfo : nameInfo != 0 ? nameInfo : object - SIZEOF_OBJECT_HEADER;
  let quotaBlock: usize = 0, paged: u32 = 0, nonPaged: u32 = 0;
  if (quotaInfo != 0) {
    const q = changetype<OBJECT_HEADER_QUOTA_INFO>(quotaInfo);
    quotaBlock = q.QuotaBlockCharged; paged = q.PagedPoolCharge; nonPaged = q.NonPagedPoolCharge;
  }
  ExFreePoolWithTag(block, changetype<OBJECT_TYPE>(type).Key);
  ExReturnPoolQuota(quotaBlock, paged, nonPaged);
}

/** Pool a pool block of `bytes` really takes: its header and the rounding to 8 (ex/pool.ts). */
@inline function ObpPoolBytes(bytes: u32): u32 { return (bytes + 8 + 7) & ~7; }

/**
 * What creating an object charges (NT's ObpChargeQuotaForObject): nonpaged,
 * its block and whatever more the type says each object costs
 * (DefaultNonPagedPoolCharge beyond the body: a process's EPROCESS, a
 * thread's KTHREAD); paged, its name's copy and directory entry.
 */
function ObpNonPagedCharge(type: usize, withName: bool, bodySize: u32): u32 {
  const nameInfoSize: u32 = withName ? SIZEOF_OBJECT_HEADER_NAME_INFO : 0;
  const extra = ObpTypeInfo(type).DefaultNonPagedPoolCharge;
  return ObpPoolBytes(SIZEOF_OBJECT_HEADER_QUOTA_INFO + nameInfoSize + SIZEOF_OBJECT_HEADER + bodySize) + (extra > bodySize ? extra - bodySize : 0);
}
function ObpPagedCharge(objectAttributes: usize): u32 {
  if (!ObpHasName(objectAttributes)) return 0;
  const length = <u32>RtlUnicodeString(changetype<OBJECT_ATTRIBUTES>(objectAttributes).ObjectName).Length;
  return ObpPoolBytes(length + 2) + ObpPoolBytes(SIZEOF_OBJECT_DIRECTORY_ENTRY);
}

// ---- ObCreateObject ----

/** A UNICODE_STRING an object name may be: even length, a buffer when not empty. */
export function ObpValidateName(name: usize): u32 {
  const string = RtlUnicodeString(name);
  if ((string.Length & 1) != 0) return STATUS_OBJECT_NAME_INVALID;
  if (string.Length != 0 && string.Buffer == 0) return STATUS_OBJECT_NAME_INVALID;
  return STATUS_SUCCESS;
}

/** Checks OBJECT_ATTRIBUTES against NT's rules and the type's refused attributes. */
export function ObpValidateObjectAttributes(objectAttributes: usize, type: usize): u32 {
  const oa = changetype<OBJECT_ATTRIBUTES>(objectAttributes);
  if (oa.Length != SIZEOF_OBJECT_ATTRIBUTES) return STATUS_INVALID_PARAMETER;
  if ((oa.Attributes & ~OBJ_VALID_ATTRIBUTES) != 0) return STATUS_INVALID_PARAMETER;
  if (type != 0 && (oa.Attributes & ObpTypeInfo(type).InvalidAttributes) != 0) return STATUS_INVALID_PARAMETER;
  if (oa.ObjectName != 0) return ObpValidateName(oa.ObjectName);
  return STATUS_SUCCESS;
}

/** True when the attributes carry a non-empty name. */
export function ObpHasName(objectAttributes: usize): bool {
  if (objectAttributes == 0) return false;
  const name = changetype<OBJECT_ATTRIBUTES>(objectAttributes).ObjectName;
  return name != 0 && RtlUnicodeString(name).Length != 0;
}

/**
 * Creates an object of `objectType` with a body of `bodySize` zeroed bytes
 * and one reference, and stores its address at `object`. `objectAttributes`
 * (or 0) must stay valid until ObInsertObject, which names the object and
 * gives out the handle. OBJ_PERMANENT and OBJ_EXCLUSIVE become header flags.
 * The creating process is charged for it (ex/quota.ts) unless `chargeQuota`
 * is false: the stand-in objects Ps makes for NtCurrentProcess/NtCurrentThread,
 * which NT does not make at all, are charged to no one.
 */
export function ObCreateObject(objectType: usize, objectAttributes: usize, bodySize: u32, object: usize, chargeQuota: bool = true): u32 {
  // The creator's descriptor (OBJECT_ATTRIBUTES.SecurityDescriptor) is captured first, before the lock and
  // before anything is made (NT's ObpCaptureObjectCreateInformation): a bad one fails the creation cleanly.
  // From user mode it is always read through the user-copy routine, once (ex/security.ts); obsecure.ts.
  store<usize>(object, 0);
  let sd: usize = 0;
  if (objectAttributes != 0 && changetype<OBJECT_ATTRIBUTES>(objectAttributes).Length == SIZEOF_OBJECT_ATTRIBUTES) {
    const given = changetype<OBJECT_ATTRIBUTES>(objectAttributes).SecurityDescriptor;
    if (given != 0) {
      const captured = ExCaptureSecurityDescriptor(given, ExGetPreviousMode() == UserMode || given < MM_USER_PROBE_ADDRESS, object);
      if (captured != STATUS_SUCCESS) return captured;
      sd = load<usize>(object);
      store<usize>(object, 0);
    }
  }
  // No descriptor of the creator's: a name made from user mode gets the creator's token's defaults (obsecure.ts).
  if (sd == 0 && ObpHasName(objectAttributes)) sd = ObpDefaultObjectSecurity(objectType);
  const lock = ObpAcquireLock();
  const status = ObpCreateObject(objectType, objectAttributes, bodySize, object, chargeQuota);
  if (status == STATUS_SUCCESS) OBJECT_TO_OBJECT_HEADER(load<usize>(object)).SecurityDescriptor = sd;
  ObpReleaseLock(lock);
  if (status != STATUS_SUCCESS && sd != 0) ExFreeSecurityDescriptor(sd);
  return status;
}

function ObpCreateObject(objectType: usize, objectAttributes: usize, bodySize: u32, object: usize, chargeQuota: bool): u32 {
  store<usize>(object, 0);
  let attributes: u32 = 0;
  if (objectAttributes != 0) {
    const status = ObpValidateObjectAttributes(objectAttributes, objectType);
    if (!NT_SUCCESS(status)) return status;
    attributes = changetype<OBJECT_ATTRIBUTES>(objectAttributes).Attributes;
  }
  let flags = OB_FLAG_NEW_OBJECT;
  if ((attributes & OBJ_PERMANENT) != 0) flags |= OB_FLAG_PERMANENT_OBJECT;
  if ((attributes & OBJ_EXCLUSIVE) != 0) flags |= OB_FLAG_EXCLUSIVE_OBJECT;
  if ((attributes & OBJ_KERNEL_HANDLE) != 0) flags |= OB_FLAG_KERNEL_OBJECT;
  // Charged first, so a process at its limit is refused before the pool is touched.
  const withName = ObpHasName(objectAttributes);
  const quotaBlock = chargeQuota ? ExCurrentQuotaBlock() : 0;
  const paged = ObpPagedCharge(objectAttributes), nonPaged = ObpNonPagedCharge(objectType, withName, bodySize);
  const charge = ExChargePoolQuota(quotaBlock, paged, nonPaged);
  if (!NT_SUCCESS(charge)) return charge;
  const body = ObpAllocateObject(objectType, changetype<OBJECT_TYPE>(objectType).Key, withName, bodySize, flags, quotaBlock != 0);
  if (body == 0) { ExReturnPoolQuota(quotaBlock, paged, nonPaged); return STATUS_INSUFFICIENT_RESOURCES; }
  if (quotaBlock != 0) {
    const q = changetype<OBJECT_HEADER_QUOTA_INFO>(OBJECT_HEADER_TO_QUOTA_INFO(body));
    q.PagedPoolCharge = paged;
    q.NonPagedPoolCharge = nonPaged;
    q.SecurityDescriptorCharge = 0;
    q.QuotaBlockCharged = quotaBlock;
  }
  OBJECT_TO_OBJECT_HEADER(body).ObjectCreateInfo = objectAttributes;
  store<usize>(object, body);
  return STATUS_SUCCESS;
}

// ---- ObCreateObjectType ----

/** The type named `name` (case-insensitive, as NT compares type names), or 0. */
export function ObpFindObjectType(name: usize): usize {
  for (let i: u32 = 0; i < ObpObjectTypeCount; i++) {
    const type = load<usize>(ObpObjectTypes + (i << 2));
    if (RtlEqualUnicodeString(type, name, true)) return type;
  }
  return 0;
}

/** A pool tag from the first four characters of a name, blank-padded like PoolTag(). */
function ObpKeyFromName(name: usize): u32 {
  let key: u32 = 0;
  const count = RtlCharCount(name);
  for (let i: u32 = 0; i < 4; i++) key |= (i < count ? RtlCharAt(name, i) & 0xFF : 0x20) << (i * 8);
  return key;
}

/** A type name: not empty, even length, no backslash. */
function ObpValidateTypeName(name: usize): u32 {
  const string = RtlUnicodeString(name);
  if (string.Length == 0 || (string.Length & 1) != 0 || string.Buffer == 0) return STATUS_INVALID_PARAMETER;
  for (let i: u32 = 0; i < RtlCharCount(name); i++) {
    if (RtlCharAt(name, i) == OBJ_NAME_PATH_SEPARATOR) return STATUS_OBJECT_NAME_INVALID;
  }
  return STATUS_SUCCESS;
}

/**
 * Registers an object type named `typeName` (a UNICODE_STRING, copied) as
 * `initializer` describes it, and stores the new OBJECT_TYPE at
 * `objectType`. Objects of the type are allocated under the initializer's
 * PoolTag, or the first four characters of the name. The type object is
 * permanent and appears in \ObjectTypes (once that directory exists; types
 * created before it are inserted by ObInitSystem).
 */
export function ObCreateObjectType(typeName: usize, initializer: usize, objectType: usize): u32 {
  const lock = ObpAcquireLock();
  const status = ObpCreateObjectType(typeName, initializer, objectType);
  ObpReleaseLock(lock);
  return status;
}

function ObpCreateObjectType(typeName: usize, initializer: usize, objectType: usize): u32 {
  store<usize>(objectType, 0);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(initializer);
  if (info.Length != SIZEOF_OBJECT_TYPE_INITIALIZER) return STATUS_INVALID_PARAMETER;
  let status = ObpValidateTypeName(typeName);
  if (!NT_SUCCESS(status)) return status;
  if (ObpFindObjectType(typeName) != 0) return STATUS_OBJECT_NAME_COLLISION;
  if (ObpObjectTypeCount == OBP_MAX_OBJECT_TYPES) return STATUS_INSUFFICIENT_RESOURCES;

  const key = info.PoolTag != 0 ? info.PoolTag : ObpKeyFromName(typeName);
  const metaType = ObpTypeObjectType; // 0 while Type itself is being created
  const tag = metaType != 0 ? changetype<OBJECT_TYPE>(metaType).Key : key;
  const type = ObpAllocateObject(metaType, tag, true, SIZEOF_OBJECT_TYPE, OB_FLAG_PERMANENT_OBJECT);
  if (type == 0) return STATUS_INSUFFICIENT_RESOURCES;
  if (metaType == 0) {
    OBJECT_TO_OBJECT_HEADER(type).Type = type;
    ObpCountObject(type);
  }
  status = ObpSetObjectName(type, typeName);
  if (!NT_SUCCESS(status)) {
    changetype<OBJECT_TYPE>(OBJECT_TO_OBJECT_HEADER(type).Type).TotalNumberOfObjects--;
    ExFreePoolWithTag(type - SIZEOF_OBJECT_HEADER - SIZEOF_OBJECT_HEADER_NAME_INFO, tag);
    return status;
  }
  // The type's Name shares the name info's buffer: types are never deleted.
  memory.copy(type, OBJECT_HEADER_TO_NAME_INFO(type) + 4, 8);
  const t = changetype<OBJECT_TYPE>(type);
  t.Key = key;
  t.Index = ObpObjectTypeCount;
  memory.copy(type + OBJECT_TYPE_INFO_OFFSET, initializer, SIZEOF_OBJECT_TYPE_INITIALIZER);
  store<usize>(ObpObjectTypes + (ObpObjectTypeCount << 2), type);
  ObpObjectTypeCount++;
  store<usize>(objectType, type);
  // Registered from here on; without room for the directory entry it works unnamed.
  return ObpTypeDirectoryObject != 0 ? ObpLinkIntoDirectory(ObpTypeDirectoryObject, type) : STATUS_SUCCESS;
}

/**
 * Fills an OBJECT_TYPE_INITIALIZER with a generic mapping, the valid access
 * mask and the body size; everything else (attributes refused, pool tag,
 * procedures) starts as 0 / null for the caller to set.
 */
export function ObInitializeTypeInitializer(initializer: usize, genericRead: u32, genericWrite: u32, genericExecute: u32,
                                            genericAll: u32, validAccessMask: u32, bodySize: u32): void {
  memory.fill(initializer, 0, SIZEOF_OBJECT_TYPE_INITIALIZER);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(initializer);
  info.Length = SIZEOF_OBJECT_TYPE_INITIALIZER;
  info.GenericRead = genericRead;
  info.GenericWrite = genericWrite;
  info.GenericExecute = genericExecute;
  info.GenericAll = genericAll;
  info.ValidAccessMask = validAccessMask;
  info.PoolType = NonPagedPool;
  info.DefaultNonPagedPoolCharge = bodySize;
}

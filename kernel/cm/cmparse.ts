// Registry keys as objects: the Key type, \REGISTRY, and the parse of a
// registry path into a key object.
//
// \REGISTRY is a named Key object in the root directory. The object
// manager hands everything after it to CmpParseKey, which walks the tree
// (cmp.ts) one component at a time, case-insensitively:
//
//   \Registry\Machine\System\CurrentControlSet\Control
//
// A missing component is STATUS_OBJECT_NAME_NOT_FOUND; on NtCreateKey a
// missing last component is made (REG_CREATED_NEW_KEY), a present one
// opened (REG_OPENED_EXISTING_KEY). A link key (CurrentControlSet) is a
// reparse: its SymbolicLinkValue and the rest of the name become the new
// complete name and the lookup starts again at the root, unless it is the
// last component and the caller asked for the link itself (OBJ_OPENLINK).
// A relative name (RootDirectory = a key handle) starts at that key.
//
// The parse runs under the object manager's lock, which is also the
// tree's: it never waits. NtCreateKey's options reach it through the
// create context below, set and cleared under the same lock.

import { ExAllocatePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeBugCheckEx } from "../ke/bugcheck";
import { KeQuerySystemTime } from "../ke/wait";
import { RtlInitUnicodeString, RtlNextPathComponent, RtlUnicodeString } from "../rtl/unicode";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer } from "../ob/obcreate";
import { ObInsertObject } from "../ob/obname";
import { OB_SECURITY_OWN_METHOD, OB_SECURITY_PUBLIC, ObCheckAccess, ObGetSystemSecurityDescriptor, ObSetTypeSecurity } from "../ob/obsecure";
import { CmHiveSecurity, CmpKeySecurity, CmpSetMasterSecurity } from "./cmhive";
import { ExFreeSecurityDescriptor } from "../ex/security";
import { RtlLengthRelativeSecurityDescriptor } from "../rtl/security";
import { SeAssignSecurity } from "../se/assign";
import { SeQueryCurrentToken } from "../se/token";
import { ExGetPreviousMode, UserMode } from "../ke/probe";
import { ObDereferenceObject } from "../ob/obref";
import {
  InitializeObjectAttributes, OB_NAME_TAG, OBJECT_TYPE_INITIALIZER, READ_CONTROL, STANDARD_RIGHTS_REQUIRED,
} from "../ob/obp";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { cli, read_eflags, sti } from "../sdk/intrinsics";
import {
  CM_KEY_DELETED, CM_KEY_LINK, CM_KEY_NO_DELETE, CM_KEY_VOLATILE, CM_MAX_KEY_NAME_CHARS, CM_VALUE, CmKey,
  CmValueData, CmpAllocateKey, CmpFindSubKey, CmpMarkHiveDirty, CmpFindValue, CmpFreeKey, CmpLinkSubKey, CmpSetClass, CmpTouch, REG_LINK,
} from "./cmp";
import {
  NT_SUCCESS, STATUS_CHILD_MUST_BE_VOLATILE, STATUS_INSUFFICIENT_RESOURCES, STATUS_KEY_DELETED,
  STATUS_NAME_TOO_LONG, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_REPARSE, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, OBJ_OPENLINK, OBJ_PERMANENT } from "../sdk/ntdef";

// ---- access rights (winnt.h) ----
export const KEY_QUERY_VALUE: u32 = 0x0001;
export const KEY_SET_VALUE: u32 = 0x0002;
export const KEY_CREATE_SUB_KEY: u32 = 0x0004;
export const KEY_ENUMERATE_SUB_KEYS: u32 = 0x0008;
export const KEY_NOTIFY: u32 = 0x0010;
export const KEY_CREATE_LINK: u32 = 0x0020;
export const KEY_READ: u32 = READ_CONTROL | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY;
export const KEY_WRITE: u32 = READ_CONTROL | KEY_SET_VALUE | KEY_CREATE_SUB_KEY;
export const KEY_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | 0x3F;

// ---- NtCreateKey options and dispositions ----
export const REG_OPTION_NON_VOLATILE: u32 = 0x0;
export const REG_OPTION_VOLATILE: u32 = 0x1;
export const REG_OPTION_CREATE_LINK: u32 = 0x2;
export const REG_OPTION_BACKUP_RESTORE: u32 = 0x4;
export const REG_OPTION_OPEN_LINK: u32 = 0x8;
export const REG_LEGAL_OPTION: u32 = 0xF;
export const REG_CREATED_NEW_KEY: u32 = 1;
export const REG_OPENED_EXISTING_KEY: u32 = 2;

/** A key object's body: the CM_KEY it stands for. */
export const SIZEOF_CM_KEY_BODY: u32 = 4;
@inline export function CmKeyOfObject(object: usize): usize { return load<usize>(object); }

export let CmKeyObjectType: usize = 0;

/**
 * A key's descriptor (CmpKeySecurity: its own, else its hive's). Keys keep
 * their security by Cm's own method, as NT's CmpSecurityMethod: a duplicate
 * never gains rights (ob/obsecure.ts).
 */
function CmpQueryKeySecurity(object: usize): usize {
  const key = CmKeyOfObject(object);
  return key == 0 ? 0 : CmpKeySecurity(key);
}

/**
 * NtSetSecurityObject on a key (under the tree's lock): `sd` becomes the
 * key's own descriptor, or, when it is its hive's byte for byte, the key
 * goes back to sharing the hive's. The hive is marked dirty (a key of a
 * hive file keeps its descriptor in an sk cell, regf.ts); the change is
 * not passed down to existing subkeys (NT 4's RegSetKeySecurity does not
 * either: inheritance acts when a key is created). Returns the block for
 * the caller to free: the key's previous own descriptor, or `sd` itself
 * when the key now shares its hive's.
 */
function CmpAssignKeySecurity(object: usize, sd: usize): usize {
  const key = CmKeyOfObject(object);
  if (key == 0) return sd;
  const k = CmKey(key);
  const previous = k.Security;
  const hive = CmHiveSecurity(k.Hive);
  const length = RtlLengthRelativeSecurityDescriptor(sd);
  if (hive != 0 && RtlLengthRelativeSecurityDescriptor(hive) == length && memory.compare(hive, sd, length) == 0) {
    k.Security = 0;
    if (previous != 0) ExFreeSecurityDescriptor(previous);
    if ((k.Flags & CM_KEY_VOLATILE) == 0) CmpMarkHiveDirty(k.Hive);
    return sd;
  }
  k.Security = sd;
  if ((k.Flags & CM_KEY_VOLATILE) == 0) CmpMarkHiveDirty(k.Hive);
  return previous;
}

/** A kernel handle to \REGISTRY, open for the life of the system (NT's CmpRegistryRootHandle). */
export let CmpRegistryRootHandle: u32 = 0;

// ---- the create context (under the lock) ----
export let CmpCreating: bool = false;
export let CmpCreateOptions: u32 = 0;
export let CmpCreateClass: usize = 0;
export let CmpCreateClassLength: u32 = 0;
export let CmpCreateTitleIndex: u32 = 0;
/** NtCreateKey's captured descriptor (OBJECT_ATTRIBUTES.SecurityDescriptor), or 0. */
export let CmpCreateSecurity: usize = 0;
/** What the last create did: REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY. */
export let CmpCreateDisposition: u32 = 0;

export function CmpSetCreateContext(creating: bool, options: u32, classText: usize, classLength: u32, titleIndex: u32, security: usize): void {
  CmpCreating = creating;
  CmpCreateSecurity = security;
  CmpCreateOptions = options;
  CmpCreateClass = classText;
  CmpCreateClassLength = classLength;
  CmpCreateTitleIndex = titleIndex;
  CmpCreateDisposition = 0;
}

/** Makes a key object for `key` at `object` (a new reference on the key). */
export function CmpCreateKeyObject(key: usize, object: usize): u32 {
  const status = ObCreateObject(CmKeyObjectType, 0, SIZEOF_CM_KEY_BODY, object);
  if (!NT_SUCCESS(status)) return status;
  store<usize>(load<usize>(object), key);
  CmKey(key).References++;
  return STATUS_SUCCESS;
}

/** Makes the new complete name `target` + the rest for a reparse at a link key. */
function CmpReparse(link: usize, remainingName: usize, completeName: usize): u32 {
  const name = "SymbolicLinkValue";
  const value = CmpFindValue(link, changetype<usize>(name), <u32>name.length << 1);
  if (value == 0 || changetype<CM_VALUE>(value).Type != REG_LINK) return STATUS_OBJECT_NAME_NOT_FOUND;
  let targetLength = changetype<CM_VALUE>(value).DataLength & ~1;
  const target = CmValueData(value);
  while (targetLength >= 2 && load<u16>(target + targetLength - 2) == 0) targetLength -= 2; // a stored NUL is not part of it
  if (targetLength == 0) return STATUS_OBJECT_NAME_NOT_FOUND;
  const rest = RtlUnicodeString(remainingName);
  const length = targetLength + <u32>rest.Length;
  if (length > 0xFFFC) return STATUS_NAME_TOO_LONG;
  const buffer = ExAllocatePoolWithTag(NonPagedPool, length + 2, OB_NAME_TAG);
  if (buffer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  memory.copy(buffer, target, targetLength);
  memory.copy(buffer + targetLength, rest.Buffer, <u32>rest.Length);
  store<u16>(buffer + length, 0);
  const complete = RtlUnicodeString(completeName);
  complete.Length = <u16>length;
  complete.MaximumLength = <u16>(length + 2);
  complete.Buffer = buffer;
  return STATUS_REPARSE;
}

/** Makes the missing last component `component` under `parent` for NtCreateKey. */
function CmpCreateChild(parent: usize, component: usize): usize {
  const flags = ((CmpCreateOptions & REG_OPTION_VOLATILE) != 0 ? CM_KEY_VOLATILE : 0) |
                ((CmpCreateOptions & REG_OPTION_CREATE_LINK) != 0 ? CM_KEY_LINK : 0);
  const c = RtlUnicodeString(component);
  // Its descriptor: NT's SeAssignSecurity from the parent's, the creator's explicit one and the creator's token
  // (se/assign.ts: inheritable ACEs flow down; the owner is the creator's).
  const sd = SeAssignSecurity(CmpKeySecurity(parent), CmpCreateSecurity, true, SeQueryCurrentToken());
  if (sd == 0) return 0;
  const child = CmpAllocateKey(c.Buffer, <u32>c.Length, flags, CmKey(parent).Hive, KeQuerySystemTime());
  if (child == 0) { ExFreeSecurityDescriptor(sd); return 0; }
  CmKey(child).Security = sd;
  CmKey(child).TitleIndex = CmpCreateTitleIndex;
  if (!CmpSetClass(child, CmpCreateClass, CmpCreateClassLength) || !CmpLinkSubKey(parent, child)) {
    CmpFreeKey(child);
    return 0;
  }
  CmpTouch(parent);
  if ((flags & CM_KEY_VOLATILE) == 0) CmpTouch(child);
  return child;
}

/**
 * The Key type's parse procedure. The registry's services call it under the
 * tree's lock; any other open of a \REGISTRY name (NtOpenDirectoryObject,
 * NtQueryObject's lookups ...) reaches it without, so it takes the lock
 * itself: interrupts off, as the object manager's lock is (it nests: the
 * flag is saved and restored).
 * Its component string is the calling thread's own (scratch arena).
 */
function CmpParseKey(parseObject: usize, objectType: usize, attributes: u32, completeName: usize,
                     remainingName: usize, object: usize): u32 {
  const state = read_eflags() & 0x200;
  cli();
  const component = KeAllocateScratch(8);
  const status = CmpParseKeyLocked(parseObject, objectType, attributes, completeName, remainingName, object, component);
  KeFreeScratch(component);
  if (state != 0) sti();
  return status;
}

function CmpParseKeyLocked(parseObject: usize, objectType: usize, attributes: u32, completeName: usize,
                           remainingName: usize, object: usize, component: usize): u32 {
  store<usize>(object, 0);
  if (objectType != 0 && objectType != CmKeyObjectType) return STATUS_OBJECT_TYPE_MISMATCH;
  let key = CmKeyOfObject(parseObject);
  if ((CmKey(key).Flags & CM_KEY_DELETED) != 0) return STATUS_KEY_DELETED;
  // An empty component anywhere but at the end ("A\\\\B") is a bad name, not a missing key.
  const rest = RtlUnicodeString(remainingName);
  for (let i: u32 = 2; i < <u32>rest.Length; i += 2) {
    if (load<u16>(rest.Buffer + i) == 0x5C && load<u16>(rest.Buffer + i - 2) == 0x5C) return STATUS_OBJECT_NAME_INVALID;
  }
  while (RtlUnicodeString(remainingName).Length != 0) {
    const bytes = RtlNextPathComponent(remainingName, component);
    if (bytes == 0) {
      if (RtlUnicodeString(remainingName).Length == 0) break; // a trailing backslash names the same key
      return STATUS_OBJECT_NAME_INVALID;
    }
    if (bytes > CM_MAX_KEY_NAME_CHARS * 2) return STATUS_OBJECT_NAME_INVALID;
    const last = RtlUnicodeString(remainingName).Length == 0;
    const c = RtlUnicodeString(component);
    let child = CmpFindSubKey(key, c.Buffer, <u32>c.Length);
    if (child == 0) {
      if (!CmpCreating || !last) return STATUS_OBJECT_NAME_NOT_FOUND;
      if ((CmKey(key).Flags & CM_KEY_VOLATILE) != 0 && (CmpCreateOptions & REG_OPTION_VOLATILE) == 0) {
        return STATUS_CHILD_MUST_BE_VOLATILE;
      }
      // A new subkey needs KEY_CREATE_SUB_KEY on its parent (KEY_CREATE_LINK too for a link), as NT's CmpDoCreate.
      if (ExGetPreviousMode() == UserMode) {
        const granted = KeAllocateScratch(4);
        const checked = ObCheckAccess(CmpKeySecurity(key), CmKeyObjectType,
          KEY_CREATE_SUB_KEY | ((CmpCreateOptions & REG_OPTION_CREATE_LINK) != 0 ? KEY_CREATE_LINK : 0), granted);
        KeFreeScratch(granted);
        if (checked != STATUS_SUCCESS) return checked;
      }
      // The key object first, as NT's CmpDoCreate does: its quota charge (ex/quota.ts) can refuse
      // the create before the key exists, so a refusal leaves nothing behind.
      const made = ObCreateObject(CmKeyObjectType, 0, SIZEOF_CM_KEY_BODY, object);
      if (!NT_SUCCESS(made)) return made;
      child = CmpCreateChild(key, component);
      if (child == 0) {
        ObDereferenceObject(load<usize>(object)); // a body naming no key: its delete procedure has nothing to do
        store<usize>(object, 0);
        return STATUS_INSUFFICIENT_RESOURCES;
      }
      store<usize>(load<usize>(object), child);
      CmKey(child).References++;
      CmpCreateDisposition = REG_CREATED_NEW_KEY;
      return STATUS_SUCCESS;
    } else if ((CmKey(child).Flags & CM_KEY_LINK) != 0 &&
               (!last || ((attributes & OBJ_OPENLINK) == 0 && (CmpCreateOptions & REG_OPTION_OPEN_LINK) == 0))) {
      return CmpReparse(child, remainingName, completeName);
    }
    key = child;
  }
  CmpCreateDisposition = REG_OPENED_EXISTING_KEY;
  return CmpCreateKeyObject(key, object);
}

/** The Key type's delete procedure: the key object's reference on its key goes. */
function CmpDeleteKeyObject(object: usize): void {
  const key = CmKeyOfObject(object);
  if (key == 0) return;
  const k = CmKey(key);
  k.References--;
  if ((k.Flags & CM_KEY_DELETED) != 0 && k.References == 0) CmpFreeKey(key);
}

// ---- initialization ----

// CmpCreateRegistryRoot's: boot only (CmInitSystem1, before any second thread).
const Name = memory.data(8, 4);
const Attributes = memory.data(24, 4);
const Init = memory.data(64, 4);
const Out = memory.data(4, 4);
const HandleOut = memory.data(4, 4);

/** The Key type and the \REGISTRY object; returns the root key (REGISTRY, volatile). */
export function CmpCreateRegistryRoot(): usize {
  ObInitializeTypeInitializer(Init, KEY_READ, KEY_WRITE, KEY_READ, KEY_ALL_ACCESS, KEY_ALL_ACCESS, SIZEOF_CM_KEY_BODY);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(Init);
  info.PoolTag = 0x2079654B; // 'Key '
  info.ParseProcedure = CmpParseKey;
  info.DeleteProcedure = CmpDeleteKeyObject;
  RtlInitUnicodeString(Name, "Key");
  let status = ObCreateObjectType(Name, Init, Out);
  if (!NT_SUCCESS(status)) KeBugCheckEx(0x67, 2, status, 0, 0);
  CmKeyObjectType = load<usize>(Out);
  ObSetTypeSecurity(CmKeyObjectType, OB_SECURITY_OWN_METHOD, CmpQueryKeySecurity, CmpAssignKeySecurity);
  const master = ObGetSystemSecurityDescriptor(OB_SECURITY_PUBLIC); // generic rights: a key maps GENERIC_READ | GENERIC_EXECUTE to KEY_READ
  if (master == 0) KeBugCheckEx(0x67, 3, STATUS_INSUFFICIENT_RESOURCES, 0, 0);
  CmpSetMasterSecurity(master);

  const rootName = "REGISTRY";
  const root = CmpAllocateKey(changetype<usize>(rootName), <u32>rootName.length << 1, CM_KEY_VOLATILE | CM_KEY_NO_DELETE, 0,
                              KeQuerySystemTime());
  if (root == 0) KeBugCheckEx(0x67, 1, STATUS_INSUFFICIENT_RESOURCES, 0, 0);
  RtlInitUnicodeString(Name, "\\REGISTRY");
  InitializeObjectAttributes(Attributes, Name, OBJ_PERMANENT | OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, 0, 0);
  status = ObCreateObject(CmKeyObjectType, Attributes, SIZEOF_CM_KEY_BODY, Out);
  if (NT_SUCCESS(status)) {
    store<usize>(load<usize>(Out), root);
    CmKey(root).References++;
    status = ObInsertObject(load<usize>(Out), KEY_ALL_ACCESS, HandleOut);
  }
  if (!NT_SUCCESS(status)) KeBugCheckEx(0x67, 2, status, 0, 0);
  CmpRegistryRootHandle = load<u32>(HandleOut); // kept open, as NT keeps it (the permanent name keeps the key too)
  return root;
}

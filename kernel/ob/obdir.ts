// Object directories and their services: NtCreateDirectoryObject,
// NtOpenDirectoryObject, NtQueryDirectoryObject.
//
// A directory (OBJECT_DIRECTORY) is 37 hash chains of 12-byte entries
// ('ObDi'), each naming one object, plus a count. The hash is of the
// uppercased name, so an exact lookup (no OBJ_CASE_INSENSITIVE) and a
// case-insensitive one walk the same chain and differ only in how they
// compare. New entries go to the head of their chain.
//
// Naming an object costs two references: the directory entry references
// the object, and the object (through its name info) references its
// directory. ObpDeleteNameCheck (obref.ts) drops both when a temporary
// object's last handle closes, so a directory lives as long as it has
// entries and the namespace holds no dangling names.
//
// Enumeration walks the buckets in order and each chain from its head; the
// Context of NtQueryDirectoryObject is the index of the next entry in that
// order, valid while the directory does not change (as in NT).

import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import {
  RtlCopyUnicodeText, RtlEqualUnicodeString, RtlHashUnicodeStringUpcase, RtlUnicodeString, RtlWriteUnicodeString,
} from "../rtl/unicode";
import {
  DIRECTORY_QUERY, NUMBER_HASH_BUCKETS, OB_DIR_TAG, OB_NAME_TAG, OBJECT_DIRECTORY_ENTRY, OBJECT_HEADER_NAME_INFO,
  OBJECT_HEADER_TO_NAME_INFO, OBJECT_NAME_INFO_NAME, OBJECT_TYPE_OF, ObpDirectoryBucket, ObpDirectoryCount,
  ObpAcquireLock, ObpReleaseLock, ObpTypeName, SIZEOF_OBJECT_DIRECTORY, SIZEOF_OBJECT_DIRECTORY_ENTRY,
  SIZEOF_OBJECT_DIRECTORY_INFORMATION,
} from "./obp";
import { ObCreateObject } from "./obcreate";
import { ObDereferenceObject, ObReferenceObject } from "./obref";
import { ObReferenceObjectByHandle } from "./obhandle";
import { ObInsertObject, ObOpenObjectByName } from "./obname";
import { ObpDirectoryObjectType } from "./obp";
import {
  NT_SUCCESS, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_MORE_ENTRIES,
  STATUS_NO_MORE_ENTRIES, STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS,
} from "../sdk/ntstatus";

// Out-parameters (AssemblyScript cannot take a local's address) come from
// the running thread's scratch arena (KeAllocateScratch), never from a
// module-level slot: such a slot is shared by every thread running this
// code, and would be safe only as long as nothing under the lock can switch
// threads (see CONTRACTS.md, the reentrancy rule).

// ---- entries ----

/** The object named `name` (a UNICODE_STRING) in `directory`, or 0. */
export function ObpLookupDirectoryEntry(directory: usize, name: usize, caseInsensitive: bool): usize {
  const hash = RtlHashUnicodeStringUpcase(name);
  let entry = load<usize>(ObpDirectoryBucket(directory, hash % NUMBER_HASH_BUCKETS));
  while (entry != 0) {
    const e = changetype<OBJECT_DIRECTORY_ENTRY>(entry);
    if (e.HashValue == hash && RtlEqualUnicodeString(ObpObjectName(e.Object), name, caseInsensitive)) return e.Object;
    entry = e.ChainLink;
  }
  return 0;
}

/** The Name UNICODE_STRING of a named object (its name info must exist). */
export function ObpObjectName(object: usize): usize {
  return OBJECT_NAME_INFO_NAME(OBJECT_HEADER_TO_NAME_INFO(object));
}

/** Gives a named object (one created with a name info) a pool copy of `name`. */
export function ObpSetObjectName(object: usize, name: usize): u32 {
  const nameInfo = OBJECT_HEADER_TO_NAME_INFO(object);
  if (nameInfo == 0) return STATUS_OBJECT_NAME_INVALID;
  const length = <u32>RtlUnicodeString(name).Length;
  const buffer = ExAllocatePoolWithTag(NonPagedPool, length + 2, OB_NAME_TAG);
  if (buffer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  RtlCopyUnicodeText(buffer, RtlUnicodeString(name).Buffer, length);
  const info = changetype<OBJECT_HEADER_NAME_INFO>(nameInfo);
  if (info.NameBuffer != 0) ExFreePoolWithTag(info.NameBuffer, OB_NAME_TAG);
  info.NameBuffer = buffer;
  info.NameLength = <u16>length;
  info.NameMaximumLength = <u16>(length + 2);
  return STATUS_SUCCESS;
}

/** Enters an object that has its name into `directory`, with the two references naming costs. */
export function ObpLinkIntoDirectory(directory: usize, object: usize): u32 {
  const entry = ExAllocatePoolWithTag(NonPagedPool, SIZEOF_OBJECT_DIRECTORY_ENTRY, OB_DIR_TAG);
  if (entry == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const hash = RtlHashUnicodeStringUpcase(ObpObjectName(object));
  const bucket = ObpDirectoryBucket(directory, hash % NUMBER_HASH_BUCKETS);
  const e = changetype<OBJECT_DIRECTORY_ENTRY>(entry);
  e.ChainLink = load<usize>(bucket);
  e.Object = object;
  e.HashValue = hash;
  store<usize>(bucket, entry);
  store<u32>(ObpDirectoryCount(directory), load<u32>(ObpDirectoryCount(directory)) + 1);
  changetype<OBJECT_HEADER_NAME_INFO>(OBJECT_HEADER_TO_NAME_INFO(object)).Directory = directory;
  ObReferenceObject(directory);
  ObReferenceObject(object);
  return STATUS_SUCCESS;
}

/** Names `object` `name` and enters it into `directory`. */
export function ObpInsertNamedObject(directory: usize, object: usize, name: usize): u32 {
  const status = ObpSetObjectName(object, name);
  if (!NT_SUCCESS(status)) return status;
  return ObpLinkIntoDirectory(directory, object);
}

/**
 * Takes a named object's entry out of its directory and returns that
 * directory. The two naming references are the caller's to drop.
 */
export function ObpUnlinkFromDirectory(object: usize): usize {
  const info = changetype<OBJECT_HEADER_NAME_INFO>(OBJECT_HEADER_TO_NAME_INFO(object));
  const directory = info.Directory;
  const hash = RtlHashUnicodeStringUpcase(ObpObjectName(object));
  // `link` is the address of the pointer to the entry under scrutiny (ChainLink is at +0).
  let link = ObpDirectoryBucket(directory, hash % NUMBER_HASH_BUCKETS);
  while (load<usize>(link) != 0) {
    const entry = load<usize>(link);
    if (changetype<OBJECT_DIRECTORY_ENTRY>(entry).Object == object) {
      store<usize>(link, changetype<OBJECT_DIRECTORY_ENTRY>(entry).ChainLink);
      ExFreePoolWithTag(entry, OB_DIR_TAG);
      store<u32>(ObpDirectoryCount(directory), load<u32>(ObpDirectoryCount(directory)) - 1);
      break;
    }
    link = entry;
  }
  info.Directory = 0;
  return directory;
}

/** The entry after `entry` in enumeration order (the first for 0), or 0 at the end. */
export function ObpNextDirectoryEntry(directory: usize, entry: usize): usize {
  let bucket: u32 = 0;
  if (entry != 0) {
    const e = changetype<OBJECT_DIRECTORY_ENTRY>(entry);
    if (e.ChainLink != 0) return e.ChainLink;
    bucket = e.HashValue % NUMBER_HASH_BUCKETS + 1;
  }
  for (; bucket < NUMBER_HASH_BUCKETS; bucket++) {
    const first = load<usize>(ObpDirectoryBucket(directory, bucket));
    if (first != 0) return first;
  }
  return 0;
}

/** Objects named in `directory`. */
export function ObpDirectoryEntryCount(directory: usize): u32 {
  return load<u32>(ObpDirectoryCount(directory));
}

// ---- services ----

/**
 * Creates a directory object named by `objectAttributes` (or unnamed) and
 * writes a handle with `desiredAccess` to `directoryHandle`. With OBJ_OPENIF
 * an existing directory is opened instead (STATUS_OBJECT_NAME_EXISTS).
 */
export function ObCreateDirectoryObject(directoryHandle: usize, desiredAccess: u32, objectAttributes: usize): u32 {
  const out = KeAllocateScratch(4);
  const lock = ObpAcquireLock();
  let status = ObCreateObject(ObpDirectoryObjectType, objectAttributes, SIZEOF_OBJECT_DIRECTORY, out);
  if (NT_SUCCESS(status)) status = ObInsertObject(load<usize>(out), desiredAccess, directoryHandle);
  ObpReleaseLock(lock);
  KeFreeScratch(out);
  return status;
}

/** Opens an existing directory object by name (links on the way are followed). */
export function ObOpenDirectoryObject(directoryHandle: usize, desiredAccess: u32, objectAttributes: usize): u32 {
  return ObOpenObjectByName(objectAttributes, ObpDirectoryObjectType, desiredAccess, directoryHandle);
}

/** Bytes of text an OBJECT_DIRECTORY_INFORMATION entry for `object` carries: name and type name, each with a NUL. */
function ObpEntryTextBytes(object: usize): u32 {
  return <u32>RtlUnicodeString(ObpObjectName(object)).Length + 2
       + <u32>RtlUnicodeString(ObpTypeName(OBJECT_TYPE_OF(object))).Length + 2;
}

/**
 * Writes `count` entries from `entry` on: an array of OBJECT_DIRECTORY_INFORMATION
 * ended by a zeroed one, then the strings they point to.
 */
function ObpWriteDirectoryInformation(directory: usize, entry: usize, count: u32, buffer: usize): void {
  let text = buffer + (count + 1) * SIZEOF_OBJECT_DIRECTORY_INFORMATION;
  for (let i: u32 = 0; i < count; i++) {
    const object = changetype<OBJECT_DIRECTORY_ENTRY>(entry).Object;
    const info = buffer + i * SIZEOF_OBJECT_DIRECTORY_INFORMATION;
    text = RtlWriteUnicodeString(info, ObpObjectName(object), text);
    text = RtlWriteUnicodeString(info + 8, ObpTypeName(OBJECT_TYPE_OF(object)), text);
    entry = ObpNextDirectoryEntry(directory, entry);
  }
  memory.fill(buffer + count * SIZEOF_OBJECT_DIRECTORY_INFORMATION, 0, SIZEOF_OBJECT_DIRECTORY_INFORMATION);
}

/**
 * Lists the entries of a directory (DIRECTORY_QUERY access) into `buffer`:
 * OBJECT_DIRECTORY_INFORMATION records (Name, TypeName), a zeroed record,
 * then the strings. *Context is the index of the first entry to return
 * (0 with RestartScan) and receives the index after the last one returned.
 * ReturnSingleEntry stops after one. Returns STATUS_SUCCESS, or
 * STATUS_MORE_ENTRIES when the buffer filled up first, STATUS_NO_MORE_ENTRIES
 * when nothing is left, STATUS_BUFFER_TOO_SMALL when not even the first entry
 * fits; *ReturnLength (optional) is the bytes used, or needed for the first.
 */
export function ObQueryDirectoryObject(directoryHandle: u32, buffer: usize, length: u32, returnSingleEntry: bool,
                                       restartScan: bool, context: usize, returnLength: usize): u32 {
  const lock = ObpAcquireLock();
  const status = ObpQueryDirectoryObject(directoryHandle, buffer, length, returnSingleEntry, restartScan, context, returnLength);
  ObpReleaseLock(lock);
  return status;
}

function ObpQueryDirectoryObject(directoryHandle: u32, buffer: usize, length: u32, returnSingleEntry: bool,
                                 restartScan: bool, context: usize, returnLength: usize): u32 {
  const out = KeAllocateScratch(4);
  let status = ObReferenceObjectByHandle(directoryHandle, DIRECTORY_QUERY, ObpDirectoryObjectType, out, 0);
  const directory = load<usize>(out);
  KeFreeScratch(out);
  if (!NT_SUCCESS(status)) return status;
  const skip: u32 = restartScan ? 0 : load<u32>(context);
  let entry = ObpNextDirectoryEntry(directory, 0);
  for (let i: u32 = 0; i < skip && entry != 0; i++) entry = ObpNextDirectoryEntry(directory, entry);

  const first = entry;
  let count: u32 = 0;
  let needed: u32 = SIZEOF_OBJECT_DIRECTORY_INFORMATION; // the zeroed record that ends the array
  status = STATUS_NO_MORE_ENTRIES;
  while (entry != 0) {
    const size = SIZEOF_OBJECT_DIRECTORY_INFORMATION + ObpEntryTextBytes(changetype<OBJECT_DIRECTORY_ENTRY>(entry).Object);
    if (needed + size > length) {
      if (count == 0) {
        needed += size;
        status = STATUS_BUFFER_TOO_SMALL;
      } else {
        status = STATUS_MORE_ENTRIES;
      }
      break;
    }
    needed += size;
    count++;
    status = STATUS_SUCCESS;
    if (returnSingleEntry) break;
    entry = ObpNextDirectoryEntry(directory, entry);
  }
  if (count != 0) {
    ObpWriteDirectoryInformation(directory, first, count, buffer);
    store<u32>(context, skip + count);
  }
  if (returnLength != 0) store<u32>(returnLength, needed);
  ObDereferenceObject(directory);
  return status;
}

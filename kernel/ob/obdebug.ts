// What the kernel debugger (kernel/kd) reads of the object manager.
//
// The debugger answers from its interrupt routine, where nothing may wait
// or allocate and the object manager's lock (interrupts off) is already
// held in effect. These routines only read: the namespace from the root,
// a directory's entries, an object's type, name and parent, a link's
// target, a handle table's entries. None takes a reference.

import {
  HANDLE_TABLE, HANDLE_TABLE_ENTRY, OBJECT_DIRECTORY_ENTRY, OBJECT_TYPE, OBJECT_HEADER_NAME_INFO,
  OBJECT_HEADER_TO_NAME_INFO, OBJECT_NAME_INFO_NAME, OBJECT_TYPE_OF, ObpLinkTarget, SIZEOF_HANDLE_TABLE_ENTRY,
} from "./obp";
import { ObpDirectoryObjectType, ObpRootDirectoryObject, ObpSymbolicLinkObjectType } from "./obp";
import { ObpLookupDirectoryEntry, ObpNextDirectoryEntry } from "./obdir";

/** Bits of a handle table entry's Object that are handle attributes, not the pointer. */
const HANDLE_ATTRIBUTE_BITS: u32 = 7;

/** The root directory "\" (0 before the object manager is up). */
export function ObDebugRootDirectory(): usize { return ObpRootDirectoryObject; }

/** True when `object` is a directory. */
export function ObDebugIsDirectory(object: usize): bool {
  return object != 0 && ObpDirectoryObjectType != 0 && OBJECT_TYPE_OF(object) == ObpDirectoryObjectType;
}

/** True when `object` is a symbolic link. */
export function ObDebugIsSymbolicLink(object: usize): bool {
  return object != 0 && ObpSymbolicLinkObjectType != 0 && OBJECT_TYPE_OF(object) == ObpSymbolicLinkObjectType;
}

/** The object named by the UNICODE_STRING `name` (one component, case-insensitive) in `directory`, or 0. */
export function ObDebugLookup(directory: usize, name: usize): usize {
  return ObDebugIsDirectory(directory) ? ObpLookupDirectoryEntry(directory, name, true) : 0;
}

/** The directory entry after `entry` (the first for 0), or 0 at the end; its object is ObDebugEntryObject. */
export function ObDebugNextEntry(directory: usize, entry: usize): usize {
  return ObpNextDirectoryEntry(directory, entry);
}

/** The object of a directory entry. */
export function ObDebugEntryObject(entry: usize): usize { return changetype<OBJECT_DIRECTORY_ENTRY>(entry).Object; }

/** The UNICODE_STRING naming `object`'s type. */
export function ObDebugTypeName(object: usize): usize { return OBJECT_TYPE_OF(object); }

/** The type object of `object` (an OBJECT_TYPE body). */
export function ObDebugType(object: usize): OBJECT_TYPE { return changetype<OBJECT_TYPE>(OBJECT_TYPE_OF(object)); }

/** The UNICODE_STRING of `object`'s own name (its last component), or 0 when it has none. */
export function ObDebugObjectName(object: usize): usize {
  const info = OBJECT_HEADER_TO_NAME_INFO(object);
  return info == 0 ? 0 : OBJECT_NAME_INFO_NAME(info);
}

/** The directory holding `object`'s name, or 0 (unnamed, the root, or removed from the namespace). */
export function ObDebugParentDirectory(object: usize): usize {
  const info = OBJECT_HEADER_TO_NAME_INFO(object);
  return info == 0 ? 0 : changetype<OBJECT_HEADER_NAME_INFO>(info).Directory;
}

/** The UNICODE_STRING a symbolic link points to. */
export function ObDebugLinkTarget(link: usize): usize { return ObpLinkTarget(link); }

/** Entries a handle table has room for (entry 0 is never used). */
export function ObDebugHandleCapacity(table: usize): u32 { return table == 0 ? 0 : changetype<HANDLE_TABLE>(table).Capacity; }

/** The object of handle table entry `index`, 0 when it is free. */
export function ObDebugHandleObject(table: usize, index: u32): usize {
  const entry = changetype<HANDLE_TABLE_ENTRY>(changetype<HANDLE_TABLE>(table).Table + index * SIZEOF_HANDLE_TABLE_ENTRY);
  return entry.Object & ~HANDLE_ATTRIBUTE_BITS;
}

/** The access granted by handle table entry `index`. */
export function ObDebugHandleAccess(table: usize, index: u32): u32 {
  return changetype<HANDLE_TABLE_ENTRY>(changetype<HANDLE_TABLE>(table).Table + index * SIZEOF_HANDLE_TABLE_ENTRY).GrantedAccess;
}

// Helpers of the object manager's boot self-test (selftest.ts, selftest2.ts):
// the counted checks, names and OBJECT_ATTRIBUTES built from constant
// strings in static scratch memory, and thin wrappers over the services.
//
// Every check counts once when it holds; the first that does not logs
// "ob: self-test FAILED: <what>" (with the status and the one expected, for
// status checks) and the test stops there.

import { KeLogBegin, KeLogEnd, KeLogHex, KeLogString, KeLogFormat1, KeLogFormat3 } from "../ke/log";
import { RtlEqualUnicodeStringToString, RtlInitEmptyUnicodeString, RtlInitUnicodeString, RtlUnicodeString } from "../rtl/unicode";
import {
  DIRECTORY_ALL_ACCESS, InitializeObjectAttributes, OBJECT_TO_OBJECT_HEADER, SIZEOF_OBJECT_ATTRIBUTES,
  SIZEOF_OBJECT_BASIC_INFORMATION, SIZEOF_OBJECT_DIRECTORY_INFORMATION, SYMBOLIC_LINK_ALL_ACCESS, ObjectBasicInformation,
  ObjectNameInformation,
} from "./obp";
import { ObCreateDirectoryObject, ObOpenDirectoryObject, ObQueryDirectoryObject } from "./obdir";
import { ObCreateSymbolicLinkObject, ObOpenSymbolicLinkObject } from "./oblink";
import { ObReferenceObjectByHandle } from "./obhandle";
import { ObDereferenceObject } from "./obref";
import { ObQueryObject } from "./obquery";
import { NT_SUCCESS, STATUS_NO_MORE_ENTRIES, STATUS_SUCCESS } from "../sdk/ntstatus";

// ---- scratch memory ----

export const NameString: usize = memory.data(8, 4);       // UNICODE_STRING: the name being used
export const TargetString: usize = memory.data(8, 4);     // UNICODE_STRING: a link target
export const Attributes: usize = memory.data(<i32>SIZEOF_OBJECT_ATTRIBUTES, 4);
export const HandleOut: usize = memory.data(4, 4);        // where services write a handle
export const ObjectOut: usize = memory.data(4, 4);        // where Ob routines write an object
export const Context: usize = memory.data(4, 4);          // NtQueryDirectoryObject's Context
export const LengthOut: usize = memory.data(4, 4);        // ReturnLength of the queries
export const BUFFER_SIZE: u32 = 1024;
export const Buffer: usize = memory.data(<i32>BUFFER_SIZE, 8); // query output
const NameText: usize = memory.data(128, 4);              // built names (numbered ones)
const TargetText: usize = memory.data(128, 4);

// ---- checks ----

let Checks: u32 = 0;

export function ResetChecks(): void { Checks = 0; }
export function CheckCount(): u32 { return Checks; }

/** Logs the first failure. */
export function Fail(what: string): bool {
  KeLogFormat1("ob", "self-test FAILED: %s", changetype<usize>(what));
  return false;
}

/** A condition that must hold. */
export function check(condition: bool, what: string): bool {
  if (condition) {
    Checks++;
    return true;
  }
  return Fail(what);
}

/** A status that must be the one expected. */
export function expect(status: u32, expected: u32, what: string): bool {
  if (status == expected) {
    Checks++;
    return true;
  }
  KeLogFormat3("ob", "self-test FAILED: %s: status %x, expected %x", changetype<usize>(what), status, expected);
  return false;
}

// ---- names and attributes ----

/** NameString over a constant string. */
export function Name(text: string): usize {
  RtlInitUnicodeString(NameString, text);
  return NameString;
}

/** Builds `prefix` followed by `n` (below 100) in decimal into `text`, described by `string`. */
function NumberedString(string: usize, text: usize, prefix: string, n: u32): usize {
  let length: u32 = 0;
  for (let i = 0; i < prefix.length; i++) {
    store<u16>(text + length, <u16>prefix.charCodeAt(i));
    length += 2;
  }
  if (n >= 10) {
    store<u16>(text + length, <u16>(0x30 + n / 10));
    length += 2;
  }
  store<u16>(text + length, <u16>(0x30 + n % 10));
  length += 2;
  RtlInitEmptyUnicodeString(string, text, 128);
  RtlUnicodeString(string).Length = <u16>length;
  return string;
}

/** NameString as `prefix` + `n`. */
export function NumberedName(prefix: string, n: u32): usize { return NumberedString(NameString, NameText, prefix, n); }
/** TargetString as `prefix` + `n`. */
export function NumberedTarget(prefix: string, n: u32): usize { return NumberedString(TargetString, TargetText, prefix, n); }

/** OBJECT_ATTRIBUTES for a UNICODE_STRING (or 0). */
export function AttributesOf(name: usize, attributes: u32, root: u32): usize {
  InitializeObjectAttributes(Attributes, name, attributes, root, 0);
  return Attributes;
}

/** OBJECT_ATTRIBUTES for a constant name. */
export function Oa(text: string, attributes: u32 = 0, root: u32 = 0): usize {
  return AttributesOf(Name(text), attributes, root);
}

// ---- services ----

/** The handle the last service wrote. */
@inline export function Handle(): u32 { return load<u32>(HandleOut); }

export function CreateDirectory(text: string, attributes: u32 = 0, root: u32 = 0): u32 {
  return ObCreateDirectoryObject(HandleOut, DIRECTORY_ALL_ACCESS, Oa(text, attributes, root));
}

/** Opens a directory by its full name for DIRECTORY_ALL_ACCESS. */
export function OpenDirectory(text: string): u32 {
  return OpenDirectoryWith(text, 0, 0, DIRECTORY_ALL_ACCESS);
}

// No optional parameters here: the self-tests run on several threads, and
// AssemblyScript passes an omitted argument's count through one module global
// (scripts/asrt/varargs.ts).
export function OpenDirectoryWith(text: string, attributes: u32, root: u32, access: u32): u32 {
  return ObOpenDirectoryObject(HandleOut, access, Oa(text, attributes, root));
}

export function CreateLink(text: string, target: string, attributes: u32 = 0, root: u32 = 0): u32 {
  RtlInitUnicodeString(TargetString, target);
  return ObCreateSymbolicLinkObject(HandleOut, SYMBOLIC_LINK_ALL_ACCESS, Oa(text, attributes, root), TargetString);
}

/** A link whose name and target were built with NumberedName / NumberedTarget. */
export function CreateLinkFromStrings(attributes: u32): u32 {
  return ObCreateSymbolicLinkObject(HandleOut, SYMBOLIC_LINK_ALL_ACCESS, AttributesOf(NameString, attributes, 0), TargetString);
}

export function OpenLink(text: string, attributes: u32 = 0): u32 {
  return ObOpenSymbolicLinkObject(HandleOut, SYMBOLIC_LINK_ALL_ACCESS, Oa(text, attributes, 0));
}

/** The object behind a handle (not kept referenced), or 0. */
export function ObjectOf(handle: u32): usize {
  if (!NT_SUCCESS(ObReferenceObjectByHandle(handle, 0, 0, ObjectOut, 0))) return 0;
  const object = load<usize>(ObjectOut);
  ObDereferenceObject(object);
  return object;
}

/** The pointer count of a live object, without the reference used to read it. */
export function PointerCount(object: usize): i32 { return OBJECT_TO_OBJECT_HEADER(object).PointerCount; }
export function HandleCount(object: usize): i32 { return OBJECT_TO_OBJECT_HEADER(object).HandleCount; }

/** ObjectBasicInformation of a handle into Buffer; field `offset` of it afterwards with BasicField. */
export function QueryBasic(handle: u32): u32 {
  return ObQueryObject(handle, ObjectBasicInformation, Buffer, SIZEOF_OBJECT_BASIC_INFORMATION, LengthOut);
}
@inline export function BasicField(offset: u32): u32 { return load<u32>(Buffer + offset); }
export const BASIC_ATTRIBUTES: u32 = 0;
export const BASIC_GRANTED_ACCESS: u32 = 4;
export const BASIC_HANDLE_COUNT: u32 = 8;
export const BASIC_POINTER_COUNT: u32 = 12;
export const BASIC_NAME_INFO_SIZE: u32 = 36;
export const BASIC_TYPE_INFO_SIZE: u32 = 40;
export const BASIC_CREATION_TIME: u32 = 48;

/** True when the full name of a handle's object (ObjectNameInformation) is `text`. */
export function FullNameIs(handle: u32, text: string): bool {
  if (!NT_SUCCESS(ObQueryObject(handle, ObjectNameInformation, Buffer, BUFFER_SIZE, LengthOut))) return false;
  return RtlEqualUnicodeStringToString(Buffer, text, false);
}

/** Lists a whole directory into Buffer (RestartScan); the number of entries, or -1 on failure. */
export function ListDirectory(handle: u32): i32 {
  const status = ObQueryDirectoryObject(handle, Buffer, BUFFER_SIZE, false, true, Context, LengthOut);
  if (status == STATUS_NO_MORE_ENTRIES) return 0;
  if (status != STATUS_SUCCESS) return -1;
  let count = 0;
  while (RtlUnicodeString(Buffer + <u32>count * SIZEOF_OBJECT_DIRECTORY_INFORMATION).Buffer != 0) count++;
  return count;
}

/** The index of the entry named `text` among `count` listed entries, or -1. */
export function EntryIndex(count: i32, text: string): i32 {
  for (let i = 0; i < count; i++) {
    if (RtlEqualUnicodeStringToString(Buffer + <u32>i * SIZEOF_OBJECT_DIRECTORY_INFORMATION, text, false)) return i;
  }
  return -1;
}

/** True when listed entry `index` has the type named `typeName`. */
export function EntryTypeIs(index: i32, typeName: string): bool {
  return index >= 0 && RtlEqualUnicodeStringToString(Buffer + <u32>index * SIZEOF_OBJECT_DIRECTORY_INFORMATION + 8, typeName, false);
}

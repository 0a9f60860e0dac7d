// Object manager self-test, part 2: handles (invalid ones, reuse, access,
// protect-from-close, growth, kernel handles, pseudo handles), duplication,
// the query services, a type registered the way other components will
// (ObCreateObjectType with close and delete procedures), and handle tables
// of their own (switching, destroying).

import { RtlEqualUnicodeStringToString, RtlUnicodeString } from "../rtl/unicode";
import { ExPoolTagBytes } from "../ex/pool";
import {
  DIRECTORY_ALL_ACCESS, DIRECTORY_QUERY, DIRECTORY_TRAVERSE, DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, DUPLICATE_SAME_ATTRIBUTES, GENERIC_READ, MAXIMUM_ALLOWED, OB_HANDLE_TABLE_TAG, OBJ_PROTECT_CLOSE, OBJECT_TYPE, OBJECT_TYPE_INITIALIZER, ObjectHandleFlagInformation, ObjectNameInformation, ObjectTypeInformation, ObjectTypesInformation, SIZEOF_OBJECT_TYPE_INITIALIZER, STANDARD_RIGHTS_EXECUTE, STANDARD_RIGHTS_READ, STANDARD_RIGHTS_REQUIRED, STANDARD_RIGHTS_WRITE,
} from "./obp";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer, ObpObjectTypeCount } from "./obcreate";
import { ObCreateDirectoryObject, ObQueryDirectoryObject } from "./obdir";
import {
  ObCloseHandle, ObDuplicateObject, ObCreateHandleTable, ObDestroyHandleTable, ObGetHandleCount, ObReferenceObjectByHandle,
  ObSetPseudoHandleResolver, ObSwitchHandleTable, ObpCurrentHandleTable, ObpKernelHandleTable,
} from "./obhandle";
import { ObInsertObject, ObOpenObjectByName } from "./obname";
import { ObQueryObject, ObSetInformationObject } from "./obquery";
import { ObDereferenceObject } from "./obref";
import { ObpSymbolicLinkObjectType, ObpTypeObjectType } from "./obp";
import {
  BASIC_ATTRIBUTES, BASIC_CREATION_TIME, BASIC_GRANTED_ACCESS, BASIC_HANDLE_COUNT, BASIC_NAME_INFO_SIZE,
  BASIC_POINTER_COUNT, BASIC_TYPE_INFO_SIZE, BUFFER_SIZE, BasicField, Buffer, Context, CreateDirectory, CreateLink,
  EntryIndex, EntryTypeIs, FullNameIs, Handle, HandleCount, HandleOut, LengthOut, ListDirectory, Name, ObjectOf,
  ObjectOut, Oa, OpenDirectory, OpenDirectoryWith, QueryBasic, check, expect,
} from "./testutil";
import {
  STATUS_ACCESS_DENIED, STATUS_BUFFER_TOO_SMALL, STATUS_HANDLE_NOT_CLOSABLE,
  STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_HANDLE, STATUS_INVALID_INFO_CLASS,
  STATUS_INVALID_PARAMETER, STATUS_MORE_ENTRIES, STATUS_NO_MORE_ENTRIES,
  STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { NtCurrentProcess, NtCurrentThread, OBJ_INHERIT, OBJ_KERNEL_HANDLE } from "../sdk/ntdef";

const ManyHandles: usize = memory.data(300 * 4, 4);
const MANY: u32 = 300;

// ---- handles ----

let ResolvedHandle: u32 = 0;
let ResolvedAccess: u32 = 0;
const RESOLVER_STATUS: u32 = 0x0000ABCD;

/** A stand-in for the resolver Ps will install. */
function TestResolver(handle: u32, desiredAccess: u32, objectType: usize, object: usize, handleInformation: usize): u32 {
  ResolvedHandle = handle;
  ResolvedAccess = desiredAccess;
  return RESOLVER_STATUS;
}

/** Sets ObjectHandleFlagInformation of a handle. */
function SetHandleFlags(handle: u32, inherit: u8, protectFromClose: u8): u32 {
  store<u8>(Buffer, inherit);
  store<u8>(Buffer, protectFromClose, 1);
  return ObSetInformationObject(handle, ObjectHandleFlagInformation, Buffer, 2);
}

/** Opens \Device MANY times into ManyHandles; checks the handles are distinct. */
function OpenMany(device: usize): bool {
  for (let i: u32 = 0; i < MANY; i++) {
    if (OpenDirectory("\\Device") != STATUS_SUCCESS) return expect(OpenDirectory("\\Device"), STATUS_SUCCESS, "open \\Device many times");
    store<u32>(ManyHandles + (i << 2), Handle());
  }
  for (let i: u32 = 0; i < MANY; i++) {
    const handle = load<u32>(ManyHandles + (i << 2));
    if (ObjectOf(handle) != device) return check(false, "each of many handles names its object");
    for (let j: u32 = 0; j < i; j++) if (load<u32>(ManyHandles + (j << 2)) == handle) return check(false, "many handles are distinct");
  }
  return check(true, "many handles are distinct and valid");
}

export function TestHandles(table: usize): bool {
  if (!expect(ObCloseHandle(0), STATUS_INVALID_HANDLE, "close handle 0")) return false;
  if (!expect(ObCloseHandle(0x12345678), STATUS_INVALID_HANDLE, "close a handle past the table")) return false;
  if (!expect(ObCloseHandle(NtCurrentProcess), STATUS_INVALID_HANDLE, "close NtCurrentProcess()")) return false;
  if (!expect(ObCloseHandle(NtCurrentThread), STATUS_INVALID_HANDLE, "close NtCurrentThread()")) return false;
  if (!expect(OpenDirectory("\\Device"), STATUS_SUCCESS, "open \\Device")) return false;
  const first = Handle(), device = ObjectOf(first);
  if (!check(ObjectOf(first | 3) == device, "the two low bits of a handle are ignored")) return false;
  if (!expect(ObCloseHandle(first), STATUS_SUCCESS, "close it")) return false;
  if (!expect(ObCloseHandle(first), STATUS_INVALID_HANDLE, "close it twice")) return false;
  if (!expect(ObReferenceObjectByHandle(first, 0, 0, ObjectOut, 0), STATUS_INVALID_HANDLE, "reference a closed handle")) return false;
  if (!check(load<usize>(ObjectOut) == 0, "a failed reference returns no object")) return false;
  if (!expect(OpenDirectory("\\Device"), STATUS_SUCCESS, "open \\Device again")) return false;
  const again = Handle();
  if (!check(again == first, "a closed handle's value is the next one given")) return false;

  if (!expect(ObReferenceObjectByHandle(NtCurrentProcess, 0, 0, ObjectOut, 0), STATUS_INVALID_HANDLE, "NtCurrentProcess() before Ps")) return false;
  ObSetPseudoHandleResolver(TestResolver);
  const resolved = ObReferenceObjectByHandle(NtCurrentThread, 7, 0, ObjectOut, 0);
  ObSetPseudoHandleResolver(null);
  if (!expect(resolved, RESOLVER_STATUS, "NtCurrentThread() goes to the resolver Ps installs")) return false;
  if (!check(ResolvedHandle == NtCurrentThread && ResolvedAccess == 7, "the resolver gets the handle and the access")) return false;
  if (!expect(ObReferenceObjectByHandle(NtCurrentThread, 0, 0, ObjectOut, 0), STATUS_INVALID_HANDLE, "no resolver, no pseudo handles")) return false;
  if (!expect(ObReferenceObjectByHandle(again, 0, ObpSymbolicLinkObjectType, ObjectOut, 0), STATUS_OBJECT_TYPE_MISMATCH, "reference with the wrong type")) return false;
  ObCloseHandle(again);

  if (!expect(OpenDirectoryWith("\\Device", 0, 0, DIRECTORY_TRAVERSE), STATUS_SUCCESS, "open \\Device for traverse only")) return false;
  const traverse = Handle();
  if (!expect(ObQueryDirectoryObject(traverse, Buffer, BUFFER_SIZE, false, true, Context, LengthOut), STATUS_ACCESS_DENIED, "list without DIRECTORY_QUERY")) return false;
  if (!expect(ObReferenceObjectByHandle(traverse, DIRECTORY_QUERY, 0, ObjectOut, 0), STATUS_ACCESS_DENIED, "reference for rights not granted")) return false;
  ObCloseHandle(traverse);
  if (!expect(OpenDirectoryWith("\\Device", 0, 0, GENERIC_READ), STATUS_SUCCESS, "open \\Device for GENERIC_READ")) return false;
  if (!expect(QueryBasic(Handle()), STATUS_SUCCESS, "query it")) return false;
  if (!check(BasicField(BASIC_GRANTED_ACCESS) == (STANDARD_RIGHTS_READ | DIRECTORY_QUERY | DIRECTORY_TRAVERSE), "GENERIC_READ maps to query and traverse")) return false;
  ObCloseHandle(Handle());
  if (!expect(OpenDirectoryWith("\\Device", 0, 0, MAXIMUM_ALLOWED), STATUS_SUCCESS, "open \\Device for MAXIMUM_ALLOWED")) return false;
  if (!expect(QueryBasic(Handle()), STATUS_SUCCESS, "query it") || !check(BasicField(BASIC_GRANTED_ACCESS) == DIRECTORY_ALL_ACCESS, "MAXIMUM_ALLOWED grants all")) return false;
  ObCloseHandle(Handle());

  if (!expect(OpenDirectory("\\Device"), STATUS_SUCCESS, "open \\Device to protect")) return false;
  const protectedHandle = Handle();
  if (!expect(SetHandleFlags(protectedHandle, 0, 1), STATUS_SUCCESS, "mark a handle protect-from-close")) return false;
  if (!expect(ObCloseHandle(protectedHandle), STATUS_HANDLE_NOT_CLOSABLE, "close a protected handle")) return false;
  if (!expect(ObQueryObject(protectedHandle, ObjectHandleFlagInformation, Buffer, 2, LengthOut), STATUS_SUCCESS, "query the handle flags")) return false;
  if (!check(load<u8>(Buffer) == 0 && load<u8>(Buffer, 1) == 1, "the flags say protected, not inherited")) return false;
  if (!expect(QueryBasic(protectedHandle), STATUS_SUCCESS, "query it") || !check((BasicField(BASIC_ATTRIBUTES) & OBJ_PROTECT_CLOSE) != 0, "OBJ_PROTECT_CLOSE shows")) return false;
  if (!expect(ObSetInformationObject(protectedHandle, ObjectHandleFlagInformation, Buffer, 3), STATUS_INFO_LENGTH_MISMATCH, "handle flags of a wrong length")) return false;
  if (!expect(ObSetInformationObject(protectedHandle, 0, Buffer, 2), STATUS_INVALID_INFO_CLASS, "a class that cannot be set")) return false;
  if (!expect(SetHandleFlags(protectedHandle, 0, 0), STATUS_SUCCESS, "unprotect it")) return false;
  if (!expect(ObCloseHandle(protectedHandle), STATUS_SUCCESS, "close the unprotected handle")) return false;

  const before = ObGetHandleCount(table);
  if (!OpenMany(device)) return false;
  if (!check(ObGetHandleCount(table) == before + MANY, "the table grew to hold them")) return false;
  for (let i: u32 = 0; i < MANY; i++) ObCloseHandle(load<u32>(ManyHandles + (i << 2)));
  if (!check(ObGetHandleCount(table) == before, "closing them empties the table again")) return false;

  const kernelBefore = ObGetHandleCount(ObpKernelHandleTable);
  if (!expect(OpenDirectoryWith("\\Device", OBJ_KERNEL_HANDLE, 0, DIRECTORY_ALL_ACCESS), STATUS_SUCCESS, "open a kernel handle")) return false;
  const kernel = Handle();
  if (!check((kernel & 0x80000000) != 0 && ObGetHandleCount(ObpKernelHandleTable) == kernelBefore + 1
    && ObGetHandleCount(table) == before, "OBJ_KERNEL_HANDLE puts the handle in the kernel's table")) return false;
  if (!check(ObjectOf(kernel) == device, "a kernel handle names its object from any table")) return false;
  if (!expect(ObCloseHandle(kernel), STATUS_SUCCESS, "close the kernel handle")) return false;
  return check(ObGetHandleCount(ObpKernelHandleTable) == kernelBefore, "the kernel's table is back");
}

export function TestDuplicate(): bool {
  if (!expect(OpenDirectory("\\Device"), STATUS_SUCCESS, "open \\Device")) return false;
  const source = Handle(), device = ObjectOf(source), handles = HandleCount(device);
  if (!expect(ObDuplicateObject(NtCurrentProcess, source, NtCurrentProcess, HandleOut, 0, 0, DUPLICATE_SAME_ACCESS), STATUS_SUCCESS, "duplicate with the same access")) return false;
  const same = Handle();
  if (!check(same != source && ObjectOf(same) == device && HandleCount(device) == handles + 1, "a duplicate is a new handle to the object")) return false;
  if (!expect(QueryBasic(same), STATUS_SUCCESS, "query it") || !check(BasicField(BASIC_GRANTED_ACCESS) == DIRECTORY_ALL_ACCESS, "it has the source's access")) return false;
  if (!expect(ObDuplicateObject(NtCurrentProcess, source, NtCurrentProcess, HandleOut, DIRECTORY_TRAVERSE, 0, 0), STATUS_SUCCESS, "duplicate with less access")) return false;
  const less = Handle();
  if (!expect(ObQueryDirectoryObject(less, Buffer, BUFFER_SIZE, false, true, Context, LengthOut), STATUS_ACCESS_DENIED, "the lesser duplicate cannot list")) return false;
  if (!expect(ObDuplicateObject(NtCurrentProcess, source, NtCurrentProcess, HandleOut, GENERIC_READ, OBJ_INHERIT, 0), STATUS_SUCCESS, "duplicate as inheritable")) return false;
  const inherited = Handle();
  if (!expect(QueryBasic(inherited), STATUS_SUCCESS, "query it")) return false;
  if (!check((BasicField(BASIC_ATTRIBUTES) & OBJ_INHERIT) != 0 && BasicField(BASIC_GRANTED_ACCESS) == (STANDARD_RIGHTS_READ | DIRECTORY_QUERY | DIRECTORY_TRAVERSE),
    "the duplicate has the attributes and mapped access asked for")) return false;
  if (!expect(ObDuplicateObject(NtCurrentProcess, inherited, NtCurrentProcess, HandleOut, 0, 0, DUPLICATE_SAME_ACCESS | DUPLICATE_SAME_ATTRIBUTES),
    STATUS_SUCCESS, "duplicate with the same attributes")) return false;
  const sameAttributes = Handle();
  if (!expect(QueryBasic(sameAttributes), STATUS_SUCCESS, "query it") || !check((BasicField(BASIC_ATTRIBUTES) & OBJ_INHERIT) != 0, "DUPLICATE_SAME_ATTRIBUTES keeps OBJ_INHERIT")) return false;
  const beforeMove = HandleCount(device);
  if (!expect(ObDuplicateObject(NtCurrentProcess, same, NtCurrentProcess, HandleOut, 0, 0, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE), STATUS_SUCCESS, "duplicate and close the source")) return false;
  // The source is closed first, as in NT, so the new handle may take its value.
  const moved = Handle();
  if (!check(HandleCount(device) == beforeMove && ObjectOf(moved) == device, "DUPLICATE_CLOSE_SOURCE moves the handle")) return false;
  if (!expect(ObDuplicateObject(NtCurrentProcess, moved, 0, 0, 0, 0, DUPLICATE_CLOSE_SOURCE), STATUS_SUCCESS, "close through NtDuplicateObject")) return false;
  if (!expect(ObCloseHandle(moved), STATUS_INVALID_HANDLE, "with no target it only closes")) return false;
  if (!expect(ObDuplicateObject(NtCurrentProcess, 0x7FF0, NtCurrentProcess, HandleOut, 0, 0, DUPLICATE_SAME_ACCESS), STATUS_INVALID_HANDLE, "duplicate a bad handle")) return false;
  if (!expect(ObDuplicateObject(NtCurrentProcess, source, NtCurrentProcess, HandleOut, 0, 0, 8), STATUS_INVALID_PARAMETER, "an undefined option")) return false;
  if (!expect(ObDuplicateObject(0x44, source, NtCurrentProcess, HandleOut, 0, 0, DUPLICATE_SAME_ACCESS), STATUS_INVALID_HANDLE, "another process (none before Ps)")) return false;
  if (!expect(SetHandleFlags(source, 0, 1), STATUS_SUCCESS, "protect the source")) return false;
  if (!expect(ObDuplicateObject(NtCurrentProcess, source, NtCurrentProcess, HandleOut, 0, 0, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE), STATUS_SUCCESS, "duplicate a protected source")) return false;
  const copy = Handle();
  if (!check(copy != source && ObjectOf(source) == device, "DUPLICATE_CLOSE_SOURCE leaves a protected source open")) return false;
  SetHandleFlags(source, 0, 0);
  ObCloseHandle(copy);
  ObCloseHandle(less);
  ObCloseHandle(inherited);
  ObCloseHandle(sameAttributes);
  ObCloseHandle(source);
  return check(HandleCount(device) == handles - 1, "the duplicates are all closed");
}

// ---- queries ----

/** Bit of a listed name among A, Bb, Link (0 for others). */
function EntryBit(index: i32): u32 {
  const entry = Buffer + <u32>index * 16;
  if (RtlEqualUnicodeStringToString(entry, "A", false)) return 1;
  if (RtlEqualUnicodeStringToString(entry, "Bb", false)) return 2;
  if (RtlEqualUnicodeStringToString(entry, "Link", false)) return 4;
  return 0;
}

/** Each listed entry's strings are in the buffer and NUL-terminated. */
function StringsInBuffer(count: i32, length: u32): bool {
  for (let i: u32 = 0; i < <u32>count * 2; i++) {
    const string = RtlUnicodeString(Buffer + i * 8);
    if (string.Buffer < Buffer || string.Buffer + string.Length + 2 > Buffer + length) return false;
    if (load<u16>(string.Buffer + string.Length) != 0) return false;
  }
  return true;
}

export function TestQueryDirectory(): bool {
  if (!expect(CreateDirectory("\\Device\\ObEnum"), STATUS_SUCCESS, "create \\Device\\ObEnum")) return false;
  const directory = Handle();
  if (!expect(CreateDirectory("A", 0, directory), STATUS_SUCCESS, "create A in it")) return false;
  const a = Handle();
  if (!expect(CreateDirectory("Bb", 0, directory), STATUS_SUCCESS, "create Bb in it")) return false;
  const bb = Handle();
  if (!expect(CreateLink("Link", "\\Device", 0, directory), STATUS_SUCCESS, "create Link in it")) return false;
  const link = Handle();
  const count = ListDirectory(directory);
  if (!check(count == 3, "the directory lists three entries")) return false;
  if (!check(EntryTypeIs(EntryIndex(3, "A"), "Directory") && EntryTypeIs(EntryIndex(3, "Bb"), "Directory")
    && EntryTypeIs(EntryIndex(3, "Link"), "SymbolicLink"), "each with its name and type name")) return false;
  if (!check(load<u32>(Context) == 3, "Context is the index after the last entry")) return false;
  // 4 records (the last zeroed) + "A" "Directory" + "Bb" "Directory" + "Link" "SymbolicLink", each string with a NUL
  if (!check(load<u32>(LengthOut) == 64 + (4 + 20) + (6 + 20) + (10 + 26), "ReturnLength counts records and strings")) return false;
  if (!check(StringsInBuffer(3, load<u32>(LengthOut)), "the strings are NUL-terminated, in the buffer")) return false;
  if (!expect(ObQueryDirectoryObject(directory, Buffer, BUFFER_SIZE, false, false, Context, LengthOut), STATUS_NO_MORE_ENTRIES, "continue after the end")) return false;

  let seen: u32 = 0;
  for (let i: u32 = 0; i < 3; i++) {
    if (!expect(ObQueryDirectoryObject(directory, Buffer, BUFFER_SIZE, true, i == 0, Context, LengthOut), STATUS_SUCCESS, "one entry at a time")) return false;
    seen |= EntryBit(0);
    if (!check(load<u32>(Context) == i + 1, "Context moves by one")) return false;
  }
  if (!check(seen == 7, "one at a time, each entry comes once")) return false;
  if (!expect(ObQueryDirectoryObject(directory, Buffer, BUFFER_SIZE, true, false, Context, LengthOut), STATUS_NO_MORE_ENTRIES, "one at a time, then no more")) return false;

  if (!expect(ObQueryDirectoryObject(directory, Buffer, BUFFER_SIZE, true, true, Context, LengthOut), STATUS_SUCCESS, "the first entry")) return false;
  const firstBit = EntryBit(0), needed = load<u32>(LengthOut);
  if (!expect(ObQueryDirectoryObject(directory, Buffer, needed - 1, true, true, Context, LengthOut), STATUS_BUFFER_TOO_SMALL, "a buffer one byte short")) return false;
  if (!check(load<u32>(LengthOut) == needed, "the length needed is returned")) return false;
  if (!expect(ObQueryDirectoryObject(directory, Buffer, needed, false, true, Context, LengthOut), STATUS_MORE_ENTRIES, "a buffer for one of three")) return false;
  if (!check(load<u32>(Context) == 1 && EntryBit(0) == firstBit, "it holds the first entry, Context says one")) return false;
  store<u32>(Context, 99);
  if (!expect(ObQueryDirectoryObject(directory, Buffer, BUFFER_SIZE, false, false, Context, LengthOut), STATUS_NO_MORE_ENTRIES, "a Context past the end")) return false;
  if (!expect(CreateDirectory("\\Device\\ObEmpty"), STATUS_SUCCESS, "create an empty directory")) return false;
  const empty = Handle();
  if (!expect(ObQueryDirectoryObject(empty, Buffer, BUFFER_SIZE, false, true, Context, LengthOut), STATUS_NO_MORE_ENTRIES, "list an empty directory")) return false;
  ObCloseHandle(empty);
  ObCloseHandle(a);
  ObCloseHandle(bb);
  ObCloseHandle(link);
  if (!check(ListDirectory(directory) == 0, "closing their handles empties the directory")) return false;
  ObCloseHandle(directory);
  return true;
}

export function TestQueryObject(): bool {
  if (!expect(CreateDirectory("\\Device\\ObQuery"), STATUS_SUCCESS, "create \\Device\\ObQuery")) return false;
  const parent = Handle();
  if (!expect(CreateDirectory("\\Device\\ObQuery\\Leaf"), STATUS_SUCCESS, "create a leaf in it")) return false;
  const leaf = Handle();
  if (!check(FullNameIs(leaf, "\\Device\\ObQuery\\Leaf"), "ObjectNameInformation is the full name")) return false;
  const nameBytes: u32 = 8 + 40 + 2; // the UNICODE_STRING, 20 characters, a NUL
  if (!check(load<u32>(LengthOut) == nameBytes, "and its length")) return false;
  if (!expect(ObQueryObject(leaf, ObjectNameInformation, Buffer, 20, LengthOut), STATUS_INFO_LENGTH_MISMATCH, "a name buffer too small")) return false;
  if (!check(load<u32>(LengthOut) == nameBytes, "the size needed is returned")) return false;
  if (!expect(OpenDirectory("\\"), STATUS_SUCCESS, "open \\") || !check(FullNameIs(Handle(), "\\"), "the root's name is \\")) return false;
  ObCloseHandle(Handle());
  if (!expect(ObCreateDirectoryObject(HandleOut, DIRECTORY_ALL_ACCESS, 0), STATUS_SUCCESS, "create an unnamed directory")) return false;
  const unnamed = Handle();
  if (!expect(ObQueryObject(unnamed, ObjectNameInformation, Buffer, BUFFER_SIZE, LengthOut), STATUS_SUCCESS, "query its name")) return false;
  if (!check(RtlUnicodeString(Buffer).Length == 0 && load<u32>(LengthOut) == 8, "an unnamed object has an empty name")) return false;
  if (!expect(QueryBasic(unnamed), STATUS_SUCCESS, "query it") || !check(BasicField(BASIC_NAME_INFO_SIZE) == 0, "and no name size")) return false;
  ObCloseHandle(unnamed);

  if (!expect(ObQueryObject(leaf, 0, Buffer, 55, LengthOut), STATUS_INFO_LENGTH_MISMATCH, "basic information needs exactly 56 bytes")) return false;
  if (!expect(QueryBasic(leaf), STATUS_SUCCESS, "basic information")) return false;
  if (!check(BasicField(BASIC_HANDLE_COUNT) == 1 && BasicField(BASIC_POINTER_COUNT) == 3, "counts: 1 handle, 3 references")) return false;
  if (!check(BasicField(BASIC_GRANTED_ACCESS) == DIRECTORY_ALL_ACCESS, "the granted access")) return false;
  if (!check(BasicField(BASIC_NAME_INFO_SIZE) == nameBytes, "the size of the name query")) return false;
  const typeBytes: u32 = 96 + 20; // OBJECT_TYPE_INFORMATION + "Directory" and its NUL, 4-aligned
  if (!check(BasicField(BASIC_TYPE_INFO_SIZE) == 96 + 18 + 2, "the size of the type query")) return false;
  if (!expect(ObQueryObject(leaf, ObjectTypeInformation, Buffer, BUFFER_SIZE, LengthOut), STATUS_SUCCESS, "type information")) return false;
  if (!check(RtlEqualUnicodeStringToString(Buffer, "Directory", false) && load<u32>(LengthOut) == typeBytes, "the type name and size")) return false;
  if (!check(load<u32>(Buffer, 8) >= 8 && load<u32>(Buffer, 76) == DIRECTORY_ALL_ACCESS
    && load<u32>(Buffer, 60) == (STANDARD_RIGHTS_READ | DIRECTORY_QUERY | DIRECTORY_TRAVERSE), "object count, access mask, generic mapping")) return false;
  if (!expect(ObQueryObject(leaf, ObjectTypeInformation, Buffer, 100, LengthOut), STATUS_INFO_LENGTH_MISMATCH, "a type buffer too small")) return false;
  if (!expect(ObQueryObject(0, ObjectTypesInformation, Buffer, BUFFER_SIZE, LengthOut), STATUS_SUCCESS, "all types")) return false;
  if (!check(load<u32>(Buffer) == ObpObjectTypeCount && RtlEqualUnicodeStringToString(Buffer + 4, "Type", false), "every type, Type first")) return false;
  if (!expect(ObQueryObject(leaf, 9, Buffer, BUFFER_SIZE, LengthOut), STATUS_INVALID_INFO_CLASS, "an undefined class")) return false;
  if (!expect(ObQueryObject(0x7FF0, 0, Buffer, 56, LengthOut), STATUS_INVALID_HANDLE, "query a bad handle")) return false;
  if (!expect(CreateLink("\\Device\\ObQueryLink", "\\Device"), STATUS_SUCCESS, "create a link")) return false;
  if (!expect(QueryBasic(Handle()), STATUS_SUCCESS, "query it") || !check(load<u64>(Buffer, BASIC_CREATION_TIME) != 0, "a link has a creation time")) return false;
  ObCloseHandle(Handle());
  ObCloseHandle(leaf);
  ObCloseHandle(parent);
  return true;
}

// ---- a type of our own ----

const TEST_TYPE_KEY: u32 = 0x6553624F; // 'ObSe': the first four characters of "ObSelfTest"
const Initializer: usize = memory.data(<i32>SIZEOF_OBJECT_TYPE_INITIALIZER, 4);
let TestType: usize = 0;
let CloseCalls: u32 = 0;
let LastHandleCount: u32 = 0;
let DeleteCalls: u32 = 0;
let LastDeleted: usize = 0;

function TestCloseProcedure(object: usize, handleCount: u32): void {
  CloseCalls++;
  LastHandleCount = handleCount;
}

function TestDeleteProcedure(object: usize): void {
  DeleteCalls++;
  LastDeleted = object;
}

/** Registers the type "ObSelfTest" (types are permanent: the runner does this before its pool baseline). */
export function RegisterTestType(): bool {
  ObInitializeTypeInitializer(Initializer, STANDARD_RIGHTS_READ | 1, STANDARD_RIGHTS_WRITE | 2, STANDARD_RIGHTS_EXECUTE,
    STANDARD_RIGHTS_REQUIRED | 3, STANDARD_RIGHTS_REQUIRED | 3, 16);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(Initializer);
  info.InvalidAttributes = OBJ_INHERIT;
  info.CloseProcedure = TestCloseProcedure;
  info.DeleteProcedure = TestDeleteProcedure;
  if (!expect(ObCreateObjectType(Name("ObSelfTest"), Initializer, ObjectOut), STATUS_SUCCESS, "register the type ObSelfTest")) return false;
  TestType = load<usize>(ObjectOut);
  return true;
}

const OBJECT_NAME: string = "\\KernelObjects\\ObSelfTestObject";

export function TestCustomType(): bool {
  if (!expect(ObCreateObjectType(Name("OBSELFTEST"), Initializer, ObjectOut), STATUS_OBJECT_NAME_COLLISION, "a type name is taken whatever its case")) return false;
  if (!expect(ObCreateObjectType(Name("Ob\\Bad"), Initializer, ObjectOut), STATUS_OBJECT_NAME_INVALID, "a type name with a backslash")) return false;
  changetype<OBJECT_TYPE_INITIALIZER>(Initializer).Length = 4;
  const badLength = ObCreateObjectType(Name("ObOther"), Initializer, ObjectOut);
  changetype<OBJECT_TYPE_INITIALIZER>(Initializer).Length = SIZEOF_OBJECT_TYPE_INITIALIZER;
  if (!expect(badLength, STATUS_INVALID_PARAMETER, "an initializer of the wrong length")) return false;
  if (!check(changetype<OBJECT_TYPE>(TestType).Key == TEST_TYPE_KEY, "the type's pool tag comes from its name")) return false;
  if (!expect(ObOpenObjectByName(Oa("\\ObjectTypes\\ObSelfTest"), ObpTypeObjectType, 0, HandleOut), STATUS_SUCCESS, "the type is in \\ObjectTypes")) return false;
  if (!check(ObjectOf(Handle()) == TestType, "as itself")) return false;
  ObCloseHandle(Handle());

  if (!expect(ObCreateObject(TestType, Oa(OBJECT_NAME, OBJ_INHERIT), 16, ObjectOut), STATUS_INVALID_PARAMETER, "an attribute the type refuses")) return false;
  if (!expect(ObCreateObject(TestType, Oa(OBJECT_NAME), 16, ObjectOut), STATUS_SUCCESS, "create an ObSelfTest object")) return false;
  const object = load<usize>(ObjectOut);
  if (!check(load<u64>(object) == 0 && load<u64>(object, 8) == 0, "its body starts zeroed")) return false;
  if (!expect(ObInsertObject(object, 3, HandleOut), STATUS_SUCCESS, "insert it")) return false;
  const handle = Handle();
  if (!expect(ObInsertObject(object, 3, HandleOut), STATUS_INVALID_PARAMETER, "an object is inserted once")) return false;
  if (!check(FullNameIs(handle, OBJECT_NAME), "it has its name")) return false;
  if (!expect(OpenDirectory("\\KernelObjects"), STATUS_SUCCESS, "open \\KernelObjects")) return false;
  const count = ListDirectory(Handle());
  ObCloseHandle(Handle());
  if (!check(EntryTypeIs(EntryIndex(count, "ObSelfTestObject"), "ObSelfTest"), "it is listed with its type name")) return false;
  if (!expect(SetInherit(handle), STATUS_ACCESS_DENIED, "no inheritance for a type that refuses OBJ_INHERIT")) return false;
  if (!expect(OpenDirectory("\\KernelObjects\\ObSelfTestObject\\X"), STATUS_OBJECT_TYPE_MISMATCH, "a path through an ObSelfTest object")) return false;
  if (!expect(OpenDirectoryWith("X", 0, handle, DIRECTORY_ALL_ACCESS), STATUS_INVALID_HANDLE, "a root handle to an object without a parse procedure")) return false;
  if (!expect(OpenDirectory(OBJECT_NAME), STATUS_OBJECT_TYPE_MISMATCH, "open it as a directory")) return false;
  if (!expect(ObOpenObjectByName(Oa(OBJECT_NAME), 0, 1, HandleOut), STATUS_SUCCESS, "open it as any type")) return false;
  const second = Handle();
  if (!check(ObjectOf(second) == object, "the same object")) return false;

  CloseCalls = 0;
  DeleteCalls = 0;
  ObCloseHandle(second);
  if (!check(CloseCalls == 1 && LastHandleCount == 1 && DeleteCalls == 0, "the close procedure runs for each handle")) return false;
  if (!expect(ObReferenceObjectByHandle(handle, 0, TestType, ObjectOut, 0), STATUS_SUCCESS, "reference it")) return false;
  ObCloseHandle(handle);
  if (!check(CloseCalls == 2 && LastHandleCount == 0 && DeleteCalls == 0, "a reference defers the delete procedure")) return false;
  if (!expect(ObOpenObjectByName(Oa(OBJECT_NAME), 0, 0, HandleOut), STATUS_OBJECT_NAME_NOT_FOUND, "the name went with the last handle")) return false;
  ObDereferenceObject(object);
  if (!check(DeleteCalls == 1 && LastDeleted == object, "the delete procedure runs once, at the last reference")) return false;
  const type = changetype<OBJECT_TYPE>(TestType);
  if (!check(ExPoolTagBytes(TEST_TYPE_KEY) == 0 && type.TotalNumberOfObjects == 0 && type.TotalNumberOfHandles == 0, "nothing of the type is left")) return false;
  return check(type.HighWaterNumberOfObjects == 1 && type.HighWaterNumberOfHandles == 2, "the type's high-water marks");
}

function SetInherit(handle: u32): u32 {
  store<u8>(Buffer, 1);
  store<u8>(Buffer, 0, 1);
  return ObSetInformationObject(handle, ObjectHandleFlagInformation, Buffer, 2);
}

// ---- handle tables ----

/** A second table: handles in it keep objects alive; destroying it closes them all, protected or not. */
export function TestHandleTables(current: usize): bool {
  const tableBytes = ExPoolTagBytes(OB_HANDLE_TABLE_TAG);
  if (!expect(OpenDirectory("\\Device"), STATUS_SUCCESS, "open \\Device")) return false;
  const device = ObjectOf(Handle());
  ObCloseHandle(Handle());
  const handles = HandleCount(device);
  const other = ObCreateHandleTable();
  if (!check(other != 0, "create a handle table")) return false;
  if (!check(ObSwitchHandleTable(other) == current, "switch to it")) return false;
  const created = CreateDirectory("\\BaseNamedObjects\\ObOtherTable");
  const protect = SetHandleFlags(Handle(), 0, 1);
  let opened: u32 = 0;
  for (let i: u32 = 0; i < 100; i++) if (OpenDirectory("\\Device") == STATUS_SUCCESS) opened++;
  const inOther = ObGetHandleCount(other);
  ObSwitchHandleTable(current);
  if (!expect(created, STATUS_SUCCESS, "create a directory in the other table") || !expect(protect, STATUS_SUCCESS, "protect its handle")) return false;
  if (!check(opened == 100 && inOther == 101 && HandleCount(device) == handles + 100, "the other table holds its 101 handles")) return false;
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObOtherTable"), STATUS_SUCCESS, "its handle keeps the name")) return false;
  ObCloseHandle(Handle());
  ObDestroyHandleTable(other);
  if (!check(HandleCount(device) == handles, "destroying the table closed its handles")) return false;
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObOtherTable"), STATUS_OBJECT_NAME_NOT_FOUND, "the protected handle too")) return false;
  const third = ObCreateHandleTable();
  ObSwitchHandleTable(third);
  ObDestroyHandleTable(third);
  const fallback = ObpCurrentHandleTable();
  ObSwitchHandleTable(current);
  if (!check(fallback == ObpKernelHandleTable, "destroying the current table makes the kernel's current")) return false;
  return check(ExPoolTagBytes(OB_HANDLE_TABLE_TAG) == tableBytes, "the tables went back to the pool");
}

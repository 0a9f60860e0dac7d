// Object manager initialization (phase 0): ObInitSystem.
//
// Builds what the rest of the kernel names things in:
//
//   the kernel's handle table (current until Ps switches tables)
//   the types Type ('ObjT'), Directory ('Dire'), SymbolicLink ('Symb')
//   \                 the root directory
//   \ObjectTypes      one entry per type, here and from ObCreateObjectType
//   \Device           device objects (Io)
//   \GLOBAL??         the global DOS devices directory (drive letters, COM1, ...),
//                     the system device map's: "\??" names it for processes
//                     without a map of their own (obdevmap.ts); Global -> itself,
//                     GLOBALROOT -> "" (the root)
//   \DosDevices       a symbolic link to \?? (the caller's DOS devices)
//   \KernelObjects    events the kernel publishes (low memory, ...)
//   \BaseNamedObjects named objects of the Win32 world
//
// All of them are permanent, with NT's descriptors (obsecure.ts): everyone
// may look and traverse, only SYSTEM and Administrators change them, but
// everyone may create in \BaseNamedObjects. One log line counts the entries of \ and of
// \ObjectTypes (the self-test checks them by name). A failure here
// bug-checks with OBJECT_INITIALIZATION_FAILED (p1 the step, p2 the status).

import { KeBugCheckEx } from "../ke/bugcheck";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat2 } from "../ke/log";
import { RtlInitUnicodeString, SIZEOF_UNICODE_STRING, UNICODE_STRING } from "../rtl/unicode";
import {
  DIRECTORY_ALL_ACCESS, DIRECTORY_CREATE_OBJECT, DIRECTORY_CREATE_SUBDIRECTORY, DIRECTORY_QUERY, DIRECTORY_TRAVERSE, HANDLE_TABLE, HANDLE_TABLE_ENTRY, InitializeObjectAttributes, OB_FLAG_NEW_OBJECT, OB_TYPE_TAG, OB_DELETE_METHOD, OB_PARSE_METHOD, OBJECT_ATTRIBUTES, OBJECT_DIRECTORY_ENTRY, OBJECT_HANDLE_INFORMATION, OBJECT_HEADER, OBJECT_HEADER_NAME_INFO, OBJECT_SYMBOLIC_LINK, OBJECT_TO_OBJECT_HEADER, OBJECT_TYPE, OBJECT_TYPE_ALL_ACCESS, OBJECT_TYPE_INFO_OFFSET, OBJECT_TYPE_INITIALIZER, SIZEOF_HANDLE_TABLE, SIZEOF_HANDLE_TABLE_ENTRY, SIZEOF_OBJECT_DIRECTORY_ENTRY, SIZEOF_OBJECT_HANDLE_INFORMATION, SIZEOF_OBJECT_HEADER, SIZEOF_OBJECT_HEADER_NAME_INFO, SIZEOF_OBJECT_ATTRIBUTES, SIZEOF_OBJECT_DIRECTORY, SIZEOF_OBJECT_SYMBOLIC_LINK, SIZEOF_OBJECT_TYPE, SIZEOF_OBJECT_TYPE_INITIALIZER, STANDARD_RIGHTS_EXECUTE, STANDARD_RIGHTS_READ, STANDARD_RIGHTS_WRITE, SYMBOLIC_LINK_ALL_ACCESS, SYMBOLIC_LINK_QUERY,
  ObpDirectoryObjectType, ObpRootDirectoryObject, ObpSymbolicLinkObjectType, ObpTypeDirectoryObject,
  ObpSetDirectoryObjectType, ObpSetRootDirectoryObject, ObpSetSymbolicLinkObjectType, ObpSetTypeDirectoryObject, ObpSetTypeObjectType,
} from "./obp";
import { ObCreateObject, ObCreateObjectType, ObInitializeTypeInitializer, ObpObjectTypeCount, ObpObjectTypes } from "./obcreate";
import { ObCreateDirectoryObject, ObpDirectoryEntryCount, ObpLinkIntoDirectory, ObpSetObjectName } from "./obdir";
import { ObCloseHandle, ObpInitializeHandleTables, ObReferenceObjectByHandle } from "./obhandle";
import { ObCreateSymbolicLinkObject, ObpDeleteSymbolicLink, ObpParseSymbolicLink } from "./oblink";
import { ObDereferenceObject } from "./obref";
import { OB_SECURITY_OPEN, OB_SECURITY_PUBLIC, ObGetSystemSecurityDescriptor, ObSetObjectSecurity } from "./obsecure";
import { ObpCreateSystemDeviceMap } from "./obdevmap";
import { ObCreateObjectService, ObCreateServiceType, ObOpenObjectService, ObReferenceHandle } from "./obsvc";
import { ExSetObjectRoutines } from "../ex/sync";
import { NT_SUCCESS } from "../sdk/ntstatus";
import { OBJ_PERMANENT } from "../sdk/ntdef";

/** Bug check: p1 the step that failed (below), p2 its NTSTATUS. */
export const OBJECT_INITIALIZATION_FAILED: u32 = 0x5E;
const STEP_HANDLE_TABLE: u32 = 1;
const STEP_TYPES: u32 = 2;
const STEP_ROOT: u32 = 3;
const STEP_DIRECTORIES: u32 = 4;
const STEP_LINKS: u32 = 5;
const STEP_LAYOUT: u32 = 6;


// Scratch for the calls below: a name, attributes, an initializer and out-parameters.
// Boot only: ObInitSystem runs in phase 0, before a second thread exists.
const InitName: usize = memory.data(8, 4);
const InitTarget: usize = memory.data(8, 4);
const InitAttributes: usize = memory.data(<i32>SIZEOF_OBJECT_ATTRIBUTES, 4);
const InitInitializer: usize = memory.data(<i32>SIZEOF_OBJECT_TYPE_INITIALIZER, 4);
const InitOut: usize = memory.data(4, 4);

function ObpInitFailed(step: u32, status: u32): void {
  KeBugCheckEx(OBJECT_INITIALIZATION_FAILED, step, status, 0, 0);
}

/** Registers one of the object manager's own types. */
function ObpCreateSystemType(name: string, poolTag: u32, read: u32, write: u32, execute: u32, all: u32, bodySize: u32,
                             deleteProcedure: OB_DELETE_METHOD | null, parseProcedure: OB_PARSE_METHOD | null): usize {
  ObInitializeTypeInitializer(InitInitializer, read, write, execute, all, all, bodySize);
  const info = changetype<OBJECT_TYPE_INITIALIZER>(InitInitializer);
  info.PoolTag = poolTag;
  info.DeleteProcedure = deleteProcedure;
  info.ParseProcedure = parseProcedure;
  RtlInitUnicodeString(InitName, name);
  const status = ObCreateObjectType(InitName, InitInitializer, InitOut);
  if (!NT_SUCCESS(status)) ObpInitFailed(STEP_TYPES, status);
  return load<usize>(InitOut);
}

/** The root directory: named "\" but in no directory; ObpRootDirectoryObject keeps its reference. */
function ObpCreateRootDirectory(): void {
  RtlInitUnicodeString(InitName, "\\");
  InitializeObjectAttributes(InitAttributes, InitName, OBJ_PERMANENT, 0, 0);
  let status = ObCreateObject(ObpDirectoryObjectType, InitAttributes, SIZEOF_OBJECT_DIRECTORY, InitOut);
  if (NT_SUCCESS(status)) status = ObpSetObjectName(load<usize>(InitOut), InitName);
  if (!NT_SUCCESS(status)) ObpInitFailed(STEP_ROOT, status);
  const root = load<usize>(InitOut);
  const header = OBJECT_TO_OBJECT_HEADER(root);
  header.Flags &= ~OB_FLAG_NEW_OBJECT;
  header.ObjectCreateInfo = 0;
  ObpSetRootDirectoryObject(root);
  ObpProtect(root, OB_SECURITY_PUBLIC);
}

/** Gives a boot object NT's descriptor of `kind` (obsecure.ts); without pool it stays open to all. */
function ObpProtect(object: usize, kind: u32): void {
  const sd = ObGetSystemSecurityDescriptor(kind);
  if (sd != 0) ObSetObjectSecurity(object, sd);
}

/** Creates a permanent directory with NT's descriptor of `kind` and returns it (the namespace keeps it alive). */
function ObpCreateSystemDirectory(path: string, kind: u32): usize {
  RtlInitUnicodeString(InitName, path);
  InitializeObjectAttributes(InitAttributes, InitName, OBJ_PERMANENT, 0, 0);
  let status = ObCreateDirectoryObject(InitOut, DIRECTORY_ALL_ACCESS, InitAttributes);
  if (!NT_SUCCESS(status)) ObpInitFailed(STEP_DIRECTORIES, status);
  const handle = load<u32>(InitOut);
  status = ObReferenceObjectByHandle(handle, 0, ObpDirectoryObjectType, InitOut, 0);
  if (!NT_SUCCESS(status)) ObpInitFailed(STEP_DIRECTORIES, status);
  const directory = load<usize>(InitOut);
  ObpProtect(directory, kind);
  ObDereferenceObject(directory);
  ObCloseHandle(handle);
  return directory;
}

/** Creates a permanent symbolic link. */
function ObpCreateSystemLink(path: string, target: string): void {
  RtlInitUnicodeString(InitName, path);
  RtlInitUnicodeString(InitTarget, target);
  InitializeObjectAttributes(InitAttributes, InitName, OBJ_PERMANENT, 0, 0);
  let status = ObCreateSymbolicLinkObject(InitOut, SYMBOLIC_LINK_ALL_ACCESS, InitAttributes, InitTarget);
  if (!NT_SUCCESS(status)) ObpInitFailed(STEP_LINKS, status);
  const handle = load<u32>(InitOut);
  status = ObReferenceObjectByHandle(handle, 0, ObpSymbolicLinkObjectType, InitOut, 0);
  if (!NT_SUCCESS(status)) ObpInitFailed(STEP_LINKS, status);
  ObpProtect(load<usize>(InitOut), OB_SECURITY_PUBLIC);
  ObDereferenceObject(load<usize>(InitOut));
  ObCloseHandle(handle);
}

/** Enters the types created before \ObjectTypes existed. */
function ObpNameEarlyTypes(): void {
  for (let i: u32 = 0; i < ObpObjectTypeCount; i++) {
    const status = ObpLinkIntoDirectory(ObpTypeDirectoryObject, load<usize>(ObpObjectTypes + (i << 2)));
    if (!NT_SUCCESS(status)) ObpInitFailed(STEP_TYPES, status);
  }
}

/**
 * One line that fits one console row, counted from the directories
 * themselves: "ob: namespace: 6 entries in \\, 3 types in \\ObjectTypes".
 */
function ObpLogNamespace(): void {
  KeLogFormat2("ob", "namespace: %u entries in \\, %u types in \\ObjectTypes", ObpDirectoryEntryCount(ObpRootDirectoryObject), ObpDirectoryEntryCount(ObpTypeDirectoryObject));
}

/** True when the structures have the sizes their layouts (obp.ts) say; folded at compile time. */
function ObpLayoutsMatch(): bool {
  return offsetof<OBJECT_HEADER>() == SIZEOF_OBJECT_HEADER
    && offsetof<OBJECT_HEADER_NAME_INFO>() == SIZEOF_OBJECT_HEADER_NAME_INFO
    && offsetof<OBJECT_TYPE>() == OBJECT_TYPE_INFO_OFFSET
    && offsetof<OBJECT_TYPE_INITIALIZER>() == SIZEOF_OBJECT_TYPE_INITIALIZER
    && offsetof<OBJECT_ATTRIBUTES>() == SIZEOF_OBJECT_ATTRIBUTES
    && offsetof<OBJECT_DIRECTORY_ENTRY>() == SIZEOF_OBJECT_DIRECTORY_ENTRY
    && offsetof<OBJECT_SYMBOLIC_LINK>() == SIZEOF_OBJECT_SYMBOLIC_LINK
    && offsetof<HANDLE_TABLE>() == SIZEOF_HANDLE_TABLE
    && offsetof<HANDLE_TABLE_ENTRY>() == SIZEOF_HANDLE_TABLE_ENTRY
    && offsetof<OBJECT_HANDLE_INFORMATION>() == SIZEOF_OBJECT_HANDLE_INFORMATION
    && offsetof<UNICODE_STRING>() == SIZEOF_UNICODE_STRING;
}

/** Phase 0 of the object manager: handle table, types, the namespace's top. */
export function ObInitSystem(): void {
  ExSetObjectRoutines(ObCreateServiceType, ObCreateObjectService, ObOpenObjectService, ObReferenceHandle, ObDereferenceObject); // Ex's objects are Ob's (ex/sync.ts)
  if (!ObpLayoutsMatch()) ObpInitFailed(STEP_LAYOUT, 0);
  if (!ObpInitializeHandleTables()) ObpInitFailed(STEP_HANDLE_TABLE, 0);
  ObpSetTypeObjectType(ObpCreateSystemType("Type", OB_TYPE_TAG,
    STANDARD_RIGHTS_READ, STANDARD_RIGHTS_WRITE, STANDARD_RIGHTS_EXECUTE, OBJECT_TYPE_ALL_ACCESS, SIZEOF_OBJECT_TYPE, null, null));
  ObpSetDirectoryObjectType(ObpCreateSystemType("Directory", 0,
    STANDARD_RIGHTS_READ | DIRECTORY_QUERY | DIRECTORY_TRAVERSE,
    STANDARD_RIGHTS_WRITE | DIRECTORY_CREATE_OBJECT | DIRECTORY_CREATE_SUBDIRECTORY,
    STANDARD_RIGHTS_EXECUTE | DIRECTORY_QUERY | DIRECTORY_TRAVERSE, DIRECTORY_ALL_ACCESS, SIZEOF_OBJECT_DIRECTORY, null, null));
  ObpSetSymbolicLinkObjectType(ObpCreateSystemType("SymbolicLink", 0,
    STANDARD_RIGHTS_READ | SYMBOLIC_LINK_QUERY, STANDARD_RIGHTS_WRITE, STANDARD_RIGHTS_EXECUTE | SYMBOLIC_LINK_QUERY,
    SYMBOLIC_LINK_ALL_ACCESS, SIZEOF_OBJECT_SYMBOLIC_LINK, ObpDeleteSymbolicLink, ObpParseSymbolicLink));
  ObpCreateRootDirectory();
  ObpSetTypeDirectoryObject(ObpCreateSystemDirectory("\\ObjectTypes", OB_SECURITY_PUBLIC));
  ObpNameEarlyTypes();
  ObpCreateSystemDirectory("\\Device", OB_SECURITY_PUBLIC);
  const global = ObpCreateSystemDirectory("\\GLOBAL??", OB_SECURITY_PUBLIC);
  if (!ObpCreateSystemDeviceMap(global)) ObpInitFailed(STEP_DIRECTORIES, 0);
  ObpCreateSystemLink("\\GLOBAL??\\Global", "\\GLOBAL??");
  ObpCreateSystemLink("\\GLOBAL??\\GLOBALROOT", "");
  ObpCreateSystemLink("\\DosDevices", "\\??");
  ObpCreateSystemDirectory("\\KernelObjects", OB_SECURITY_PUBLIC);
  ObpCreateSystemDirectory("\\BaseNamedObjects", OB_SECURITY_OPEN);
  ObpLogNamespace();
}

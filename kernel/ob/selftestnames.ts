// Object manager self-test, part 1: the namespace ObInitSystem built, names
// (create, open, OBJ_OPENIF, collisions, syntax errors, relative names,
// case), object lifetime (temporary, permanent, references) and symbolic
// links (through links, links to links, the reparse limit). Each test uses
// names of its own under \Device, \?? or \BaseNamedObjects and closes every
// handle it opens, so the temporary objects it made are gone at its end.

import {
  RtlEqualUnicodeStringToString, RtlInitEmptyUnicodeString, RtlNextPathComponent, RtlUnicodeString, RtlUpcaseUnicodeChar,
} from "../rtl/unicode";
import { ExPoolTagBytes } from "../ex/pool";
import {
  DELETE, DIRECTORY_ALL_ACCESS, DIRECTORY_QUERY, DUPLICATE_SAME_ACCESS, OB_DIRECTORY_KEY, OB_SYMBOLIC_LINK_KEY, OB_SYMLINK_TARGET_TAG, OBJECT_ATTRIBUTES, OBJECT_TYPE_OF, SYMBOLIC_LINK_ALL_ACCESS,
} from "./obp";
import { ObOpenDirectoryObject } from "./obdir";
import { ObCreateSymbolicLinkObject, ObQuerySymbolicLinkObject } from "./oblink";
import { ObCloseHandle, ObDuplicateObject, ObReferenceObjectByHandle } from "./obhandle";
import { ObOpenObjectByName } from "./obname";
import { ObMakePermanentHandle, ObMakeTemporaryHandle } from "./obquery";
import { ObDereferenceObject } from "./obref";
import {
  ObpDirectoryObjectType, ObpRootDirectoryObject, ObpSymbolicLinkObjectType, ObpTypeDirectoryObject, ObpTypeObjectType,
} from "./obp";
import {
  Attributes, AttributesOf, BASIC_ATTRIBUTES, BASIC_HANDLE_COUNT, BASIC_POINTER_COUNT, BasicField, Buffer, CreateDirectory, CreateLink,
  CreateLinkFromStrings, EntryIndex, EntryTypeIs, FullNameIs, Handle, HandleCount, HandleOut, ListDirectory, LengthOut,
  Name, NameString, NumberedName, NumberedTarget, ObjectOf, ObjectOut, Oa, OpenDirectory, OpenDirectoryWith, OpenLink, PointerCount,
  QueryBasic, TargetString, check, expect,
} from "./testutil";
import {
  STATUS_ACCESS_DENIED, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_EXISTS, STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_OBJECT_PATH_SYNTAX_BAD,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { NtCurrentProcess, OBJ_CASE_INSENSITIVE, OBJ_OPENIF, OBJ_PERMANENT } from "../sdk/ntdef";

/** A UNICODE_STRING for path splitting. */
const Component: usize = memory.data(8, 4);

/** Opens a directory, checks it is `object` and closes it again. */
function OpensAs(text: string, attributes: u32, object: usize, what: string, root: u32 = 0): bool {
  if (!expect(OpenDirectoryWith(text, attributes, root, DIRECTORY_ALL_ACCESS), STATUS_SUCCESS, what)) return false;
  const found = ObjectOf(Handle());
  ObCloseHandle(Handle());
  return check(found == object, what);
}

/** The root, the standard directories, \DosDevices and the three types of \ObjectTypes. */
export function TestNamespace(): bool {
  if (!expect(OpenDirectory("\\"), STATUS_SUCCESS, "open \\")) return false;
  const root = Handle();
  if (!check(ObjectOf(root) == ObpRootDirectoryObject, "\\ is the root directory")) return false;
  const count = ListDirectory(root);
  if (!check(count >= 6, "the root lists its entries")) return false;
  if (!check(EntryTypeIs(EntryIndex(count, "ObjectTypes"), "Directory"), "\\ObjectTypes is listed as a Directory")) return false;
  if (!check(EntryTypeIs(EntryIndex(count, "Device"), "Directory"), "\\Device is listed")) return false;
  if (!check(EntryTypeIs(EntryIndex(count, "GLOBAL??"), "Directory"), "\\GLOBAL?? is listed")) return false;
  if (!check(EntryIndex(count, "??") < 0, "\\?? is not an object of the root")) return false;
  if (!check(EntryTypeIs(EntryIndex(count, "KernelObjects"), "Directory"), "\\KernelObjects is listed")) return false;
  if (!check(EntryTypeIs(EntryIndex(count, "BaseNamedObjects"), "Directory"), "\\BaseNamedObjects is listed")) return false;
  if (!check(EntryTypeIs(EntryIndex(count, "DosDevices"), "SymbolicLink"), "\\DosDevices is listed as a SymbolicLink")) return false;
  ObCloseHandle(root);

  if (!expect(OpenDirectory("\\??"), STATUS_SUCCESS, "open \\??")) return false;
  const dosDevices = ObjectOf(Handle());
  ObCloseHandle(Handle());
  if (!OpensAs("\\GLOBAL??", 0, dosDevices, "the kernel's \\?? is \\GLOBAL??")) return false;
  if (!OpensAs("\\GLOBAL??\\Global", 0, dosDevices, "\\GLOBAL??\\Global leads to \\GLOBAL??")) return false;
  if (!OpensAs("\\??\\GLOBALROOT\\ObjectTypes", 0, ObpTypeDirectoryObject, "\\??\\GLOBALROOT leads to the root")) return false;
  if (!OpensAs("\\DosDevices", 0, dosDevices, "\\DosDevices leads to \\??")) return false;
  if (!expect(OpenLink("\\DosDevices"), STATUS_SUCCESS, "open the link \\DosDevices itself")) return false;
  const link = Handle();
  if (!check(OBJECT_TYPE_OF(ObjectOf(link)) == ObpSymbolicLinkObjectType, "\\DosDevices is a symbolic link")) return false;
  RtlInitEmptyUnicodeString(TargetString, Buffer, 64);
  if (!expect(ObQuerySymbolicLinkObject(link, TargetString, 0), STATUS_SUCCESS, "query \\DosDevices")) return false;
  if (!check(RtlEqualUnicodeStringToString(TargetString, "\\??", false), "\\DosDevices points to \\??")) return false;
  ObCloseHandle(link);

  const types = ObpTypeObjectType;
  if (!expect(ObOpenObjectByName(Oa("\\ObjectTypes\\Directory"), types, 0, HandleOut), STATUS_SUCCESS, "open \\ObjectTypes\\Directory")) return false;
  if (!check(ObjectOf(Handle()) == ObpDirectoryObjectType, "\\ObjectTypes\\Directory is the directory type")) return false;
  ObCloseHandle(Handle());
  if (!expect(ObOpenObjectByName(Oa("\\ObjectTypes\\SymbolicLink"), types, 0, HandleOut), STATUS_SUCCESS, "open \\ObjectTypes\\SymbolicLink")) return false;
  if (!check(ObjectOf(Handle()) == ObpSymbolicLinkObjectType, "\\ObjectTypes\\SymbolicLink is the link type")) return false;
  ObCloseHandle(Handle());
  if (!expect(ObOpenObjectByName(Oa("\\ObjectTypes\\Type"), types, 0, HandleOut), STATUS_SUCCESS, "open \\ObjectTypes\\Type")) return false;
  if (!check(ObjectOf(Handle()) == types && OBJECT_TYPE_OF(types) == types, "the type Type is its own type")) return false;
  ObCloseHandle(Handle());
  return true;
}

/** Create, open, OBJ_OPENIF, collisions, malformed names and attributes, relative names, wrong types. */
export function TestCreateOpen(): bool {
  if (!expect(CreateDirectory("\\Device\\ObTest"), STATUS_SUCCESS, "create \\Device\\ObTest")) return false;
  const first = Handle();
  if (!check(first != 0 && (first & 3) == 0, "a handle is a nonzero multiple of 4")) return false;
  const test = ObjectOf(first);
  store<u32>(HandleOut, 0x1234);
  if (!expect(CreateDirectory("\\Device\\ObTest"), STATUS_OBJECT_NAME_COLLISION, "create an existing name")) return false;
  if (!check(Handle() == 0x1234, "a failed create writes no handle")) return false;
  if (!expect(CreateDirectory("\\Device\\ObTest", OBJ_OPENIF), STATUS_OBJECT_NAME_EXISTS, "OBJ_OPENIF on an existing directory")) return false;
  const second = Handle();
  if (!check(second != first && ObjectOf(second) == test, "OBJ_OPENIF opens the existing object")) return false;
  if (!expect(CreateLink("\\Device\\ObTest", "\\Device", OBJ_OPENIF), STATUS_OBJECT_TYPE_MISMATCH, "OBJ_OPENIF of a link over a directory")) return false;
  if (!expect(CreateLink("\\Device\\ObTest", "\\Device"), STATUS_OBJECT_NAME_COLLISION, "a link over a directory's name")) return false;
  if (!OpensAs("\\Device\\ObTest", 0, test, "open \\Device\\ObTest")) return false;
  if (!expect(OpenDirectory("\\Device\\ObMissing"), STATUS_OBJECT_NAME_NOT_FOUND, "open a missing name")) return false;
  if (!expect(OpenDirectory("\\Device\\ObMissing\\X"), STATUS_OBJECT_PATH_NOT_FOUND, "open under a missing directory")) return false;
  if (!expect(CreateDirectory("\\Device\\ObMissing\\X"), STATUS_OBJECT_PATH_NOT_FOUND, "create under a missing directory")) return false;
  if (!expect(OpenDirectory("Device"), STATUS_OBJECT_PATH_SYNTAX_BAD, "a relative name without a root")) return false;
  if (!expect(OpenDirectory(""), STATUS_OBJECT_PATH_SYNTAX_BAD, "an empty name without a root")) return false;
  if (!expect(OpenDirectory("\\Device\\\\ObTest"), STATUS_OBJECT_NAME_INVALID, "an empty component")) return false;
  if (!expect(OpenDirectory("\\Device\\"), STATUS_OBJECT_NAME_INVALID, "a trailing backslash")) return false;
  AttributesOf(Name("\\Device\\ObTest"), 0, 0);
  RtlUnicodeString(NameString).Length = 5;
  if (!expect(ObOpenDirectoryObject(HandleOut, DIRECTORY_QUERY, Attributes), STATUS_OBJECT_NAME_INVALID, "a name of odd length")) return false;
  if (!expect(ObOpenDirectoryObject(HandleOut, DIRECTORY_QUERY, 0), STATUS_INVALID_PARAMETER, "no OBJECT_ATTRIBUTES")) return false;
  Oa("\\Device");
  changetype<OBJECT_ATTRIBUTES>(Attributes).Length = 20;
  if (!expect(ObOpenDirectoryObject(HandleOut, DIRECTORY_QUERY, Attributes), STATUS_INVALID_PARAMETER, "a wrong OBJECT_ATTRIBUTES.Length")) return false;
  if (!expect(OpenDirectoryWith("\\Device", 0x800, 0, DIRECTORY_ALL_ACCESS), STATUS_INVALID_PARAMETER, "an undefined attribute")) return false;
  if (!expect(OpenDirectoryWith("\\Device", 0x1, 0, DIRECTORY_ALL_ACCESS), STATUS_INVALID_PARAMETER, "OBJ_PROTECT_CLOSE in OBJECT_ATTRIBUTES")) return false;
  if (!expect(OpenLink("\\Device"), STATUS_OBJECT_TYPE_MISMATCH, "a directory opened as a link")) return false;
  if (!expect(OpenDirectory("\\ObjectTypes\\Directory\\X"), STATUS_OBJECT_TYPE_MISMATCH, "a path through a type object")) return false;

  if (!expect(OpenDirectory("\\Device"), STATUS_SUCCESS, "open \\Device")) return false;
  const device = Handle();
  if (!OpensAs("ObTest", 0, test, "a name relative to \\Device", device)) return false;
  if (!expect(OpenDirectoryWith("", 0, device, DIRECTORY_ALL_ACCESS), STATUS_SUCCESS, "an empty name relative to \\Device")) return false;
  if (!check(ObjectOf(Handle()) == ObjectOf(device), "an empty relative name opens the root directory handle's object")) return false;
  ObCloseHandle(Handle());
  if (!expect(OpenDirectoryWith("\\ObTest", 0, device, DIRECTORY_ALL_ACCESS), STATUS_OBJECT_PATH_SYNTAX_BAD, "an absolute name with a root")) return false;
  if (!expect(OpenDirectoryWith("ObTest", 0, 0x7FFC, DIRECTORY_ALL_ACCESS), STATUS_INVALID_HANDLE, "a relative name with a bad root handle")) return false;
  if (!expect(CreateDirectory("ObRelative", 0, device), STATUS_SUCCESS, "create relative to \\Device")) return false;
  const relative = Handle();
  if (!check(FullNameIs(relative, "\\Device\\ObRelative"), "a relative create names the object under its root")) return false;
  ObCloseHandle(relative);
  if (!expect(OpenDirectory("\\Device\\ObRelative"), STATUS_OBJECT_NAME_NOT_FOUND, "the relative object went with its handle")) return false;

  if (!expect(OpenLink("\\DosDevices"), STATUS_SUCCESS, "open \\DosDevices as a link")) return false;
  const link = Handle();
  if (!expect(OpenDirectoryWith("X", 0, link, DIRECTORY_ALL_ACCESS), STATUS_OBJECT_TYPE_MISMATCH, "a relative name under a link")) return false;
  if (!expect(OpenDirectoryWith("", 0, link, DIRECTORY_ALL_ACCESS), STATUS_SUCCESS, "an empty name relative to a link follows it")) return false;
  const followed = ObjectOf(Handle());
  ObCloseHandle(Handle());
  if (!OpensAs("\\??", 0, followed, "the link root leads to \\??")) return false;
  ObCloseHandle(link);
  ObCloseHandle(device);
  ObCloseHandle(first);
  if (!expect(ObCloseHandle(second), STATUS_SUCCESS, "close the last handle of \\Device\\ObTest")) return false;
  return expect(OpenDirectory("\\Device\\ObTest"), STATUS_OBJECT_NAME_NOT_FOUND, "a temporary directory goes with its last handle");
}

/** Exact and case-insensitive names, with the upcase table beyond ASCII. */
export function TestCase(): bool {
  if (!check(RtlUpcaseUnicodeChar(0x61) == 0x41 && RtlUpcaseUnicodeChar(0x7A) == 0x5A && RtlUpcaseUnicodeChar(0x41) == 0x41, "upcase ASCII")) return false;
  if (!check(RtlUpcaseUnicodeChar(0xE9) == 0xC9 && RtlUpcaseUnicodeChar(0xF7) == 0xF7 && RtlUpcaseUnicodeChar(0xFF) == 0x178, "upcase Latin-1")) return false;
  if (!check(RtlUpcaseUnicodeChar(0x101) == 0x100 && RtlUpcaseUnicodeChar(0x17E) == 0x17D && RtlUpcaseUnicodeChar(0x3B1) == 0x391
    && RtlUpcaseUnicodeChar(0x430) == 0x410 && RtlUpcaseUnicodeChar(0x451) == 0x401, "upcase Latin Extended-A, Greek, Cyrillic")) return false;
  const remaining = Name("\\A\\BC"), component = Component;
  if (!check(RtlNextPathComponent(remaining, component) == 2 && RtlEqualUnicodeStringToString(component, "A", false)
    && RtlEqualUnicodeStringToString(remaining, "\\BC", false), "split \\A\\BC at its first backslash")) return false;
  if (!check(RtlNextPathComponent(remaining, component) == 4 && RtlUnicodeString(remaining).Length == 0, "split off the last component")) return false;

  if (!expect(CreateDirectory("\\Device\\ObCase"), STATUS_SUCCESS, "create \\Device\\ObCase")) return false;
  const mixed = Handle(), mixedObject = ObjectOf(mixed);
  if (!OpensAs("\\DEVICE\\obcase", OBJ_CASE_INSENSITIVE, mixedObject, "a case-insensitive open")) return false;
  if (!expect(OpenDirectory("\\Device\\OBCASE"), STATUS_OBJECT_NAME_NOT_FOUND, "an exact open with other case")) return false;
  if (!expect(OpenDirectory("\\DEVICE\\ObCase"), STATUS_OBJECT_PATH_NOT_FOUND, "an exact path with other case")) return false;
  if (!expect(CreateDirectory("\\Device\\obcase", OBJ_CASE_INSENSITIVE), STATUS_OBJECT_NAME_COLLISION, "a case-insensitive create collides")) return false;
  if (!expect(CreateDirectory("\\Device\\OBCASE"), STATUS_SUCCESS, "an exact create of another case is another name")) return false;
  const upper = Handle();
  if (!check(ObjectOf(upper) != mixedObject, "two names differing in case are two objects")) return false;
  if (!OpensAs("\\Device\\OBCASE", 0, ObjectOf(upper), "an exact open finds its own case")) return false;
  if (!expect(CreateDirectory("\\Device\\Ob\u00C9t\u00E9"), STATUS_SUCCESS, "create a Latin-1 name")) return false;
  const latin = Handle();
  if (!OpensAs("\\Device\\OB\u00C9T\u00C9", OBJ_CASE_INSENSITIVE, ObjectOf(latin), "a case-insensitive Latin-1 open")) return false;
  if (!OpensAs("\\Device\\ob\u00E9t\u00E9", OBJ_CASE_INSENSITIVE, ObjectOf(latin), "a lowercase Latin-1 open")) return false;
  if (!expect(OpenDirectory("\\Device\\OB\u00C9T\u00C9"), STATUS_OBJECT_NAME_NOT_FOUND, "an exact Latin-1 open with other case")) return false;
  ObCloseHandle(mixed);
  ObCloseHandle(upper);
  ObCloseHandle(latin);
  return expect(OpenDirectory("\\Device\\ObCase"), STATUS_OBJECT_NAME_NOT_FOUND, "the case test's directories are gone");
}

/** Temporary and permanent objects, references that outlive names, a directory that outlives its name. */
export function TestLifetime(): bool {
  if (!expect(CreateDirectory("\\BaseNamedObjects\\ObTemp"), STATUS_SUCCESS, "create a temporary directory")) return false;
  const first = Handle();
  if (!expect(ObDuplicateObject(NtCurrentProcess, first, NtCurrentProcess, HandleOut, 0, 0, DUPLICATE_SAME_ACCESS), STATUS_SUCCESS, "duplicate it")) return false;
  const second = Handle();
  ObCloseHandle(first);
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObTemp"), STATUS_SUCCESS, "the name stays while a handle is open")) return false;
  ObCloseHandle(Handle());
  ObCloseHandle(second);
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObTemp"), STATUS_OBJECT_NAME_NOT_FOUND, "the name goes with the last handle")) return false;

  const directoryBytes = ExPoolTagBytes(OB_DIRECTORY_KEY);
  if (!expect(CreateDirectory("\\BaseNamedObjects\\ObTemp"), STATUS_SUCCESS, "create it again")) return false;
  const handle = Handle();
  if (!expect(QueryBasic(handle), STATUS_SUCCESS, "query its basic information")) return false;
  if (!check(BasicField(BASIC_HANDLE_COUNT) == 1, "one handle")) return false;
  if (!check(BasicField(BASIC_POINTER_COUNT) == 3, "three references: the handle, the name, the query")) return false;
  if (!check((BasicField(BASIC_ATTRIBUTES) & OBJ_PERMANENT) == 0, "not permanent")) return false;
  if (!expect(ObReferenceObjectByHandle(handle, 0, ObpDirectoryObjectType, ObjectOut, 0), STATUS_SUCCESS, "reference it")) return false;
  const object = load<usize>(ObjectOut);
  ObCloseHandle(handle);
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObTemp"), STATUS_OBJECT_NAME_NOT_FOUND, "a reference does not keep the name")) return false;
  if (!check(PointerCount(object) == 1 && HandleCount(object) == 0, "the reference keeps the object")) return false;
  ObDereferenceObject(object);
  if (!check(ExPoolTagBytes(OB_DIRECTORY_KEY) == directoryBytes, "the last reference frees it")) return false;

  if (!expect(CreateDirectory("\\BaseNamedObjects\\ObPermanent", OBJ_PERMANENT), STATUS_SUCCESS, "create a permanent directory")) return false;
  if (!expect(QueryBasic(Handle()), STATUS_SUCCESS, "query it") || !check((BasicField(BASIC_ATTRIBUTES) & OBJ_PERMANENT) != 0, "OBJ_PERMANENT shows")) return false;
  ObCloseHandle(Handle());
  if (!expect(OpenDirectoryWith("\\BaseNamedObjects\\ObPermanent", 0, 0, DIRECTORY_QUERY), STATUS_SUCCESS, "a permanent name stays without handles")) return false;
  if (!expect(ObMakeTemporaryHandle(Handle()), STATUS_ACCESS_DENIED, "NtMakeTemporaryObject needs DELETE access")) return false;
  ObCloseHandle(Handle());
  if (!expect(OpenDirectoryWith("\\BaseNamedObjects\\ObPermanent", 0, 0, DELETE), STATUS_SUCCESS, "open it for DELETE")) return false;
  const permanent = Handle();
  if (!expect(ObMakeTemporaryHandle(permanent), STATUS_SUCCESS, "make it temporary")) return false;
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObPermanent"), STATUS_SUCCESS, "the name stays while a handle is open")) return false;
  ObCloseHandle(Handle());
  ObCloseHandle(permanent);
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObPermanent"), STATUS_OBJECT_NAME_NOT_FOUND, "made temporary, it goes with its last handle")) return false;

  if (!expect(CreateDirectory("\\BaseNamedObjects\\ObLater"), STATUS_SUCCESS, "create a temporary directory")) return false;
  if (!expect(ObMakePermanentHandle(Handle()), STATUS_SUCCESS, "make it permanent")) return false;
  ObCloseHandle(Handle());
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObLater"), STATUS_SUCCESS, "made permanent, it stays without handles")) return false;
  if (!expect(ObMakeTemporaryHandle(Handle()), STATUS_SUCCESS, "make it temporary again")) return false;
  ObCloseHandle(Handle());
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObLater"), STATUS_OBJECT_NAME_NOT_FOUND, "and it goes")) return false;

  if (!expect(CreateDirectory("\\BaseNamedObjects\\ObParent"), STATUS_SUCCESS, "create a parent directory")) return false;
  const parent = Handle();
  if (!expect(CreateDirectory("\\BaseNamedObjects\\ObParent\\Child"), STATUS_SUCCESS, "create a child in it")) return false;
  const child = Handle();
  if (!check(FullNameIs(child, "\\BaseNamedObjects\\ObParent\\Child"), "the child's full name")) return false;
  ObCloseHandle(parent);
  if (!expect(OpenDirectory("\\BaseNamedObjects\\ObParent"), STATUS_OBJECT_NAME_NOT_FOUND, "the parent's name goes with its handle")) return false;
  if (!check(FullNameIs(child, "\\...\\Child"), "a child of an unnamed directory shows \\...\\Child, as in NT")) return false;
  ObCloseHandle(child);
  return check(ExPoolTagBytes(OB_DIRECTORY_KEY) == directoryBytes, "the child's last handle frees child and parent");
}

/** Builds <prefix>0 .. <prefix>(count - 1), each a link to the one before, the first to \Device\ObLinked0. */
function CreateChain(prefix: string, count: u32, handles: usize): bool {
  for (let i: u32 = 0; i < count; i++) {
    if (i == 0) NumberedTarget("\\Device\\ObLinked", 0);
    else NumberedTarget(prefix, i - 1);
    NumberedName(prefix, i);
    if (!expect(CreateLinkFromStrings(0), STATUS_SUCCESS, "create a link of a chain")) return false;
    store<u32>(handles + (i << 2), Handle());
  }
  return true;
}

function CloseHandles(handles: usize, count: u32): void {
  for (let i: u32 = 0; i < count; i++) ObCloseHandle(load<u32>(handles + (i << 2)));
}

const ChainHandles: usize = memory.data(33 * 4, 4);
const LinkHandles: usize = memory.data(16 * 4, 4);

/** Lookups through links, links to links, reparse rules, the reparse limit, NtQuerySymbolicLinkObject. */
export function TestLinks(): bool {
  const linkBytes = ExPoolTagBytes(OB_SYMBOLIC_LINK_KEY), targetBytes = ExPoolTagBytes(OB_SYMLINK_TARGET_TAG);
  if (!expect(CreateDirectory("\\Device\\ObLinked0"), STATUS_SUCCESS, "create \\Device\\ObLinked0")) return false;
  const device = Handle(), deviceObject = ObjectOf(device);
  let links: u32 = 0;
  if (!expect(CreateLink("\\??\\ObX", "\\Device\\ObLinked0"), STATUS_SUCCESS, "create \\??\\ObX -> \\Device\\ObLinked0")) return false;
  store<u32>(LinkHandles + (links++ << 2), Handle());
  if (!OpensAs("\\??\\ObX", 0, deviceObject, "open through a link")) return false;
  if (!expect(CreateDirectory("\\??\\ObX\\Sub"), STATUS_SUCCESS, "create through a link")) return false;
  const sub = Handle(), subObject = ObjectOf(sub);
  if (!check(FullNameIs(sub, "\\Device\\ObLinked0\\Sub"), "an object created through a link is named where it lives")) return false;
  if (!expect(CreateLink("\\??\\ObY", "\\??\\ObX"), STATUS_SUCCESS, "create \\??\\ObY -> \\??\\ObX")) return false;
  const y = Handle();
  store<u32>(LinkHandles + (links++ << 2), y);
  if (!OpensAs("\\??\\ObY\\Sub", 0, subObject, "open through a link to a link")) return false;
  if (!OpensAs("\\DosDevices\\ObY\\Sub", 0, subObject, "open through three links")) return false;
  if (!OpensAs("\\DosDevices\\ObY\\sub", OBJ_CASE_INSENSITIVE, subObject, "a case-insensitive open through links")) return false;
  if (!expect(OpenDirectory("\\DosDevices\\ObY\\sub"), STATUS_OBJECT_NAME_NOT_FOUND, "an exact open through links")) return false;
  if (!expect(CreateLink("\\??\\ObZ", "\\Device\\"), STATUS_SUCCESS, "create \\??\\ObZ -> \\Device\\")) return false;
  store<u32>(LinkHandles + (links++ << 2), Handle());
  if (!OpensAs("\\??\\ObZ\\ObLinked0", 0, deviceObject, "a target ending in \\ joins the rest with one \\")) return false;
  if (!expect(CreateLink("\\??\\ObRoot", "\\"), STATUS_SUCCESS, "create \\??\\ObRoot -> \\")) return false;
  store<u32>(LinkHandles + (links++ << 2), Handle());
  if (!OpensAs("\\??\\ObRoot", 0, ObpRootDirectoryObject, "a link to \\ opens the root")) return false;
  if (!OpensAs("\\??\\ObRoot\\Device\\ObLinked0", 0, deviceObject, "a path through a link to \\")) return false;
  if (!expect(CreateDirectory("\\??\\ObY", OBJ_OPENIF), STATUS_OBJECT_NAME_EXISTS, "OBJ_OPENIF of a directory over links to one")) return false;
  if (!check(ObjectOf(Handle()) == deviceObject, "the links are followed to the existing directory")) return false;
  ObCloseHandle(Handle());
  if (!expect(CreateLink("\\??\\ObY", "\\X"), STATUS_OBJECT_NAME_COLLISION, "a link over a link's name")) return false;
  if (!expect(CreateLink("\\??\\ObY", "\\X", OBJ_OPENIF), STATUS_OBJECT_NAME_EXISTS, "OBJ_OPENIF of a link over a link")) return false;
  if (!check(ObjectOf(Handle()) == ObjectOf(y), "OBJ_OPENIF opens the existing link")) return false;
  ObCloseHandle(Handle());

  if (!expect(OpenLink("\\??\\ObY"), STATUS_SUCCESS, "open the link \\??\\ObY itself")) return false;
  const opened = Handle();
  const target = TargetString;
  RtlInitEmptyUnicodeString(target, Buffer, 4);
  if (!expect(ObQuerySymbolicLinkObject(opened, target, LengthOut), STATUS_BUFFER_TOO_SMALL, "query into 4 bytes")) return false;
  if (!check(load<u32>(LengthOut) == 16, "the target needs 16 bytes with its NUL")) return false;
  RtlInitEmptyUnicodeString(target, Buffer, 14);
  if (!expect(ObQuerySymbolicLinkObject(opened, target, LengthOut), STATUS_BUFFER_TOO_SMALL, "with a returned length the NUL must fit too")) return false;
  if (!expect(ObQuerySymbolicLinkObject(opened, target, 0), STATUS_SUCCESS, "without one the text alone fits")) return false;
  if (!check(RtlEqualUnicodeStringToString(target, "\\??\\ObX", false), "the target is \\??\\ObX")) return false;
  RtlInitEmptyUnicodeString(target, Buffer, 16);
  store<u16>(Buffer + 14, 0xFFFF);
  if (!expect(ObQuerySymbolicLinkObject(opened, target, LengthOut), STATUS_SUCCESS, "query into 16 bytes")) return false;
  if (!check(load<u16>(Buffer + 14) == 0 && RtlUnicodeString(target).Length == 14, "the NUL is copied with the text")) return false;
  if (!expect(ObQuerySymbolicLinkObject(device, target, 0), STATUS_OBJECT_TYPE_MISMATCH, "query a directory as a link")) return false;
  ObCloseHandle(opened);

  if (!expect(CreateLink("\\??\\ObLoop1", "\\??\\ObLoop2"), STATUS_SUCCESS, "create a loop, part 1")) return false;
  store<u32>(LinkHandles + (links++ << 2), Handle());
  if (!expect(CreateLink("\\??\\ObLoop2", "\\??\\ObLoop1"), STATUS_SUCCESS, "create a loop, part 2")) return false;
  store<u32>(LinkHandles + (links++ << 2), Handle());
  if (!expect(OpenDirectory("\\??\\ObLoop1"), STATUS_OBJECT_NAME_NOT_FOUND, "a loop of links ends as NT ends it")) return false;
  if (!expect(OpenLink("\\??\\ObLoop1"), STATUS_SUCCESS, "a link in a loop opens itself")) return false;
  ObCloseHandle(Handle());
  if (!expect(CreateLink("\\??\\ObDangling", "\\Device\\ObNowhere"), STATUS_SUCCESS, "create a dangling link")) return false;
  store<u32>(LinkHandles + (links++ << 2), Handle());
  if (!expect(OpenDirectory("\\??\\ObDangling"), STATUS_OBJECT_NAME_NOT_FOUND, "open a dangling link")) return false;
  if (!expect(OpenDirectory("\\??\\ObDangling\\X"), STATUS_OBJECT_PATH_NOT_FOUND, "open under a dangling link")) return false;
  if (!expect(CreateLink("\\??\\ObRelative", "Device"), STATUS_SUCCESS, "create a link with a relative target")) return false;
  store<u32>(LinkHandles + (links++ << 2), Handle());
  if (!expect(OpenDirectory("\\??\\ObRelative"), STATUS_OBJECT_NAME_NOT_FOUND, "a relative target resolves nowhere")) return false;
  RtlInitEmptyUnicodeString(TargetString, Buffer, 8);
  RtlUnicodeString(TargetString).Length = 3;
  if (!expect(ObCreateSymbolicLinkObject(HandleOut, SYMBOLIC_LINK_ALL_ACCESS, Oa("\\??\\ObOdd"), TargetString), STATUS_INVALID_PARAMETER,
    "a target of odd length")) return false;

  // 31 reparses are allowed, the 32nd is not (OBJ_MAX_REPARSE_ATTEMPTS).
  if (!CreateChain("\\??\\ObChain", 31, ChainHandles)) return false;
  if (!OpensAs("\\??\\ObChain30", 0, deviceObject, "a chain of 31 links")) return false;
  NumberedName("\\??\\ObChain", 31);
  NumberedTarget("\\??\\ObChain", 30);
  if (!expect(CreateLinkFromStrings(0), STATUS_SUCCESS, "a 32nd link")) return false;
  store<u32>(ChainHandles + (31 << 2), Handle());
  if (!expect(OpenDirectory("\\??\\ObChain31"), STATUS_OBJECT_NAME_NOT_FOUND, "a chain of 32 links is too long")) return false;
  CloseHandles(ChainHandles, 32);
  CloseHandles(LinkHandles, links);
  ObCloseHandle(sub);
  ObCloseHandle(device);
  if (!expect(OpenDirectory("\\??\\ObX"), STATUS_OBJECT_NAME_NOT_FOUND, "the links went with their handles")) return false;
  return check(ExPoolTagBytes(OB_SYMBOLIC_LINK_KEY) == linkBytes && ExPoolTagBytes(OB_SYMLINK_TARGET_TAG) == targetBytes,
    "the links and their targets went back to the pool");
}

// The object manager's structures and constants (NT's ob.h and obp.h).
//
// Every object is one nonpaged pool block, tagged with its type's key:
//
//   +---------------------------+  only when created with a name
//   | OBJECT_HEADER_NAME_INFO   |  Directory, Name (UNICODE_STRING), 16 bytes
//   +---------------------------+
//   | OBJECT_HEADER             |  PointerCount, HandleCount, Type, ..., 24 bytes
//   +---------------------------+  <- the object: every pointer to an object
//   | body                      |     points here, as in NT
//   +---------------------------+
//
// PointerCount counts references: one per handle, one for the directory
// entry of a named object, one per ObReferenceObject. HandleCount counts
// handles. A temporary named object leaves its directory when HandleCount
// drops to 0; any object is deleted (type's delete procedure, pool free)
// when PointerCount drops to 0. OB_FLAG_PERMANENT_OBJECT keeps the name,
// and so the directory's reference, after the last handle.
//
// The service-side structures (OBJECT_ATTRIBUTES, OBJECT_BASIC_INFORMATION,
// ...) have their real 32-bit layouts: they cross the native API boundary.

import { cli, read_eflags, sti } from "../sdk/intrinsics";
import { UNICODE_STRING } from "../rtl/unicode";
import { OBJ_INHERIT, STANDARD_RIGHTS_REQUIRED } from "../sdk/ntdef";

// ---- the object manager's lock ----
//
// One lock serializes the object manager: interrupts off, this uniprocessor
// kernel's DISPATCH_LEVEL (as KiLockDispatcher). It nests: each acquire
// returns the previous interrupt flag for its release. The public entry
// points (Nt* services, exported Ob* routines) take it; the Obp* helpers run
// under it, and so do the types' procedures, which therefore must not wait.
// It also makes the module-level out-parameter slots safe to use.

const EFLAGS_IF: u32 = 0x200;
@inline export function ObpAcquireLock(): u32 { const state = read_eflags() & EFLAGS_IF; cli(); return state; }
@inline export function ObpReleaseLock(state: u32): void { if (state != 0) sti(); }
/**
 * The same lock for the components whose objects Ob's procedures read under
 * it (Cm's keys as a parse routine walks them, Se's tokens as an access
 * check reads them): they change them holding it.
 */
@inline export function ObAcquireObjectLock(): u32 { return ObpAcquireLock(); }
@inline export function ObReleaseObjectLock(state: u32): void { ObpReleaseLock(state); }

// ---- OBJECT_ATTRIBUTES.Attributes (ntdef.h) ----

export const OBJ_PROTECT_CLOSE: u32 = 0x00000001;  // handle attribute only (NtSetInformationObject, NtDuplicateObject)
export const OBJ_AUDIT_OBJECT_CLOSE: u32 = 0x00000004; // handle attribute only
/** The attributes a handle table entry keeps, in the low bits of its object pointer. */
export const OBJ_HANDLE_ATTRIBUTES: u32 = OBJ_PROTECT_CLOSE | OBJ_INHERIT | OBJ_AUDIT_OBJECT_CLOSE;

// ---- access rights (winnt.h): the SDK's, here for Ob's users ----

export {
  DELETE, READ_CONTROL, WRITE_DAC, WRITE_OWNER, SYNCHRONIZE, STANDARD_RIGHTS_REQUIRED, STANDARD_RIGHTS_READ, STANDARD_RIGHTS_WRITE,
  STANDARD_RIGHTS_EXECUTE, MAXIMUM_ALLOWED, GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE, GENERIC_ALL,
} from "../sdk/ntdef";

export const OBJECT_TYPE_CREATE: u32 = 0x0001;
export const OBJECT_TYPE_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | 0x1;
export const DIRECTORY_QUERY: u32 = 0x0001;
export const DIRECTORY_TRAVERSE: u32 = 0x0002;
export const DIRECTORY_CREATE_OBJECT: u32 = 0x0004;
export const DIRECTORY_CREATE_SUBDIRECTORY: u32 = 0x0008;
export const DIRECTORY_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | 0xF;
export const SYMBOLIC_LINK_QUERY: u32 = 0x0001;
export const SYMBOLIC_LINK_ALL_ACCESS: u32 = STANDARD_RIGHTS_REQUIRED | 0x1;

// ---- NtDuplicateObject options ----

export const DUPLICATE_CLOSE_SOURCE: u32 = 0x00000001;
export const DUPLICATE_SAME_ACCESS: u32 = 0x00000002;
export const DUPLICATE_SAME_ATTRIBUTES: u32 = 0x00000004;

// ---- NtQueryObject / NtSetInformationObject classes ----

export const ObjectBasicInformation: u32 = 0;
export const ObjectNameInformation: u32 = 1;
export const ObjectTypeInformation: u32 = 2;
export const ObjectTypesInformation: u32 = 3;
export const ObjectHandleFlagInformation: u32 = 4;

/** OBJECT_BASIC_INFORMATION: Attributes, GrantedAccess, HandleCount, PointerCount, PagedPoolCharge,
 *  NonPagedPoolCharge, Reserved[3], NameInfoSize, TypeInfoSize, SecurityDescriptorSize, CreationTime. */
export const SIZEOF_OBJECT_BASIC_INFORMATION: u32 = 56;
/** OBJECT_NAME_INFORMATION: a UNICODE_STRING, the text follows it. */
export const SIZEOF_OBJECT_NAME_INFORMATION: u32 = 8;
/** OBJECT_TYPE_INFORMATION (x86): TypeName, twelve counters, InvalidAttributes, GenericMapping, ... */
export const SIZEOF_OBJECT_TYPE_INFORMATION: u32 = 96;
/** OBJECT_DIRECTORY_INFORMATION: Name and TypeName, two UNICODE_STRINGs. */
export const SIZEOF_OBJECT_DIRECTORY_INFORMATION: u32 = 16;
/** OBJECT_HANDLE_FLAG_INFORMATION: BOOLEAN Inherit, BOOLEAN ProtectFromClose. */
export const SIZEOF_OBJECT_HANDLE_FLAG_INFORMATION: u32 = 2;

// ---- handles ----

/** Handles with this bit (other than the pseudo handles) index the kernel handle table. */
export const KERNEL_HANDLE_FLAG: u32 = 0x80000000;

// ---- the longest chain of reparses a lookup follows (ntobapi.h) ----

export const OBJ_MAX_REPARSE_ATTEMPTS: u32 = 32;

// ---- OBJECT_HEADER.Flags ----

export const OB_FLAG_NEW_OBJECT: u8 = 0x01;       // created, not yet inserted (ObjectCreateInfo valid)
export const OB_FLAG_KERNEL_OBJECT: u8 = 0x02;
export const OB_FLAG_CREATOR_INFO: u8 = 0x04;
export const OB_FLAG_EXCLUSIVE_OBJECT: u8 = 0x08;
export const OB_FLAG_PERMANENT_OBJECT: u8 = 0x10;
export const OB_FLAG_SECURITY: u8 = 0x20;
export const OB_FLAG_SINGLE_PROCESS: u8 = 0x40;

// ---- pool tags, as NT names them ----

export const OB_TYPE_TAG: u32 = 0x546A624F;        // 'ObjT' object type objects
export const OB_NAME_TAG: u32 = 0x6D4E624F;        // 'ObNm' object names and lookup buffers
export const OB_DIR_TAG: u32 = 0x6944624F;         // 'ObDi' directory entries
export const OB_SYMLINK_TARGET_TAG: u32 = 0x546D7953; // 'SymT' symbolic link targets
export const OB_HANDLE_TABLE_TAG: u32 = 0x6274624F; // 'Obtb' handle tables
// Directories and symbolic links are tagged with their type's key: 'Dire' and 'Symb'.
export const OB_DIRECTORY_KEY: u32 = 0x65726944;   // 'Dire'
export const OB_SYMBOLIC_LINK_KEY: u32 = 0x626D7953; // 'Symb'

// ---- OBJECT_ATTRIBUTES: 24 bytes ----

@unmanaged export class OBJECT_ATTRIBUTES {
  Length: u32;                   // sizeof(OBJECT_ATTRIBUTES), checked
  RootDirectory: u32;            // handle the name is relative to, or 0
  ObjectName: usize;             // PUNICODE_STRING, or 0
  Attributes: u32;               // OBJ_*
  SecurityDescriptor: usize;     // ignored: no security yet
  SecurityQualityOfService: usize;
}
export const SIZEOF_OBJECT_ATTRIBUTES: u32 = 24;

/** NT's InitializeObjectAttributes macro. */
export function InitializeObjectAttributes(attributes: usize, name: usize, flags: u32, root: u32, securityDescriptor: usize): void {
  const oa = changetype<OBJECT_ATTRIBUTES>(attributes);
  oa.Length = SIZEOF_OBJECT_ATTRIBUTES;
  oa.RootDirectory = root;
  oa.ObjectName = name;
  oa.Attributes = flags;
  oa.SecurityDescriptor = securityDescriptor;
  oa.SecurityQualityOfService = 0;
}

// ---- the object header and its optional name information ----

@unmanaged export class OBJECT_HEADER_NAME_INFO {
  Directory: usize;              // the directory holding the name, 0 once removed
  NameLength: u16;               // +4: Name, a UNICODE_STRING over an 'ObNm' buffer
  NameMaximumLength: u16;
  NameBuffer: usize;
  Reserved: u32;
}
export const SIZEOF_OBJECT_HEADER_NAME_INFO: u32 = 16;
/** The Name UNICODE_STRING inside a name info. */
@inline export function OBJECT_NAME_INFO_NAME(nameInfo: usize): usize { return nameInfo + 4; }

/**
 * OBJECT_HEADER_QUOTA_INFO: what creating the object charged (ex/quota.ts)
 * and to whom, so deleting it returns exactly that. It comes first in the
 * block, before the name info, as in NT. NT keeps the charging process in
 * ExclusiveProcess and the block in the header; here the block is here.
 */
@unmanaged export class OBJECT_HEADER_QUOTA_INFO {
  PagedPoolCharge: u32;          // the name, its copy and its directory entry
  NonPagedPoolCharge: u32;       // the block itself (and what the type adds: DefaultNonPagedPoolCharge)
  SecurityDescriptorCharge: u32; // always 0
  QuotaBlockCharged: usize;      // the EPROCESS_QUOTA_BLOCK, one reference until the charge is returned
}
export const SIZEOF_OBJECT_HEADER_QUOTA_INFO: u32 = 16;
/** The quota info of an object, or 0 when it charged no one. */
@inline export function OBJECT_HEADER_TO_QUOTA_INFO(object: usize): usize {
  const offset = <u32>OBJECT_TO_OBJECT_HEADER(object).QuotaInfoOffset;
  return offset == 0 ? 0 : object - SIZEOF_OBJECT_HEADER - offset;
}

@unmanaged export class OBJECT_HEADER {
  PointerCount: i32;
  HandleCount: i32;
  Type: usize;                   // the OBJECT_TYPE (itself an object of type Type)
  NameInfoOffset: u8;            // bytes from the name info to this header, 0 = no name info
  HandleInfoOffset: u8;          // always 0 (no per-process handle counts)
  QuotaInfoOffset: u8;           // bytes from the quota info to this header, 0 = charged to no one
  Flags: u8;                     // OB_FLAG_*
  ObjectCreateInfo: usize;       // OB_FLAG_NEW_OBJECT: the creator's OBJECT_ATTRIBUTES (may be 0)
  SecurityDescriptor: usize;     // always 0 for now
}
export const SIZEOF_OBJECT_HEADER: u32 = 24;

@inline export function OBJECT_TO_OBJECT_HEADER(object: usize): OBJECT_HEADER {
  return changetype<OBJECT_HEADER>(object - SIZEOF_OBJECT_HEADER);
}
/** The name info of an object, or 0 when it was created without a name. */
@inline export function OBJECT_HEADER_TO_NAME_INFO(object: usize): usize {
  const offset = <u32>OBJECT_TO_OBJECT_HEADER(object).NameInfoOffset;
  return offset == 0 ? 0 : object - SIZEOF_OBJECT_HEADER - offset;
}
/** The type of an object. */
@inline export function OBJECT_TYPE_OF(object: usize): usize { return OBJECT_TO_OBJECT_HEADER(object).Type; }

// ---- object types ----

/** Called when the last reference to an object goes, before its memory is freed. */
export type OB_DELETE_METHOD = (object: usize) => void;
/** Called after each handle to an object is closed, with the handles left. */
export type OB_CLOSE_METHOD = (object: usize, handleCount: u32) => void;
/**
 * Called when a name lookup meets an object of the type with name left to
 * parse (or none). Returns STATUS_REPARSE after writing a new complete name
 * (a fresh 'ObNm' pool buffer, which the lookup frees) into `completeName`,
 * or a final status with a referenced object in *object.
 */
export type OB_PARSE_METHOD = (parseObject: usize, objectType: usize, attributes: u32, completeName: usize, remainingName: usize, object: usize) => u32;

/** What a component says about its type in ObCreateObjectType (NT's OBJECT_TYPE_INITIALIZER). */
@unmanaged export class OBJECT_TYPE_INITIALIZER {
  Length: u32;                   // SIZEOF_OBJECT_TYPE_INITIALIZER, checked
  InvalidAttributes: u32;        // OBJ_* attributes objects of the type refuse
  GenericRead: u32;              // GENERIC_MAPPING: what GENERIC_READ means for the type
  GenericWrite: u32;
  GenericExecute: u32;
  GenericAll: u32;
  ValidAccessMask: u32;          // every specific and standard right of the type
  PoolType: u32;                 // NonPagedPool (paged pool is nonpaged here)
  DefaultNonPagedPoolCharge: u32; // the body size, for information
  PoolTag: u32;                  // 0: the first four characters of the type's name
  CloseProcedure: OB_CLOSE_METHOD | null;
  DeleteProcedure: OB_DELETE_METHOD | null;
  ParseProcedure: OB_PARSE_METHOD | null;
}
export const SIZEOF_OBJECT_TYPE_INITIALIZER: u32 = 52;

/** The body of a type object. TypeInfo (a copy of the initializer) follows at +32. */
@unmanaged export class OBJECT_TYPE {
  NameLength: u16;               // +0: Name, shared with the type object's name info
  NameMaximumLength: u16;
  NameBuffer: usize;
  Index: u32;                    // in ObpObjectTypes
  TotalNumberOfObjects: u32;
  TotalNumberOfHandles: u32;
  HighWaterNumberOfObjects: u32;
  HighWaterNumberOfHandles: u32;
  Key: u32;                      // the pool tag of the type's objects
}
export const OBJECT_TYPE_INFO_OFFSET: u32 = 32;
export const SIZEOF_OBJECT_TYPE: u32 = OBJECT_TYPE_INFO_OFFSET + SIZEOF_OBJECT_TYPE_INITIALIZER;

@inline export function ObpTypeInfo(type: usize): OBJECT_TYPE_INITIALIZER {
  return changetype<OBJECT_TYPE_INITIALIZER>(type + OBJECT_TYPE_INFO_OFFSET);
}
/** The type's Name UNICODE_STRING. */
@inline export function ObpTypeName(type: usize): usize { return type; }

// ---- directories ----

/** Hash chains per directory, as in NT. */
export const NUMBER_HASH_BUCKETS: u32 = 37;
/**
 * OBJECT_DIRECTORY: HashBuckets[37] (heads of OBJECT_DIRECTORY_ENTRY chains),
 * then a count (where NT keeps its Lock), then DeviceMap at +0x98 as in NT x86
 * (obdevmap.ts: the map whose DOS devices directory this is, or 0).
 */
export const SIZEOF_OBJECT_DIRECTORY: u32 = NUMBER_HASH_BUCKETS * 4 + 8;
@inline export function ObpDirectoryBucket(directory: usize, index: u32): usize { return directory + (index << 2); }
@inline export function ObpDirectoryCount(directory: usize): usize { return directory + NUMBER_HASH_BUCKETS * 4; }
@inline export function ObpDirectoryDeviceMap(directory: usize): usize { return directory + NUMBER_HASH_BUCKETS * 4 + 4; }

@unmanaged export class OBJECT_DIRECTORY_ENTRY {
  ChainLink: usize;              // next entry in the same bucket
  Object: usize;
  HashValue: u32;                // RtlHashUnicodeStringUpcase of the name
}
export const SIZEOF_OBJECT_DIRECTORY_ENTRY: u32 = 12;

// ---- symbolic links ----

@unmanaged export class OBJECT_SYMBOLIC_LINK {
  CreationTime: u64;             // 100 ns units of uptime (there is no clock of day yet)
  LinkTargetLength: u16;         // +8: LinkTarget, a UNICODE_STRING over a 'SymT' buffer (NUL-terminated)
  LinkTargetMaximumLength: u16;
  LinkTargetBuffer: usize;
  LinkTargetObject: usize;       // NT: the object a "snapped" link points to; always 0 (links reparse by name)
  DosDeviceDriveIndex: u32;      // NT: 1-26 for "X:" links under a device map; always 0 here
}
export const SIZEOF_OBJECT_SYMBOLIC_LINK: u32 = 24;
@inline export function ObpLinkTarget(link: usize): usize { return link + 8; }

// ---- handle tables ----

@unmanaged export class HANDLE_TABLE {
  Table: usize;                  // HANDLE_TABLE_ENTRY[Capacity], 'Obtb'
  Capacity: u32;                 // entries; entry 0 is never used (handle 0 is invalid)
  HandleCount: u32;
  FirstFree: u32;                // index of the first free entry, 0 = none
  QuotaBlock: usize;             // the owning process's EPROCESS_QUOTA_BLOCK the entries are charged to, or 0
  QuotaCharged: u32;             // nonpaged bytes charged to it for the entries
}
export const SIZEOF_HANDLE_TABLE: u32 = 24;

/**
 * Object is the body pointer with the handle's OBJ_HANDLE_ATTRIBUTES in its
 * low three bits (bodies are 8-byte aligned); 0 marks a free entry, whose
 * GrantedAccess then holds the index of the next free entry.
 */
@unmanaged export class HANDLE_TABLE_ENTRY {
  Object: usize;
  GrantedAccess: u32;
}
export const SIZEOF_HANDLE_TABLE_ENTRY: u32 = 8;

/** OBJECT_HANDLE_INFORMATION, filled by ObReferenceObjectByHandle. */
@unmanaged export class OBJECT_HANDLE_INFORMATION {
  HandleAttributes: u32;
  GrantedAccess: u32;
}
export const SIZEOF_OBJECT_HANDLE_INFORMATION: u32 = 8;

/** An UNICODE_STRING view of a name info's name. */
@inline export function ObpNameOf(nameInfo: usize): UNICODE_STRING { return changetype<UNICODE_STRING>(OBJECT_NAME_INFO_NAME(nameInfo)); }

// ---- the namespace's top and the object manager's own types (made by ObInitSystem, ob/obinit.ts) ----

/** The root directory, "\". */
export let ObpRootDirectoryObject: usize = 0;
/** \ObjectTypes. */
export let ObpTypeDirectoryObject: usize = 0;
/** The type of types. */
export let ObpTypeObjectType: usize = 0;
/** The type of directories. */
export let ObpDirectoryObjectType: usize = 0;
/** The type of symbolic links. */
export let ObpSymbolicLinkObjectType: usize = 0;
export function ObpSetRootDirectoryObject(object: usize): void { ObpRootDirectoryObject = object; }
export function ObpSetTypeDirectoryObject(object: usize): void { ObpTypeDirectoryObject = object; }
export function ObpSetTypeObjectType(type: usize): void { ObpTypeObjectType = type; }
export function ObpSetDirectoryObjectType(type: usize): void { ObpDirectoryObjectType = type; }
export function ObpSetSymbolicLinkObjectType(type: usize): void { ObpSymbolicLinkObjectType = type; }

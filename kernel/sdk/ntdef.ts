// The basic NT types every service speaks (ntdef.h, winternl.h), in their
// 32-bit x86 layouts, and the constants of the user address space.
//
// Layout convention for the whole SDK: an @unmanaged class is laid over raw
// memory (`changetype<UNICODE_STRING>(address)`); fields are in NT's order and
// AssemblyScript gives each its natural alignment, as the C compiler does.
// A structure embedded in another is flattened: its fields are named
// `Outer_Inner`, and `offsetof<T>("Outer_First")` is where the embedded
// structure starts. Reserved or array space is `_Name_OFF` padding (OFF is
// the hexadecimal offset). test/kernel/sdk.test.ts checks the offsets and
// sizes against MinGW's headers.
//
//   UNICODE_STRING (8)         OBJECT_ATTRIBUTES (24)       IO_STATUS_BLOCK (8)
//     +0 Length (bytes)          +0  Length (24)              +0 Status
//     +2 MaximumLength           +4  RootDirectory            +4 Information
//     +4 Buffer                  +8  ObjectName               CLIENT_ID (8)
//                                +12 Attributes               +0 UniqueProcess
//                                +16 SecurityDescriptor       +4 UniqueThread
//                                +20 SecurityQualityOfService

/** A counted UTF-16 string (Length and MaximumLength in bytes, no NUL needed). */
@unmanaged export class UNICODE_STRING {
  Length: u16;
  MaximumLength: u16;
  Buffer: usize;
}

/** A counted 8-bit string (ANSI_STRING, OEM_STRING): the same layout as UNICODE_STRING. */
@unmanaged export class STRING {
  Length: u16;
  MaximumLength: u16;
  Buffer: usize;
}

/**
 * Fills the counted string at `string` (a UNICODE_STRING or a STRING): `length`
 * bytes of text at `buffer`, which holds `maximumLength` bytes. NT's
 * RtlInitUnicodeString for a text whose length is known (no NUL is looked
 * for); RtlInitEmptyUnicodeString is `(string, buffer, 0, size)`. Returns `string`.
 */
@inline export function InitializeCountedString(string: usize, buffer: usize, length: u32, maximumLength: u32): usize {
  const s = changetype<UNICODE_STRING>(string);
  s.Length = <u16>length;
  s.MaximumLength = <u16>maximumLength;
  s.Buffer = buffer;
  return string;
}

/** What a service is given to name (and open or create) an object. */
@unmanaged export class OBJECT_ATTRIBUTES {
  Length: u32;
  RootDirectory: u32;
  ObjectName: usize;
  Attributes: u32;
  SecurityDescriptor: usize;
  SecurityQualityOfService: usize;
}

/**
 * InitializeObjectAttributes (ntdef.h's macro): fills the OBJECT_ATTRIBUTES
 * at `oa` with `name` (a UNICODE_STRING, or 0), `attributes` (OBJ_*), `root`
 * (a directory handle the name is relative to, or 0) and
 * `securityDescriptor` (or 0); no quality of service. Returns `oa`.
 */
@inline export function InitializeObjectAttributes(oa: usize, name: usize, attributes: u32, root: u32, securityDescriptor: usize): usize {
  const a = changetype<OBJECT_ATTRIBUTES>(oa);
  a.Length = <u32>offsetof<OBJECT_ATTRIBUTES>();
  a.RootDirectory = root;
  a.ObjectName = name;
  a.Attributes = attributes;
  a.SecurityDescriptor = securityDescriptor;
  a.SecurityQualityOfService = 0;
  return oa;
}

/** The final status of an I/O request and a request-specific count (bytes moved, disposition). */
@unmanaged export class IO_STATUS_BLOCK {
  Status: u32;
  Information: u32;
}

/** A process id and a thread id. */
@unmanaged export class CLIENT_ID {
  UniqueProcess: u32;
  UniqueThread: u32;
}

/**
 * RTL_CRITICAL_SECTION (24 bytes, NT x86; CRITICAL_SECTION in winbase.h):
 *   +0 DebugInfo  +4 LockCount (-1 free; each Enter adds one, each Leave takes one)
 *   +8 RecursionCount  +12 OwningThread (thread id)  +16 LockSemaphore (event handle, made on contention)
 *   +20 SpinCount
 */
@unmanaged export class RTL_CRITICAL_SECTION {
  DebugInfo: usize;
  LockCount: i32;
  RecursionCount: i32;
  OwningThread: u32;
  LockSemaphore: u32;
  SpinCount: u32;
}

/** A signed 64-bit value as two halves (4-byte aligned on x86 when embedded in a packed place). */
@unmanaged export class LARGE_INTEGER {
  LowPart: u32;
  HighPart: i32;
  @inline get QuadPart(): i64 { return load<i64>(changetype<usize>(this)); }
  @inline set QuadPart(value: i64) { store<i64>(changetype<usize>(this), value); }
}

/** An unsigned 64-bit value as two halves. */
@unmanaged export class ULARGE_INTEGER {
  LowPart: u32;
  HighPart: u32;
  @inline get QuadPart(): u64 { return load<u64>(changetype<usize>(this)); }
  @inline set QuadPart(value: u64) { store<u64>(changetype<usize>(this), value); }
}

// ---- OBJECT_ATTRIBUTES.Attributes ----
export const OBJ_INHERIT: u32 = 0x00000002;
export const OBJ_PERMANENT: u32 = 0x00000010;
export const OBJ_EXCLUSIVE: u32 = 0x00000020;
export const OBJ_CASE_INSENSITIVE: u32 = 0x00000040;
export const OBJ_OPENIF: u32 = 0x00000080;
export const OBJ_OPENLINK: u32 = 0x00000100;
export const OBJ_KERNEL_HANDLE: u32 = 0x00000200;
export const OBJ_FORCE_ACCESS_CHECK: u32 = 0x00000400;
export const OBJ_VALID_ATTRIBUTES: u32 = 0x000007F2;

// ---- access rights (winnt.h) ----
export const DELETE: u32 = 0x00010000;
export const READ_CONTROL: u32 = 0x00020000;
export const WRITE_DAC: u32 = 0x00040000;
export const WRITE_OWNER: u32 = 0x00080000;
export const SYNCHRONIZE: u32 = 0x00100000;
export const STANDARD_RIGHTS_REQUIRED: u32 = 0x000F0000;
export const STANDARD_RIGHTS_READ: u32 = READ_CONTROL;
export const STANDARD_RIGHTS_WRITE: u32 = READ_CONTROL;
export const STANDARD_RIGHTS_EXECUTE: u32 = READ_CONTROL;
export const MAXIMUM_ALLOWED: u32 = 0x02000000;
export const GENERIC_READ: u32 = 0x80000000;
export const GENERIC_WRITE: u32 = 0x40000000;
export const GENERIC_EXECUTE: u32 = 0x20000000;
export const GENERIC_ALL: u32 = 0x10000000;

// ---- pseudo handles ----
/** NtCurrentProcess(): the calling process. */
export const NtCurrentProcess: u32 = 0xFFFFFFFF;
/** NtCurrentThread(): the calling thread. */
export const NtCurrentThread: u32 = 0xFFFFFFFE;

// ---- the 32-bit address space (2 GiB user, 2 GiB system) ----
/** One page. */
export const PAGE_SIZE: u32 = 0x1000;
/** Reservations start on this boundary. */
export const MM_ALLOCATION_GRANULARITY: u32 = 0x10000;
/** The first user address: the 64 KiB below are never mapped (null pointers fault). */
export const MM_LOWEST_USER_ADDRESS: usize = 0x00010000;
/** The last user address (the 64 KiB below MM_USER_PROBE_ADDRESS are never mapped either). */
export const MM_HIGHEST_USER_ADDRESS: usize = 0x7FFEFFFF;
/** A user range must end at or below this; it is a no-access page, so a probe of it faults. */
export const MM_USER_PROBE_ADDRESS: usize = 0x7FFF0000;
/** KUSER_SHARED_DATA as user mode sees it (read-only in every process). */
export const MM_SHARED_USER_DATA_VA: usize = 0x7FFE0000;
/** The first system address. */
export const MM_SYSTEM_RANGE_START: usize = 0x80000000;

// ---- memory allocation types and page protections (winnt.h) ----
export const MEM_COMMIT: u32 = 0x1000;
export const MEM_RESERVE: u32 = 0x2000;
export const MEM_DECOMMIT: u32 = 0x4000;
export const MEM_RELEASE: u32 = 0x8000;
export const MEM_FREE: u32 = 0x10000;
export const MEM_PRIVATE: u32 = 0x20000;
export const MEM_MAPPED: u32 = 0x40000;
export const MEM_TOP_DOWN: u32 = 0x100000;
export const MEM_IMAGE: u32 = 0x1000000;
/** NtQueryVirtualMemory's MemoryBasicInformation (class 0): one run of pages with the same state and protection (winnt.h). */
@unmanaged export class MEMORY_BASIC_INFORMATION {
  BaseAddress: usize;
  AllocationBase: usize;
  AllocationProtect: u32;
  RegionSize: usize;
  State: u32;     // MEM_COMMIT, MEM_RESERVE or MEM_FREE
  Protect: u32;
  Type: u32;      // MEM_PRIVATE, MEM_MAPPED or MEM_IMAGE; 0 for a free run
}
export const SIZEOF_MEMORY_BASIC_INFORMATION: u32 = 28;
export const PAGE_NOACCESS: u32 = 0x01;
export const PAGE_READONLY: u32 = 0x02;
export const PAGE_READWRITE: u32 = 0x04;
export const PAGE_WRITECOPY: u32 = 0x08;
export const PAGE_EXECUTE: u32 = 0x10;
export const PAGE_EXECUTE_READ: u32 = 0x20;
export const PAGE_EXECUTE_READWRITE: u32 = 0x40;
export const PAGE_EXECUTE_WRITECOPY: u32 = 0x80;
export const PAGE_GUARD: u32 = 0x100;
export const PAGE_NOCACHE: u32 = 0x200;
export const SEC_FILE: u32 = 0x00800000;
export const SEC_IMAGE: u32 = 0x01000000;
export const SEC_RESERVE: u32 = 0x04000000;
export const SEC_COMMIT: u32 = 0x08000000;

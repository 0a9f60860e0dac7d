// NTSTATUS: the one table of status values for the kernel, ntdll, smss and
// every System32 program (names and values are NT's, from ntstatus.h).
//
// An NTSTATUS is a 32-bit value whose top two bits are the severity:
// 00 success, 01 informational, 10 warning, 11 error. A status is a success
// (NT_SUCCESS) exactly when it is non-negative as a signed number. Add a new
// name here, once, in its group; never define a STATUS_* anywhere else.

/** True for success and informational values (severity 00 or 01). */
@inline export function NT_SUCCESS(status: u32): bool { return <i32>status >= 0; }
/** True for informational values (severity 01). */
@inline export function NT_INFORMATION(status: u32): bool { return (status >>> 30) == 1; }
/** True for warnings (severity 10). */
@inline export function NT_WARNING(status: u32): bool { return (status >>> 30) == 2; }
/** True for errors (severity 11). */
@inline export function NT_ERROR(status: u32): bool { return (status >>> 30) == 3; }


// ---- success and informational ----

export const STATUS_SUCCESS: u32 = 0x00000000;
/** The name was reparsed (a symbolic link): the lookup starts again with a new name. */
export const STATUS_REPARSE: u32 = 0x00000104;
/** NtQueryDirectoryObject: the buffer is full, more entries follow (a success code). */
export const STATUS_MORE_ENTRIES: u32 = 0x00000105;
/** OBJ_OPENIF: the object already existed and was opened instead of created. */
export const STATUS_OBJECT_NAME_EXISTS: u32 = 0x40000000;

// ---- warnings ----

export const STATUS_BUFFER_OVERFLOW: u32 = 0x80000005;
/** An enumeration has nothing more to return. */
export const STATUS_NO_MORE_ENTRIES: u32 = 0x8000001A;

// ---- errors ----

export const STATUS_UNSUCCESSFUL: u32 = 0xC0000001;
export const STATUS_INVALID_INFO_CLASS: u32 = 0xC0000003;
export const STATUS_INFO_LENGTH_MISMATCH: u32 = 0xC0000004;
/** A handle that is 0, closed, out of the table, or not resolvable (pseudo handles without Ps). */
export const STATUS_INVALID_HANDLE: u32 = 0xC0000008;
export const STATUS_INVALID_PARAMETER: u32 = 0xC000000D;
/** The handle was not granted the access the operation needs. */
export const STATUS_ACCESS_DENIED: u32 = 0xC0000022;
export const STATUS_BUFFER_TOO_SMALL: u32 = 0xC0000023;
export const STATUS_OBJECT_TYPE_MISMATCH: u32 = 0xC0000024;
/** FSCTL_UNLOCK_VOLUME from a handle that does not hold the volume's lock. */
export const STATUS_NOT_LOCKED: u32 = 0xC000002A;
/** A name with an empty component ("\A\\B", "\A\") or an odd byte length. */
/** autochk's exit status when a volume is left with problems. */
export const STATUS_DISK_CORRUPT_ERROR: u32 = 0xC0000032;
export const STATUS_OBJECT_NAME_INVALID: u32 = 0xC0000033;
export const STATUS_OBJECT_NAME_NOT_FOUND: u32 = 0xC0000034;
export const STATUS_OBJECT_NAME_COLLISION: u32 = 0xC0000035;
export const STATUS_OBJECT_PATH_INVALID: u32 = 0xC0000039;
/** A directory on the way to the last component does not exist. */
export const STATUS_OBJECT_PATH_NOT_FOUND: u32 = 0xC000003A;
/** A relative name without a root directory, or an absolute one with a root. */
export const STATUS_OBJECT_PATH_SYNTAX_BAD: u32 = 0xC000003B;
export const STATUS_PRIVILEGE_NOT_HELD: u32 = 0xC0000061;
/** The call would take the process past its pool quota (ex/quota.ts). */
export const STATUS_QUOTA_EXCEEDED: u32 = 0xC0000044;
export const STATUS_INSUFFICIENT_RESOURCES: u32 = 0xC000009A;
export const STATUS_NOT_IMPLEMENTED: u32 = 0xC0000002;
export const STATUS_NAME_TOO_LONG: u32 = 0xC0000106;
export const STATUS_CANCELLED: u32 = 0xC0000120;
/** NtClose of a handle marked protect-from-close. */
export const STATUS_HANDLE_NOT_CLOSABLE: u32 = 0xC0000235;
/**
 * Defined for completeness: NT's object manager does not return it when a
 * chain of symbolic links is too long (more than OBJ_MAX_REPARSE_ATTEMPTS
 * reparses); it answers STATUS_OBJECT_NAME_NOT_FOUND, and so do we.
 */
export const STATUS_REPARSE_POINT_NOT_RESOLVED: u32 = 0xC0000280;

// Used by the executive, Mm, Ps and the system service layer.
export const STATUS_ABANDONED_WAIT_0: u32 = 0x80;
export const STATUS_ALREADY_COMMITTED: u32 = 0xC0000021;
export const STATUS_UNABLE_TO_FREE_VM: u32 = 0xC000001A;
export const STATUS_ACCESS_VIOLATION: u32 = 0xC0000005;
export const STATUS_CONFLICTING_ADDRESSES: u32 = 0xC0000018;
export const STATUS_FREE_VM_NOT_AT_BASE: u32 = 0xC000009F;
export const STATUS_INVALID_CID: u32 = 0xC000000B;
export const STATUS_INVALID_IMAGE_FORMAT: u32 = 0xC000007B;
export const STATUS_INVALID_PAGE_PROTECTION: u32 = 0xC0000045;
export const STATUS_INVALID_PARAMETER_2: u32 = 0xC00000F0;
export const STATUS_INVALID_SYSTEM_SERVICE: u32 = 0xC000001C;
export const STATUS_MEMORY_NOT_ALLOCATED: u32 = 0xC00000A0;
export const STATUS_MUTANT_LIMIT_EXCEEDED: u32 = 0xC0000191;
export const STATUS_MUTANT_NOT_OWNED: u32 = 0xC0000046;
export const STATUS_NOT_COMMITTED: u32 = 0xC000002D;
export const STATUS_NO_MEMORY: u32 = 0xC0000017;
export const STATUS_NO_YIELD_PERFORMED: u32 = 0x40000024;
export const STATUS_PENDING: u32 = 0x103;
export const STATUS_SEMAPHORE_LIMIT_EXCEEDED: u32 = 0xC0000047;
export const STATUS_THREAD_IS_TERMINATING: u32 = 0xC000004B;
export const STATUS_TIMEOUT: u32 = 0x102;
export const STATUS_WAIT_0: u32 = 0;

// Sections and views (mm/section.ts, mm/virtual.ts).
export const STATUS_COMMITMENT_LIMIT: u32 = 0xC000012D;
/** NtCreatePagingFile: sixteen paging files exist already. */
export const STATUS_TOO_MANY_PAGING_FILES: u32 = 0xC0000097;
export const STATUS_INVALID_FILE_FOR_SECTION: u32 = 0xC0000020;
export const STATUS_INVALID_PARAMETER_3: u32 = 0xC00000F1;
export const STATUS_INVALID_PARAMETER_4: u32 = 0xC00000F2;
export const STATUS_INVALID_PARAMETER_5: u32 = 0xC00000F3;
export const STATUS_INVALID_PARAMETER_6: u32 = 0xC00000F4;
export const STATUS_INVALID_PARAMETER_8: u32 = 0xC00000F6;
export const STATUS_INVALID_PARAMETER_9: u32 = 0xC00000F7;
export const STATUS_INVALID_VIEW_SIZE: u32 = 0xC000001F;
/** A base address or section offset that is not a multiple of the allocation granularity (64 KiB). */
export const STATUS_MAPPED_ALIGNMENT: u32 = 0xC0000220;
export const STATUS_NOT_MAPPED_VIEW: u32 = 0xC0000019;
/** A view's protection asks for more than its section (or the view itself) allows. */
export const STATUS_SECTION_PROTECTION: u32 = 0xC000004E;
/** NtFreeVirtualMemory of a view or an image: those are unmapped, not freed. */
export const STATUS_UNABLE_TO_DELETE_SECTION: u32 = 0xC000001B;

// Files, devices and file systems (io/, fat/).
export const STATUS_NO_MORE_FILES: u32 = 0x80000006;
export const STATUS_INVALID_DEVICE_REQUEST: u32 = 0xC0000010;
export const STATUS_END_OF_FILE: u32 = 0xC0000011;
export const STATUS_NO_SUCH_DEVICE: u32 = 0xC000000E;
export const STATUS_NO_SUCH_FILE: u32 = 0xC000000F;
export const STATUS_WRONG_VOLUME: u32 = 0xC0000012;
export const STATUS_SHARING_VIOLATION: u32 = 0xC0000043;
export const STATUS_DELETE_PENDING: u32 = 0xC0000056;
export const STATUS_DISK_FULL: u32 = 0xC000007F;
export const STATUS_DEVICE_DATA_ERROR: u32 = 0xC000009C;
export const STATUS_IO_TIMEOUT: u32 = 0xC00000B5;
export const STATUS_FILE_IS_A_DIRECTORY: u32 = 0xC00000BA;
export const STATUS_NOT_SAME_DEVICE: u32 = 0xC00000D4;
export const STATUS_FILE_INVALID: u32 = 0xC0000098;
export const STATUS_DIRECTORY_NOT_EMPTY: u32 = 0xC0000101;
export const STATUS_FILE_CORRUPT_ERROR: u32 = 0xC0000102;
export const STATUS_NOT_A_DIRECTORY: u32 = 0xC0000103;
export const STATUS_CANNOT_DELETE: u32 = 0xC0000121;
export const STATUS_FILE_CLOSED: u32 = 0xC0000128;
export const STATUS_UNRECOGNIZED_VOLUME: u32 = 0xC000014F;
export const STATUS_INVALID_DEVICE_STATE: u32 = 0xC0000184;
export const STATUS_NOT_SUPPORTED: u32 = 0xC00000BB;

// ---- the configuration manager ----
export const STATUS_KEY_DELETED: u32 = 0xC000017C;
export const STATUS_CHILD_MUST_BE_VOLATILE: u32 = 0xC0000181;
export const STATUS_REGISTRY_CORRUPT: u32 = 0xC000014C;
export const STATUS_REGISTRY_IO_FAILED: u32 = 0xC000014D;

// ---- access tokens (se/) ----
/** NtAdjustPrivilegesToken: some privileges asked for are not in the token (a success code: the others were applied). */
export const STATUS_NOT_ALL_ASSIGNED: u32 = 0x00000106;
/** NtOpenThreadToken: the thread is not impersonating. */
export const STATUS_NO_TOKEN: u32 = 0xC000007C;

// ---- logons (lsass, winlogon) ----
/** LsaLogonUser's SubStatus: no account has that name. */
export const STATUS_NO_SUCH_USER: u32 = 0xC0000064;
/** The authentication package named is not one LSA has (LsaLookupAuthenticationPackage, LsaCallAuthenticationPackage). */
export const STATUS_NO_SUCH_PACKAGE: u32 = 0xC00000FE;
/** LsaLogonUser's SubStatus: the password is not the account's. */
export const STATUS_WRONG_PASSWORD: u32 = 0xC000006A;
/** LsaLogonUser: the user name or password is wrong (SubStatus says which). */
export const STATUS_LOGON_FAILURE: u32 = 0xC000006D;
/** LsaLogonUser: the account may not log on now (SubStatus: disabled, ...). */
export const STATUS_ACCOUNT_RESTRICTION: u32 = 0xC000006E;
/** LsaLogonUser's SubStatus: the account is disabled. */
export const STATUS_ACCOUNT_DISABLED: u32 = 0xC0000072;

// ---- exceptions (raised in a thread, or reported by a bug check) ----
/** Not an error: a kernel APC was delivered during a wait. */
export const STATUS_KERNEL_APC: u32 = 0x00000100;
export const STATUS_DATATYPE_MISALIGNMENT: u32 = 0x80000002; // #AC
export const STATUS_BREAKPOINT: u32 = 0x80000003;            // #BP (int3)
export const STATUS_SINGLE_STEP: u32 = 0x80000004;           // #DB
/** NtReadVirtualMemory/NtWriteVirtualMemory: only part of the range was copied. */
export const STATUS_PARTIAL_COPY: u32 = 0x8000000D;
export const STATUS_ILLEGAL_INSTRUCTION: u32 = 0xC000001D;   // invalid opcode, wasm unreachable
export const STATUS_ARRAY_BOUNDS_EXCEEDED: u32 = 0xC000008C; // #BR (bound)
export const STATUS_FLOAT_INVALID_OPERATION: u32 = 0xC0000090; // NaN or out of range to integer
export const STATUS_INTEGER_DIVIDE_BY_ZERO: u32 = 0xC0000094;
export const STATUS_INTEGER_OVERFLOW: u32 = 0xC0000095;      // INT_MIN / -1 and friends
export const STATUS_PRIVILEGED_INSTRUCTION: u32 = 0xC0000096;
export const STATUS_STACK_OVERFLOW: u32 = 0xC00000FD;
/** A handler asked to continue an exception raised as non-continuable (RtlDispatchException). */
export const STATUS_NONCONTINUABLE_EXCEPTION: u32 = 0xC0000025;
/** A frame handler returned a disposition the dispatcher does not know. */
export const STATUS_INVALID_DISPOSITION: u32 = 0xC0000026;
/** The code of the record RtlUnwind makes when it is given none. */
export const STATUS_UNWIND: u32 = 0xC0000027;
/** RtlUnwind met a registration outside the stack's limits or misaligned. */
export const STATUS_BAD_STACK: u32 = 0xC0000028;
/** RtlUnwind's target frame is not on the registration chain. */
export const STATUS_INVALID_UNWIND_TARGET: u32 = 0xC0000029;
/**
 * A system process (smss, csrss, winlogon) ended, raised as a hard error
 * with OptionShutdownSystem: p1 the address of the kernel's ANSI copy of the
 * process's description ("Session Manager Initialization"), p2 the status it
 * ended with, p3 and p4 the hard error's further parameters (ex/harderr.ts).
 */
export const STATUS_SYSTEM_PROCESS_TERMINATED: u32 = 0xC000021A;
/** The exit status of the processes NtShutdownSystem ends. */
export const STATUS_SYSTEM_SHUTDOWN: u32 = 0xC00002EB;
export const STATUS_FLOAT_MULTIPLE_TRAPS: u32 = 0xC00002B5;  // #XM (SSE)
export const STATUS_ASSERTION_FAILURE: u32 = 0xC0000420;     // a failed assertion, abort()

// ---- images and the loader ----
/** A success code: the image was mapped, but not at its preferred base. */
export const STATUS_IMAGE_NOT_AT_BASE: u32 = 0x40000003;
export const STATUS_SECTION_NOT_IMAGE: u32 = 0xC0000049;
export const STATUS_VARIABLE_NOT_FOUND: u32 = 0xC0000100;
export const STATUS_INVALID_IMAGE_NOT_MZ: u32 = 0xC000012F;
export const STATUS_INVALID_IMAGE_PROTECT: u32 = 0xC0000130;
export const STATUS_INVALID_IMAGE_WIN_16: u32 = 0xC0000131;
export const STATUS_DLL_NOT_FOUND: u32 = 0xC0000135;
export const STATUS_ORDINAL_NOT_FOUND: u32 = 0xC0000138;
export const STATUS_ENTRYPOINT_NOT_FOUND: u32 = 0xC0000139;
export const STATUS_DLL_INIT_FAILED: u32 = 0xC0000142;
export const STATUS_INVALID_IMAGE_WIN_64: u32 = 0xC000035A;
/** A file that is not a DLL where one must be (smss: a KnownDlls entry). */
export const STATUS_INVALID_IMPORT_OF_NON_DLL: u32 = 0xC000036F;

// ---- LPC (kernel/lpc/) ----

export const STATUS_INVALID_PORT_ATTRIBUTES: u32 = 0xC000002E;
/** A message longer than the port's maximum (or than the system's). */
export const STATUS_PORT_MESSAGE_TOO_LONG: u32 = 0xC000002F;
/** The other side of the connection, or the server, is gone. */
export const STATUS_PORT_DISCONNECTED: u32 = 0xC0000037;
export const STATUS_PORT_CONNECTION_REFUSED: u32 = 0xC0000041;
/** A port of the wrong kind for the service (a connection port where a communication port is needed, ...). */
export const STATUS_INVALID_PORT_HANDLE: u32 = 0xC0000042;
export const STATUS_PORT_ALREADY_SET: u32 = 0xC0000048;
/** csrss: an API its server DLL does not have, or a server DLL not loaded. */
export const STATUS_ILLEGAL_FUNCTION: u32 = 0xC00000AF;
/** csrss: a ServerId past the last server DLL slot (CsrpClientConnect). */
export const STATUS_TOO_MANY_NAMES: u32 = 0xC00000CD;
/** The process a port view was to be mapped into has ended. */
export const STATUS_PROCESS_IS_TERMINATING: u32 = 0xC000010A;
export const STATUS_CANNOT_IMPERSONATE: u32 = 0xC000010D;
/** A reply (or accept, or impersonation) that names no request its thread waits on. */
export const STATUS_REPLY_MESSAGE_MISMATCH: u32 = 0xC000021F;
export const STATUS_LPC_REPLY_LOST: u32 = 0xC0000253;
export const STATUS_IMAGE_ALREADY_LOADED: u32 = 0xC000010E;
export const STATUS_IMAGE_MACHINE_TYPE_MISMATCH: u32 = 0x4000000E;
export const STATUS_PROCEDURE_NOT_FOUND: u32 = 0xC000007A;
export const STATUS_DRIVER_ORDINAL_NOT_FOUND: u32 = 0xC0000262;
export const STATUS_DRIVER_ENTRYPOINT_NOT_FOUND: u32 = 0xC0000263;
export const STATUS_INVALID_IMAGE_WIN_32: u32 = 0xC0000359;
// Security (winnt.h / ntstatus.h): security descriptors, SIDs, ACLs, tokens.
export const STATUS_UNKNOWN_REVISION: u32 = 0xC0000058;
export const STATUS_INVALID_OWNER: u32 = 0xC000005A;
export const STATUS_INVALID_PRIMARY_GROUP: u32 = 0xC000005B;
export const STATUS_INVALID_ACL: u32 = 0xC0000077;
export const STATUS_INVALID_SID: u32 = 0xC0000078;
export const STATUS_INVALID_SECURITY_DESCR: u32 = 0xC0000079;
export const STATUS_BAD_TOKEN_TYPE: u32 = 0xC00000A8;
export const STATUS_TOKEN_ALREADY_IN_USE: u32 = 0xC000012B;

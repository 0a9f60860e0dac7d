// NtQueryInformationProcess / NtSetInformationProcess and
// NtQueryInformationThread / NtSetInformationThread: the class numbers this
// system knows (PROCESSINFOCLASS, THREADINFOCLASS; ntpsapi.h) and the classes'
// structures that are not elsewhere (NT x86 layouts). ProcessAccessToken and
// its PROCESS_ACCESS_TOKEN are in security.ts.

// PROCESSINFOCLASS (ProcessQuotaLimits, ProcessVmCounters and ProcessDeviceMap below, with their records).
/** PROCESS_BASIC_INFORMATION, 24 bytes: ExitStatus, PebBaseAddress, AffinityMask, BasePriority, UniqueProcessId, InheritedFromUniqueProcessId. */
export const ProcessBasicInformation: u32 = 0;
/** KPRIORITY (ULONG), set only. */
export const ProcessBasePriority: u32 = 5;
/** PROCESS_SESSION_INFORMATION: ULONG SessionId. */
export const ProcessSessionInformation: u32 = 24;
/** UNICODE_STRING and the image's NT path after it. */
export const ProcessImageFileName: u32 = 27;
/** ULONG: non-zero = critical (its end stops the system); setting it needs SeDebugPrivilege. */
export const ProcessBreakOnTermination: u32 = 29;

// THREADINFOCLASS.
/** THREAD_BASIC_INFORMATION, 28 bytes: ExitStatus, TebBaseAddress, ClientId, AffinityMask, Priority, BasePriority. */
export const ThreadBasicInformation: u32 = 0;
/** KPRIORITY (ULONG), 1..31. */
export const ThreadPriority: u32 = 2;
/** No buffer: the debugger no longer sees the thread. */
export const ThreadHideFromDebugger: u32 = 17;
/** ULONG: non-zero = critical; its end stops the system (CRITICAL_OBJECT_TERMINATION). Setting it needs SeDebugPrivilege. */
export const ThreadBreakOnTermination: u32 = 18;

// ---- the Basic classes' records ----
//
//   PROCESS_BASIC_INFORMATION (24 bytes, winternl.h)   THREAD_BASIC_INFORMATION (28 bytes, the NDK's pstypes.h)
//   +0  ExitStatus (STATUS_PENDING while it runs)      +0  ExitStatus (STATUS_PENDING while it runs)
//   +4  PebBaseAddress                                 +4  TebBaseAddress
//   +8  AffinityMask                                   +8  ClientId.UniqueProcess
//   +12 BasePriority                                   +12 ClientId.UniqueThread
//   +16 UniqueProcessId                                +16 AffinityMask
//   +20 InheritedFromUniqueProcessId                   +20 Priority
//                                                      +24 BasePriority

@unmanaged export class PROCESS_BASIC_INFORMATION {
  ExitStatus: u32;
  PebBaseAddress: usize;
  AffinityMask: u32;
  BasePriority: u32;
  UniqueProcessId: u32;
  InheritedFromUniqueProcessId: u32;
}
export const SIZEOF_PROCESS_BASIC_INFORMATION: u32 = 24;

@unmanaged export class THREAD_BASIC_INFORMATION {
  ExitStatus: u32;
  TebBaseAddress: usize;
  ClientId_UniqueProcess: u32;
  ClientId_UniqueThread: u32;
  AffinityMask: u32;
  Priority: u32;
  BasePriority: u32;
}
export const SIZEOF_THREAD_BASIC_INFORMATION: u32 = 28;

//   ProcessDeviceMap (23)  PROCESS_DEVICEMAP_INFORMATION: set: a HANDLE to a
//       directory (DIRECTORY_TRAVERSE) that becomes the process's "\??";
//       query: DriveMap (bit n = drive 'A' + n) and DriveType[32]; the _EX form
//       adds Flags (PROCESS_LUID_DOSDEVICES_ONLY: the process's own letters only)

export const ProcessDeviceMap: u32 = 23;

/** PROCESS_DEVICEMAP_INFORMATION.Set: the directory handle (the whole input). */
export const SIZEOF_PROCESS_DEVICEMAP_INFORMATION_SET: u32 = 4;

/** The query form: a union of { HANDLE DirectoryHandle } and { ULONG DriveMap; UCHAR DriveType[32] }, 36 bytes. */
@unmanaged export class PROCESS_DEVICEMAP_INFORMATION {
  DriveMap: u32;     // +0 (Set.DirectoryHandle on a set)
  DriveType0: u32;   // +4: DriveType[32], one byte per letter
  DriveType1: u32;
  DriveType2: u32;
  DriveType3: u32;
  DriveType4: u32;
  DriveType5: u32;
  DriveType6: u32;
  DriveType7: u32;
}
export const SIZEOF_PROCESS_DEVICEMAP_INFORMATION: u32 = 36;
export const PROCESS_DEVICEMAP_INFORMATION_DRIVE_TYPE: u32 = 4;

/** PROCESS_DEVICEMAP_INFORMATION_EX: the same, then ULONG Flags at +36 (40 bytes). */
export const SIZEOF_PROCESS_DEVICEMAP_INFORMATION_EX: u32 = 40;
export const PROCESS_DEVICEMAP_INFORMATION_EX_FLAGS: u32 = 36;
export const PROCESS_LUID_DOSDEVICES_ONLY: u32 = 0x00000001;

// DriveType values (winbase.h's DRIVE_*, ntddk's DOSDEVICE_DRIVE_*).
export const DOSDEVICE_DRIVE_UNKNOWN: u8 = 0;
export const DOSDEVICE_DRIVE_CALCULATE: u8 = 1;
export const DOSDEVICE_DRIVE_REMOVABLE: u8 = 2;
export const DOSDEVICE_DRIVE_FIXED: u8 = 3;
export const DOSDEVICE_DRIVE_REMOTE: u8 = 4;
export const DOSDEVICE_DRIVE_CDROM: u8 = 5;
export const DOSDEVICE_DRIVE_RAMDISK: u8 = 6;

// ---- pool quotas (ex/quota.ts) ----
//
//   ProcessQuotaLimits (1)  QUOTA_LIMITS, 32 bytes: PagedPoolLimit, NonPagedPoolLimit,
//       MinimumWorkingSetSize, MaximumWorkingSetSize, PagefileLimit, then TimeLimit
//       (LARGE_INTEGER, 8-aligned at +24). Query: the process's pool limits (0xFFFFFFFF:
//       none); set: new pool limits (0 keeps one), raising them needs SeIncreaseQuotaPrivilege.
//   ProcessVmCounters (3)   VM_COUNTERS, 44 bytes (or VM_COUNTERS_EX, 48, + PrivateUsage):
//       the Quota*PoolUsage fields are what the process's calls have charged now and at peak.

export const ProcessQuotaLimits: u32 = 1;
export const ProcessVmCounters: u32 = 3;

@unmanaged export class QUOTA_LIMITS {
  PagedPoolLimit: u32;
  NonPagedPoolLimit: u32;
  MinimumWorkingSetSize: u32;
  MaximumWorkingSetSize: u32;
  PagefileLimit: u32;
  Reserved: u32;         // padding: TimeLimit is 8-aligned
  TimeLimitLow: u32;
  TimeLimitHigh: u32;
}
export const SIZEOF_QUOTA_LIMITS: u32 = 32;

@unmanaged export class VM_COUNTERS {
  PeakVirtualSize: u32;
  VirtualSize: u32;
  PageFaultCount: u32;
  PeakWorkingSetSize: u32;
  WorkingSetSize: u32;
  QuotaPeakPagedPoolUsage: u32;
  QuotaPagedPoolUsage: u32;
  QuotaPeakNonPagedPoolUsage: u32;
  QuotaNonPagedPoolUsage: u32;
  PagefileUsage: u32;
  PeakPagefileUsage: u32;
}
export const SIZEOF_VM_COUNTERS: u32 = 44;
export const SIZEOF_VM_COUNTERS_EX: u32 = 48;

// The process and thread environment blocks and what hangs off them, in
// Windows XP's 32-bit layouts (the kernel builds them, ntdll and every program
// read them): TEB (fs:[0x18] is its own address), PEB (TEB+0x30), the
// process parameters, the loader's module lists, and INITIAL_TEB.
//
//   TEB                                    PEB
//     +0x000 NtTib.ExceptionList             +0x002 BeingDebugged (u8)
//     +0x004 NtTib.StackBase                 +0x008 ImageBaseAddress
//     +0x008 NtTib.StackLimit                +0x00C Ldr
//     +0x018 NtTib.Self                      +0x010 ProcessParameters
//     +0x020 ClientId                        +0x018 ProcessHeap
//     +0x030 ProcessEnvironmentBlock         +0x064 NumberOfProcessors
//     +0x034 LastErrorValue                  +0x0A4 OSMajorVersion ...
//     +0xBF4 LastStatusValue (accessor)      +0x1D4 SessionId
//     +0xE0C DeallocationStack (accessor)    +0x210 (size)
//
// Fields far into the TEB are reached through @inline accessors at their
// named offsets (TEB_*), so the class does not spell out 4 KiB of padding.

/**
 * TEB->SpareBytes1 (24 bytes, XP's +0x1BC): ntdll's per-thread out-parameter
 * cells for the services its critical sections call (the handle NtCreateEvent
 * returns), where neither a static cell (shared by every thread) nor the heap
 * (whose lock may be the critical section in question) can serve.
 */
export const TEB_SPARE_BYTES1: u32 = 0x1BC;
/** TEB->LastStatusValue. */
export const TEB_LAST_STATUS_VALUE: u32 = 0xBF4;
/** TEB->StaticUnicodeString (UNICODE_STRING) and its buffer (261 WCHARs). */
export const TEB_STATIC_UNICODE_STRING: u32 = 0xBF8;
export const TEB_STATIC_UNICODE_BUFFER: u32 = 0xC00;
/** TEB->DeallocationStack: the bottom of the stack's reservation. */
export const TEB_DEALLOCATION_STACK: u32 = 0xE0C;
/** TEB->TlsSlots[64]. */
export const TEB_TLS_SLOTS: u32 = 0xE10;
/** The bytes the kernel allocates for a TEB (one page). */
export const TEB_SIZE: u32 = 0x1000;

/** The thread environment block: NT_TIB first, then the Win32 and runtime fields. */
@unmanaged export class TEB {
  NtTib_ExceptionList: usize;
  NtTib_StackBase: usize;
  NtTib_StackLimit: usize;
  NtTib_SubSystemTib: usize;
  NtTib_FiberData: usize;
  NtTib_ArbitraryUserPointer: usize;
  NtTib_Self: usize;
  EnvironmentPointer: usize;
  ClientId_UniqueProcess: u32;
  ClientId_UniqueThread: u32;
  ActiveRpcHandle: usize;
  ThreadLocalStoragePointer: usize;
  ProcessEnvironmentBlock: usize;
  LastErrorValue: u32;
  CountOfOwnedCriticalSections: u32;
  CsrClientThread: usize;
  Win32ThreadInfo: usize;

  @inline get LastStatusValue(): u32 { return load<u32>(changetype<usize>(this) + TEB_LAST_STATUS_VALUE); }
  @inline set LastStatusValue(value: u32) { store<u32>(changetype<usize>(this) + TEB_LAST_STATUS_VALUE, value); }
  @inline get DeallocationStack(): usize { return load<usize>(changetype<usize>(this) + TEB_DEALLOCATION_STACK); }
  @inline set DeallocationStack(value: usize) { store<usize>(changetype<usize>(this) + TEB_DEALLOCATION_STACK, value); }
}

/** The process environment block (XP SP2, 0x210 bytes). */
@unmanaged export class PEB {
  InheritedAddressSpace: u8;
  ReadImageFileExecOptions: u8;
  BeingDebugged: u8;
  SpareBool: u8;
  Mutant: u32;
  ImageBaseAddress: usize;
  Ldr: usize;
  ProcessParameters: usize;
  SubSystemData: usize;
  ProcessHeap: usize;
  FastPebLock: usize;
  FastPebLockRoutine: usize;
  FastPebUnlockRoutine: usize;
  EnvironmentUpdateCount: u32;
  KernelCallbackTable: usize;
  _SystemReserved1_030: u32;
  AtlThunkSListPtr32: u32;
  FreeList: usize;
  TlsExpansionCounter: u32;
  TlsBitmap: usize;
  TlsBitmapBits_0: u32;
  TlsBitmapBits_1: u32;
  ReadOnlySharedMemoryBase: usize;
  ReadOnlySharedMemoryHeap: usize;
  ReadOnlyStaticServerData: usize;
  AnsiCodePageData: usize;
  OemCodePageData: usize;
  UnicodeCaseTableData: usize;
  NumberOfProcessors: u32;
  NtGlobalFlag: u32;
  _Pad_06C: u32;
  CriticalSectionTimeout_LowPart: u32;
  CriticalSectionTimeout_HighPart: i32;
  HeapSegmentReserve: u32;
  HeapSegmentCommit: u32;
  HeapDeCommitTotalFreeThreshold: u32;
  HeapDeCommitFreeBlockThreshold: u32;
  NumberOfHeaps: u32;
  MaximumNumberOfHeaps: u32;
  ProcessHeaps: usize;
  GdiSharedHandleTable: usize;
  ProcessStarterHelper: usize;
  GdiDCAttributeList: u32;
  LoaderLock: usize;
  OSMajorVersion: u32;
  OSMinorVersion: u32;
  OSBuildNumber: u16;
  OSCSDVersion: u16;
  OSPlatformId: u32;
  ImageSubsystem: u32;
  ImageSubsystemMajorVersion: u32;
  ImageSubsystemMinorVersion: u32;
  ImageProcessAffinityMask: u32;
  _GdiHandleBuffer_0C4: u32; _GdiHandleBuffer_0C8: u64; _GdiHandleBuffer_0D0: u64; _GdiHandleBuffer_0D8: u64; _GdiHandleBuffer_0E0: u64; _GdiHandleBuffer_0E8: u64;
  _GdiHandleBuffer_0F0: u64; _GdiHandleBuffer_0F8: u64; _GdiHandleBuffer_100: u64; _GdiHandleBuffer_108: u64; _GdiHandleBuffer_110: u64; _GdiHandleBuffer_118: u64;
  _GdiHandleBuffer_120: u64; _GdiHandleBuffer_128: u64; _GdiHandleBuffer_130: u64; _GdiHandleBuffer_138: u64; _GdiHandleBuffer_140: u64; _GdiHandleBuffer_148: u32;
  PostProcessInitRoutine: usize;
  TlsExpansionBitmap: usize;
  _TlsExpansionBitmapBits_154: u32; _TlsExpansionBitmapBits_158: u64; _TlsExpansionBitmapBits_160: u64; _TlsExpansionBitmapBits_168: u64; _TlsExpansionBitmapBits_170: u64; _TlsExpansionBitmapBits_178: u64;
  _TlsExpansionBitmapBits_180: u64; _TlsExpansionBitmapBits_188: u64; _TlsExpansionBitmapBits_190: u64; _TlsExpansionBitmapBits_198: u64; _TlsExpansionBitmapBits_1A0: u64; _TlsExpansionBitmapBits_1A8: u64;
  _TlsExpansionBitmapBits_1B0: u64; _TlsExpansionBitmapBits_1B8: u64; _TlsExpansionBitmapBits_1C0: u64; _TlsExpansionBitmapBits_1C8: u64; _TlsExpansionBitmapBits_1D0: u32;
  SessionId: u32;
  AppCompatFlags_LowPart: u32;
  AppCompatFlags_HighPart: u32;
  AppCompatFlagsUser_LowPart: u32;
  AppCompatFlagsUser_HighPart: u32;
  pShimData: usize;
  AppCompatInfo: usize;
  CSDVersion_Length: u16;
  CSDVersion_MaximumLength: u16;
  CSDVersion_Buffer: usize;
  ActivationContextData: usize;
  ProcessAssemblyStorageMap: usize;
  SystemDefaultActivationContextData: usize;
  SystemAssemblyStorageMap: usize;
  MinimumStackCommit: u32;
  _Pad_20C: u32;
}

/** The stack a thread is created with (NtCreateThread's InitialTeb). */
@unmanaged export class INITIAL_TEB {
  OldStackBase: usize;
  OldStackLimit: usize;
  StackBase: usize;
  StackLimit: usize;
  AllocatedStackBase: usize;
}

/**
 * RTL_USER_PROCESS_PARAMETERS (0x298 bytes with the two Vista fields at the
 * end). Normalized, its UNICODE_STRING buffers are pointers; denormalized,
 * offsets from the block's start (Flags bit RTL_USER_PROC_PARAMS_NORMALIZED).
 */
@unmanaged export class RTL_USER_PROCESS_PARAMETERS {
  MaximumLength: u32;
  Length: u32;
  Flags: u32;
  DebugFlags: u32;
  ConsoleHandle: u32;
  ConsoleFlags: u32;
  StandardInput: u32;
  StandardOutput: u32;
  StandardError: u32;
  CurrentDirectory_DosPath_Length: u16;
  CurrentDirectory_DosPath_MaximumLength: u16;
  CurrentDirectory_DosPath_Buffer: usize;
  CurrentDirectory_Handle: u32;
  DllPath_Length: u16;
  DllPath_MaximumLength: u16;
  DllPath_Buffer: usize;
  ImagePathName_Length: u16;
  ImagePathName_MaximumLength: u16;
  ImagePathName_Buffer: usize;
  CommandLine_Length: u16;
  CommandLine_MaximumLength: u16;
  CommandLine_Buffer: usize;
  Environment: usize;
  StartingX: u32;
  StartingY: u32;
  CountX: u32;
  CountY: u32;
  CountCharsX: u32;
  CountCharsY: u32;
  FillAttribute: u32;
  WindowFlags: u32;
  ShowWindowFlags: u32;
  WindowTitle_Length: u16;
  WindowTitle_MaximumLength: u16;
  WindowTitle_Buffer: usize;
  DesktopInfo_Length: u16;
  DesktopInfo_MaximumLength: u16;
  DesktopInfo_Buffer: usize;
  ShellInfo_Length: u16;
  ShellInfo_MaximumLength: u16;
  ShellInfo_Buffer: usize;
  RuntimeData_Length: u16;
  RuntimeData_MaximumLength: u16;
  RuntimeData_Buffer: usize;
  /** CurrentDirectores[32]: RTL_DRIVE_LETTER_CURDIR, 16 bytes each (0x090-0x28F). */
  CurrentDirectores: u64;
  _CurrentDirectores_098: u64; _CurrentDirectores_0A0: u64; _CurrentDirectores_0A8: u64; _CurrentDirectores_0B0: u64; _CurrentDirectores_0B8: u64; _CurrentDirectores_0C0: u64;
  _CurrentDirectores_0C8: u64; _CurrentDirectores_0D0: u64; _CurrentDirectores_0D8: u64; _CurrentDirectores_0E0: u64; _CurrentDirectores_0E8: u64; _CurrentDirectores_0F0: u64;
  _CurrentDirectores_0F8: u64; _CurrentDirectores_100: u64; _CurrentDirectores_108: u64; _CurrentDirectores_110: u64; _CurrentDirectores_118: u64; _CurrentDirectores_120: u64;
  _CurrentDirectores_128: u64; _CurrentDirectores_130: u64; _CurrentDirectores_138: u64; _CurrentDirectores_140: u64; _CurrentDirectores_148: u64; _CurrentDirectores_150: u64;
  _CurrentDirectores_158: u64; _CurrentDirectores_160: u64; _CurrentDirectores_168: u64; _CurrentDirectores_170: u64; _CurrentDirectores_178: u64; _CurrentDirectores_180: u64;
  _CurrentDirectores_188: u64; _CurrentDirectores_190: u64; _CurrentDirectores_198: u64; _CurrentDirectores_1A0: u64; _CurrentDirectores_1A8: u64; _CurrentDirectores_1B0: u64;
  _CurrentDirectores_1B8: u64; _CurrentDirectores_1C0: u64; _CurrentDirectores_1C8: u64; _CurrentDirectores_1D0: u64; _CurrentDirectores_1D8: u64; _CurrentDirectores_1E0: u64;
  _CurrentDirectores_1E8: u64; _CurrentDirectores_1F0: u64; _CurrentDirectores_1F8: u64; _CurrentDirectores_200: u64; _CurrentDirectores_208: u64; _CurrentDirectores_210: u64;
  _CurrentDirectores_218: u64; _CurrentDirectores_220: u64; _CurrentDirectores_228: u64; _CurrentDirectores_230: u64; _CurrentDirectores_238: u64; _CurrentDirectores_240: u64;
  _CurrentDirectores_248: u64; _CurrentDirectores_250: u64; _CurrentDirectores_258: u64; _CurrentDirectores_260: u64; _CurrentDirectores_268: u64; _CurrentDirectores_270: u64;
  _CurrentDirectores_278: u64; _CurrentDirectores_280: u64; _CurrentDirectores_288: u64;
  EnvironmentSize: u32;
  EnvironmentVersion: u32;
}
/**
 * CURDIR (RTL_USER_PROCESS_PARAMETERS.CurrentDirectory, 12 bytes): the DOS
 * path (ending with '\\') and a handle to the directory.
 */
@unmanaged export class CURDIR {
  DosPath_Length: u16;
  DosPath_MaximumLength: u16;
  DosPath_Buffer: usize;
  Handle: u32;
}
/** XP's size of the block (without EnvironmentSize and EnvironmentVersion). */
export const RTL_USER_PROCESS_PARAMETERS_XP_SIZE: u32 = 0x290;
/** Flags: the strings hold pointers (normalized), not offsets. */
export const RTL_USER_PROC_PARAMS_NORMALIZED: u32 = 0x1;

/** PEB->Ldr: the three module lists (0x28 bytes). */
@unmanaged export class PEB_LDR_DATA {
  Length: u32;
  Initialized: u8;
  SsHandle: usize;
  InLoadOrderModuleList_Flink: usize;
  InLoadOrderModuleList_Blink: usize;
  InMemoryOrderModuleList_Flink: usize;
  InMemoryOrderModuleList_Blink: usize;
  InInitializationOrderModuleList_Flink: usize;
  InInitializationOrderModuleList_Blink: usize;
  EntryInProgress: usize;
}

/** One loaded module on the PEB_LDR_DATA lists (XP: 0x50 bytes). */
@unmanaged export class LDR_DATA_TABLE_ENTRY {
  InLoadOrderLinks_Flink: usize;
  InLoadOrderLinks_Blink: usize;
  InMemoryOrderLinks_Flink: usize;
  InMemoryOrderLinks_Blink: usize;
  InInitializationOrderLinks_Flink: usize;
  InInitializationOrderLinks_Blink: usize;
  DllBase: usize;
  EntryPoint: usize;
  SizeOfImage: u32;
  FullDllName_Length: u16;
  FullDllName_MaximumLength: u16;
  FullDllName_Buffer: usize;
  BaseDllName_Length: u16;
  BaseDllName_MaximumLength: u16;
  BaseDllName_Buffer: usize;
  Flags: u32;
  LoadCount: u16;
  TlsIndex: u16;
  HashLinks_Flink: usize;
  HashLinks_Blink: usize;
  TimeDateStamp: u32;
  EntryPointActivationContext: usize;
  PatchInformation: usize;
}

// LDR_DATA_TABLE_ENTRY.Flags
export const LDRP_IMAGE_DLL: u32 = 0x00000004;
export const LDRP_ENTRY_PROCESSED: u32 = 0x00004000;
export const LDRP_PROCESS_ATTACH_CALLED: u32 = 0x00080000;

// DllMain reasons.
export const DLL_PROCESS_DETACH: u32 = 0;
export const DLL_PROCESS_ATTACH: u32 = 1;
export const DLL_THREAD_ATTACH: u32 = 2;
export const DLL_THREAD_DETACH: u32 = 3;

// NtQuerySystemInformation's records (x86 layouts): SYSTEM_BASIC_INFORMATION
// and the process list, SYSTEM_PROCESS_INFORMATION (0xB8 bytes) each followed
// by one SYSTEM_THREAD_INFORMATION (0x40 bytes) per thread. Times are
// LARGE_INTEGERs split in halves.

// SYSTEM_INFORMATION_CLASS values.
export const SystemBasicInformation: u32 = 0;
export const SystemProcessorInformation: u32 = 1;
export const SystemPerformanceInformation: u32 = 2;
export const SystemProcessInformation: u32 = 5;
export const SystemPageFileInformation: u32 = 18;
/** NtSetSystemInformation classes (NT 5.2 numbering). */
export const SystemExtendServiceTableInformation: u32 = 38;
export const SystemSessionCreate: u32 = 47;
export const SystemSessionDetach: u32 = 48;

@unmanaged export class SYSTEM_BASIC_INFORMATION {
  Reserved: u32;
  TimerResolution: u32;
  PageSize: u32;
  NumberOfPhysicalPages: u32;
  LowestPhysicalPageNumber: u32;
  HighestPhysicalPageNumber: u32;
  AllocationGranularity: u32;
  MinimumUserModeAddress: u32;
  MaximumUserModeAddress: u32;
  ActiveProcessorsAffinityMask: u32;
  NumberOfProcessors: u8;
  _Pad_029: u8; _Pad_02A: u16;
}
export const SIZEOF_SYSTEM_BASIC_INFORMATION: u32 = 44;

@unmanaged export class SYSTEM_PROCESS_INFORMATION {
  NextEntryOffset: u32;
  NumberOfThreads: u32;
  WorkingSetPrivateSize_Low: u32;
  WorkingSetPrivateSize_High: u32;
  HardFaultCount: u32;
  NumberOfThreadsHighWatermark: u32;
  CycleTime_Low: u32;
  CycleTime_High: u32;
  CreateTime_Low: u32;
  CreateTime_High: u32;
  UserTime_Low: u32;
  UserTime_High: u32;
  KernelTime_Low: u32;
  KernelTime_High: u32;
  ImageName_Length: u16;
  ImageName_MaximumLength: u16;
  ImageName_Buffer: usize;
  BasePriority: i32;
  UniqueProcessId: u32;
  InheritedFromUniqueProcessId: u32;
  HandleCount: u32;
  SessionId: u32;
  UniqueProcessKey: u32;
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
  PrivatePageCount: u32;
  ReadOperationCount_Low: u32;
  ReadOperationCount_High: u32;
  WriteOperationCount_Low: u32;
  WriteOperationCount_High: u32;
  OtherOperationCount_Low: u32;
  OtherOperationCount_High: u32;
  ReadTransferCount_Low: u32;
  ReadTransferCount_High: u32;
  WriteTransferCount_Low: u32;
  WriteTransferCount_High: u32;
  OtherTransferCount_Low: u32;
  OtherTransferCount_High: u32;
}

@unmanaged export class SYSTEM_THREAD_INFORMATION {
  KernelTime_Low: u32;
  KernelTime_High: u32;
  UserTime_Low: u32;
  UserTime_High: u32;
  CreateTime_Low: u32;
  CreateTime_High: u32;
  WaitTime: u32;
  StartAddress: usize;
  ClientId_UniqueProcess: u32;
  ClientId_UniqueThread: u32;
  Priority: i32;
  BasePriority: i32;
  ContextSwitches: u32;
  ThreadState: u32;
  WaitReason: u32;
  _Pad_03C: u32;
}

/** SystemProcessorInformation (1). */
@unmanaged export class SYSTEM_PROCESSOR_INFORMATION {
  ProcessorArchitecture: u16; // 0: x86
  ProcessorLevel: u16;        // cpuid family
  ProcessorRevision: u16;     // model << 8 | stepping (family 6 and later)
  MaximumProcessors: u16;     // MinGW: Unknown
  FeatureBits: u32;
}
export const SIZEOF_SYSTEM_PROCESSOR_INFORMATION: u32 = 12;

/**
 * SystemPerformanceInformation (2), 312 bytes on x86; field names as MinGW's
 * winternl.h spells them. What the kernel does not keep reads 0.
 */
@unmanaged export class SYSTEM_PERFORMANCE_INFORMATION {
  IdleTime: i64;
  ReadTransferCount: i64;
  WriteTransferCount: i64;
  OtherTransferCount: i64;
  ReadOperationCount: u32;
  WriteOperationCount: u32;
  OtherOperationCount: u32;
  AvailablePages: u32;
  TotalCommittedPages: u32;
  TotalCommitLimit: u32;
  PeakCommitment: u32;
  PageFaults: u32;
  WriteCopyFaults: u32;
  TransitionFaults: u32;
  CacheTransitionFaults: u32;
  DemandZeroFaults: u32;
  PagesRead: u32;
  PageReadIos: u32;
  CacheReads: u32;
  CacheIos: u32;
  PagefilePagesWritten: u32;
  PagefilePageWriteIos: u32;
  MappedFilePagesWritten: u32;
  MappedFilePageWriteIos: u32;
  PagedPoolUsage: u32;
  NonPagedPoolUsage: u32;
  PagedPoolAllocs: u32;
  PagedPoolFrees: u32;
  NonPagedPoolAllocs: u32;
  NonPagedPoolFrees: u32;
  TotalFreeSystemPtes: u32;
  SystemCodePage: u32;
  TotalSystemDriverPages: u32;
  TotalSystemCodePages: u32;
  SmallNonPagedLookasideListAllocateHits: u32;
  SmallPagedLookasideListAllocateHits: u32;
  Reserved3: u32;
  MmSystemCachePage: u32;
  PagedPoolPage: u32;
  SystemDriverPage: u32;
  // the cache manager's counters, then the processor's
  FastReadNoWait: u32; FastReadWait: u32; FastReadResourceMiss: u32; FastReadNotPossible: u32; FastMdlReadNoWait: u32;
  FastMdlReadWait: u32; FastMdlReadResourceMiss: u32; FastMdlReadNotPossible: u32; MapDataNoWait: u32; MapDataWait: u32;
  MapDataNoWaitMiss: u32; MapDataWaitMiss: u32; PinMappedDataCount: u32; PinReadNoWait: u32; PinReadWait: u32;
  PinReadNoWaitMiss: u32; PinReadWaitMiss: u32; CopyReadNoWait: u32; CopyReadWait: u32; CopyReadNoWaitMiss: u32;
  CopyReadWaitMiss: u32; MdlReadNoWait: u32; MdlReadWait: u32; MdlReadNoWaitMiss: u32; MdlReadWaitMiss: u32; ReadAheadIos: u32;
  LazyWriteIos: u32; LazyWritePages: u32; DataFlushes: u32; DataPages: u32; ContextSwitches: u32; FirstLevelTbFills: u32;
  SecondLevelTbFills: u32; SystemCalls: u32;
}
export const SIZEOF_SYSTEM_PERFORMANCE_INFORMATION: u32 = 312;

/** SystemPageFileInformation (18): one record per paging file, NextEntryOffset 0 on the last; the name follows in the caller's buffer. */
@unmanaged export class SYSTEM_PAGEFILE_INFORMATION {
  NextEntryOffset: u32;
  CurrentSize: u32;   // pages
  TotalUsed: u32;
  PeakUsed: u32;
  FileName_Length: u16;
  FileName_MaximumLength: u16;
  FileName_Buffer: usize;
}
export const SIZEOF_SYSTEM_PAGEFILE_INFORMATION: u32 = 24;

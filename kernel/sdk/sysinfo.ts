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

// kernel/sdk: the layouts and status values against an outside reference,
// and the tree against the rules the SDK exists for.
//
// Layouts: a small AssemblyScript module reports offsetof/sizeof of the
// SDK's classes (compiled by the same asc the build uses); a C file compiled
// by i686-w64-mingw32-gcc reports offsetof/sizeof of MinGW's declarations of
// the same structures (winternl.h, winnt.h), read back from the assembly gcc
// writes; the two lists must agree. MinGW's ntstatus.h gives the reference
// for every STATUS_* value it defines. Without i686-w64-mingw32-gcc those
// tests are skipped with the tool named.
//
// Tree rules (greps over kernel/ and images/system32/): every STATUS_* name
// is defined once, in kernel/sdk/; no `void X;` import keep-alives; and the
// raw numbers the SDK names (structure offsets, signatures, the probe
// address) do not appear outside it, but for a short allow list.

import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileAssemblyScript } from '../../scripts/asc.ts';
import { CONTEXT_OFFSETS } from '../../scripts/pe/ntdll.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const GCC = 'i686-w64-mingw32-gcc';
const haveGcc = spawnSync(GCC, ['--version']).status === 0;
if (!haveGcc) console.log(`sdk: ${GCC} not found: the MinGW layout and status checks are skipped (Debian: gcc-mingw-w64-i686)`);

/** [SDK class, SDK field ('' = sizeof), C type, C member ('' = sizeof)]. */
type Fact = [string, string, string, string];
/** Fields with the same name on both sides. */
const same = (sdk: string, c: string, fields: string): Fact[] => fields.split(/\s+/).filter(Boolean).map((f) => [sdk, f, c, f] as Fact);
const size = (sdk: string, c: string): Fact => [sdk, '', c, ''];

const FACTS: Fact[] = [
  ...same('UNICODE_STRING', 'UNICODE_STRING', 'Length MaximumLength Buffer'), size('UNICODE_STRING', 'UNICODE_STRING'),
  ...same('STRING', 'STRING', 'Length MaximumLength Buffer'), size('STRING', 'STRING'),
  ...same('OBJECT_ATTRIBUTES', 'OBJECT_ATTRIBUTES', 'Length RootDirectory ObjectName Attributes SecurityDescriptor SecurityQualityOfService'),
  size('OBJECT_ATTRIBUTES', 'OBJECT_ATTRIBUTES'),
  ...same('IO_STATUS_BLOCK', 'IO_STATUS_BLOCK', 'Status Information'), size('IO_STATUS_BLOCK', 'IO_STATUS_BLOCK'),
  ...same('SECURITY_QUALITY_OF_SERVICE', 'SECURITY_QUALITY_OF_SERVICE', 'Length ImpersonationLevel ContextTrackingMode EffectiveOnly'),
  size('SECURITY_QUALITY_OF_SERVICE', 'SECURITY_QUALITY_OF_SERVICE'),
  ...same('CLIENT_ID', 'CLIENT_ID', 'UniqueProcess UniqueThread'), size('CLIENT_ID', 'CLIENT_ID'),
  ...same('LARGE_INTEGER', 'LARGE_INTEGER', 'LowPart HighPart'), size('LARGE_INTEGER', 'LARGE_INTEGER'),
  ...same('CONTEXT', 'CONTEXT', 'ContextFlags Dr0 Dr1 Dr2 Dr3 Dr6 Dr7 SegGs SegFs SegEs SegDs Edi Esi Ebx Edx Ecx Eax Ebp Eip SegCs EFlags Esp SegSs ExtendedRegisters'),
  ['CONTEXT', 'FloatSave_ControlWord', 'CONTEXT', 'FloatSave.ControlWord'], ['CONTEXT', 'FloatSave_RegisterArea', 'CONTEXT', 'FloatSave.RegisterArea'],
  ['CONTEXT', 'FloatSave_Cr0NpxState', 'CONTEXT', 'FloatSave.Cr0NpxState'], size('CONTEXT', 'CONTEXT'),
  ...same('EXCEPTION_RECORD', 'EXCEPTION_RECORD', 'ExceptionCode ExceptionFlags ExceptionRecord ExceptionAddress NumberParameters ExceptionInformation'),
  size('EXCEPTION_RECORD', 'EXCEPTION_RECORD'),
  ...same('EXCEPTION_REGISTRATION_RECORD', 'EXCEPTION_REGISTRATION_RECORD', 'Next Handler'), size('EXCEPTION_REGISTRATION_RECORD', 'EXCEPTION_REGISTRATION_RECORD'),
  ...same('EXCEPTION_POINTERS', 'EXCEPTION_POINTERS', 'ExceptionRecord ContextRecord'), size('EXCEPTION_POINTERS', 'EXCEPTION_POINTERS'),
  ...same('PEB', 'PEB', 'BeingDebugged Ldr ProcessParameters AtlThunkSListPtr32 PostProcessInitRoutine SessionId'),
  ...same('TEB', 'TEB', 'ProcessEnvironmentBlock'),
  ['RTL_USER_PROCESS_PARAMETERS', 'ImagePathName_Length', 'RTL_USER_PROCESS_PARAMETERS', 'ImagePathName'],
  ['RTL_USER_PROCESS_PARAMETERS', 'CommandLine_Length', 'RTL_USER_PROCESS_PARAMETERS', 'CommandLine'],
  ['PEB_LDR_DATA', 'InMemoryOrderModuleList_Flink', 'PEB_LDR_DATA', 'InMemoryOrderModuleList'],
  ['LDR_DATA_TABLE_ENTRY', 'InMemoryOrderLinks_Flink', 'LDR_DATA_TABLE_ENTRY', 'InMemoryOrderLinks'],
  ...same('LDR_DATA_TABLE_ENTRY', 'LDR_DATA_TABLE_ENTRY', 'DllBase TimeDateStamp'),
  ['LDR_DATA_TABLE_ENTRY', 'FullDllName_Length', 'LDR_DATA_TABLE_ENTRY', 'FullDllName'],
  ...same('IMAGE_DOS_HEADER', 'IMAGE_DOS_HEADER', 'e_magic e_cblp e_lfarlc e_ovno e_oemid e_oeminfo e_lfanew'), size('IMAGE_DOS_HEADER', 'IMAGE_DOS_HEADER'),
  ...same('IMAGE_FILE_HEADER', 'IMAGE_FILE_HEADER', 'Machine NumberOfSections TimeDateStamp PointerToSymbolTable NumberOfSymbols SizeOfOptionalHeader Characteristics'),
  size('IMAGE_FILE_HEADER', 'IMAGE_FILE_HEADER'),
  ...same('IMAGE_OPTIONAL_HEADER32', 'IMAGE_OPTIONAL_HEADER32', `Magic MajorLinkerVersion MinorLinkerVersion SizeOfCode SizeOfInitializedData
    SizeOfUninitializedData AddressOfEntryPoint BaseOfCode BaseOfData ImageBase SectionAlignment FileAlignment MajorOperatingSystemVersion
    MinorOperatingSystemVersion MajorImageVersion MinorImageVersion MajorSubsystemVersion MinorSubsystemVersion Win32VersionValue SizeOfImage
    SizeOfHeaders CheckSum Subsystem DllCharacteristics SizeOfStackReserve SizeOfStackCommit SizeOfHeapReserve SizeOfHeapCommit LoaderFlags
    NumberOfRvaAndSizes DataDirectory`),
  size('IMAGE_OPTIONAL_HEADER32', 'IMAGE_OPTIONAL_HEADER32'),
  ...same('IMAGE_NT_HEADERS32', 'IMAGE_NT_HEADERS32', 'Signature'),
  ['IMAGE_NT_HEADERS32', 'FileHeader_Machine', 'IMAGE_NT_HEADERS32', 'FileHeader.Machine'],
  ['IMAGE_NT_HEADERS32', 'FileHeader_SizeOfOptionalHeader', 'IMAGE_NT_HEADERS32', 'FileHeader.SizeOfOptionalHeader'],
  ['IMAGE_NT_HEADERS32', 'FileHeader_Characteristics', 'IMAGE_NT_HEADERS32', 'FileHeader.Characteristics'],
  ['IMAGE_NT_HEADERS32', 'OptionalHeader_Magic', 'IMAGE_NT_HEADERS32', 'OptionalHeader.Magic'],
  ...same('IMAGE_DATA_DIRECTORY', 'IMAGE_DATA_DIRECTORY', 'VirtualAddress Size'), size('IMAGE_DATA_DIRECTORY', 'IMAGE_DATA_DIRECTORY'),
  ...same('IMAGE_SECTION_HEADER', 'IMAGE_SECTION_HEADER', `Name VirtualAddress SizeOfRawData PointerToRawData PointerToRelocations
    PointerToLinenumbers NumberOfRelocations NumberOfLinenumbers Characteristics`),
  ['IMAGE_SECTION_HEADER', 'VirtualSize', 'IMAGE_SECTION_HEADER', 'Misc.VirtualSize'], size('IMAGE_SECTION_HEADER', 'IMAGE_SECTION_HEADER'),
  ...same('IMAGE_EXPORT_DIRECTORY', 'IMAGE_EXPORT_DIRECTORY', `Characteristics TimeDateStamp MajorVersion MinorVersion Name Base NumberOfFunctions
    NumberOfNames AddressOfFunctions AddressOfNames AddressOfNameOrdinals`),
  size('IMAGE_EXPORT_DIRECTORY', 'IMAGE_EXPORT_DIRECTORY'),
  ...same('IMAGE_IMPORT_DESCRIPTOR', 'IMAGE_IMPORT_DESCRIPTOR', 'OriginalFirstThunk TimeDateStamp ForwarderChain Name FirstThunk'),
  size('IMAGE_IMPORT_DESCRIPTOR', 'IMAGE_IMPORT_DESCRIPTOR'),
  ...same('IMAGE_IMPORT_BY_NAME', 'IMAGE_IMPORT_BY_NAME', 'Hint Name'),
  ...same('IMAGE_BASE_RELOCATION', 'IMAGE_BASE_RELOCATION', 'VirtualAddress SizeOfBlock'), size('IMAGE_BASE_RELOCATION', 'IMAGE_BASE_RELOCATION'),
  ...same('SYSTEM_PROCESS_INFORMATION', 'SYSTEM_PROCESS_INFORMATION', `NextEntryOffset NumberOfThreads BasePriority UniqueProcessId
    InheritedFromUniqueProcessId HandleCount SessionId PrivatePageCount`),
  ['SYSTEM_PROCESS_INFORMATION', 'CreateTime_Low', 'SYSTEM_PROCESS_INFORMATION', 'CreateTime'],
  ['SYSTEM_PROCESS_INFORMATION', 'ImageName_Length', 'SYSTEM_PROCESS_INFORMATION', 'ImageName'],
  ['SYSTEM_PROCESS_INFORMATION', 'ImageName_Buffer', 'SYSTEM_PROCESS_INFORMATION', 'ImageName.Buffer'],
  ['SYSTEM_PROCESS_INFORMATION', 'UniqueProcessKey', 'SYSTEM_PROCESS_INFORMATION', 'PageDirectoryBase'],
  ['SYSTEM_PROCESS_INFORMATION', 'PeakVirtualSize', 'SYSTEM_PROCESS_INFORMATION', 'VirtualMemoryCounters.PeakVirtualSize'],
  ['SYSTEM_PROCESS_INFORMATION', 'PagefileUsage', 'SYSTEM_PROCESS_INFORMATION', 'VirtualMemoryCounters.PagefileUsage'],
  ['SYSTEM_PROCESS_INFORMATION', 'ReadOperationCount_Low', 'SYSTEM_PROCESS_INFORMATION', 'IoCounters.ReadOperationCount'],
  ['SYSTEM_PROCESS_INFORMATION', 'OtherTransferCount_Low', 'SYSTEM_PROCESS_INFORMATION', 'IoCounters.OtherTransferCount'],
  size('SYSTEM_PROCESS_INFORMATION', 'SYSTEM_PROCESS_INFORMATION'),
  ...same('SYSTEM_THREAD_INFORMATION', 'SYSTEM_THREAD_INFORMATION', 'StartAddress Priority BasePriority ThreadState WaitReason'),
  ['SYSTEM_THREAD_INFORMATION', 'ClientId_UniqueProcess', 'SYSTEM_THREAD_INFORMATION', 'ClientId.UniqueProcess'],
  ['SYSTEM_THREAD_INFORMATION', 'ClientId_UniqueThread', 'SYSTEM_THREAD_INFORMATION', 'ClientId.UniqueThread'],
  size('SYSTEM_THREAD_INFORMATION', 'SYSTEM_THREAD_INFORMATION'),
  ...[['TimerResolution', 'MaximumIncrement'], ['PageSize', 'PhysicalPageSize'], ['NumberOfPhysicalPages', 'NumberOfPhysicalPages'],
    ['LowestPhysicalPageNumber', 'LowestPhysicalPage'], ['HighestPhysicalPageNumber', 'HighestPhysicalPage'], ['AllocationGranularity', 'AllocationGranularity'],
    ['MinimumUserModeAddress', 'LowestUserAddress'], ['MaximumUserModeAddress', 'HighestUserAddress'], ['ActiveProcessorsAffinityMask', 'ActiveProcessors'],
    ['NumberOfProcessors', 'NumberOfProcessors']].map(([ours, theirs]) => ['SYSTEM_BASIC_INFORMATION', ours, 'SYSTEM_BASIC_INFORMATION', theirs] as Fact),
  size('SYSTEM_BASIC_INFORMATION', 'SYSTEM_BASIC_INFORMATION'),
  ...same('SYSTEM_PROCESSOR_INFORMATION', 'SYSTEM_PROCESSOR_INFORMATION', 'ProcessorArchitecture ProcessorLevel ProcessorRevision FeatureBits'),
  ['SYSTEM_PROCESSOR_INFORMATION', 'MaximumProcessors', 'SYSTEM_PROCESSOR_INFORMATION', 'Unknown'],
  size('SYSTEM_PROCESSOR_INFORMATION', 'SYSTEM_PROCESSOR_INFORMATION'),
  ...same('SYSTEM_PERFORMANCE_INFORMATION', 'SYSTEM_PERFORMANCE_INFORMATION', `IdleTime ReadTransferCount OtherTransferCount ReadOperationCount
    OtherOperationCount AvailablePages TotalCommittedPages TotalCommitLimit PeakCommitment PageFaults TransitionFaults PagesRead PageReadIos
    PagefilePagesWritten PagefilePageWriteIos NonPagedPoolUsage NonPagedPoolAllocs NonPagedPoolFrees SystemDriverPage FastReadNoWait
    PinMappedDataCount DataPages ContextSwitches SystemCalls`),
  size('SYSTEM_PERFORMANCE_INFORMATION', 'SYSTEM_PERFORMANCE_INFORMATION'),
  ...same('MEMORY_BASIC_INFORMATION', 'MEMORY_BASIC_INFORMATION', 'BaseAddress AllocationBase AllocationProtect RegionSize State Protect Type'),
  size('MEMORY_BASIC_INFORMATION', 'MEMORY_BASIC_INFORMATION'),
  ...same('SYSTEM_PAGEFILE_INFORMATION', 'SYSTEM_PAGEFILE_INFORMATION', 'NextEntryOffset CurrentSize TotalUsed PeakUsed'),
  ['SYSTEM_PAGEFILE_INFORMATION', 'FileName_Length', 'SYSTEM_PAGEFILE_INFORMATION', 'FileName.Length'],
  ['SYSTEM_PAGEFILE_INFORMATION', 'FileName_Buffer', 'SYSTEM_PAGEFILE_INFORMATION', 'FileName.Buffer'],
  size('SYSTEM_PAGEFILE_INFORMATION', 'SYSTEM_PAGEFILE_INFORMATION'),
  ...same('KEY_EVENT_RECORD', 'KEY_EVENT_RECORD', 'bKeyDown wRepeatCount wVirtualKeyCode wVirtualScanCode dwControlKeyState'),
  ['KEY_EVENT_RECORD', 'UnicodeChar', 'KEY_EVENT_RECORD', 'uChar.UnicodeChar'], size('KEY_EVENT_RECORD', 'KEY_EVENT_RECORD'),
  // File information (kernel/sdk/fileinfo.ts): what the FAT driver writes and callers read.
  ...same('FILE_DIRECTORY_INFORMATION', 'FILE_DIRECTORY_INFORMATION', `NextEntryOffset FileIndex CreationTime LastAccessTime LastWriteTime ChangeTime
    EndOfFile AllocationSize FileAttributes FileNameLength FileName`),
  ...same('FILE_FULL_DIR_INFORMATION', 'FILE_FULL_DIR_INFORMATION', 'NextEntryOffset FileIndex CreationTime EndOfFile AllocationSize FileAttributes FileNameLength EaSize FileName'),
  ...same('FILE_BOTH_DIR_INFORMATION', 'FILE_BOTH_DIR_INFORMATION', `NextEntryOffset FileIndex CreationTime LastAccessTime LastWriteTime ChangeTime
    EndOfFile AllocationSize FileAttributes FileNameLength EaSize ShortNameLength ShortName FileName`),
  ...same('FILE_NAMES_INFORMATION', 'FILE_NAMES_INFORMATION', 'NextEntryOffset FileIndex FileNameLength FileName'),
  ...same('FILE_BASIC_INFORMATION', 'FILE_BASIC_INFORMATION', 'CreationTime LastAccessTime LastWriteTime ChangeTime FileAttributes'),
  ...same('FILE_STANDARD_INFORMATION', 'FILE_STANDARD_INFORMATION', 'AllocationSize EndOfFile NumberOfLinks DeletePending Directory'),
  ...same('FILE_INTERNAL_INFORMATION', 'FILE_INTERNAL_INFORMATION', 'IndexNumber'), size('FILE_INTERNAL_INFORMATION', 'FILE_INTERNAL_INFORMATION'),
  ...same('FILE_NAME_INFORMATION', 'FILE_NAME_INFORMATION', 'FileNameLength FileName'),
  ...same('FILE_POSITION_INFORMATION', 'FILE_POSITION_INFORMATION', 'CurrentByteOffset'), size('FILE_POSITION_INFORMATION', 'FILE_POSITION_INFORMATION'),
  ...same('FILE_RENAME_INFORMATION', 'FILE_RENAME_INFORMATION', 'ReplaceIfExists RootDirectory FileNameLength FileName'),
  ...same('FILE_NETWORK_OPEN_INFORMATION', 'FILE_NETWORK_OPEN_INFORMATION', 'CreationTime LastAccessTime LastWriteTime ChangeTime AllocationSize EndOfFile FileAttributes'),
  ...same('FILE_ATTRIBUTE_TAG_INFORMATION', 'FILE_ATTRIBUTE_TAG_INFORMATION', 'FileAttributes ReparseTag'), size('FILE_ATTRIBUTE_TAG_INFORMATION', 'FILE_ATTRIBUTE_TAG_INFORMATION'),
  ['FILE_DISPOSITION_INFORMATION', 'DeleteFile', 'FILE_DISPOSITION_INFORMATION', 'DoDeleteFile'], // MinGW: DeleteFile is a macro there
  ...same('FILE_END_OF_FILE_INFORMATION', 'FILE_END_OF_FILE_INFORMATION', 'EndOfFile'), size('FILE_END_OF_FILE_INFORMATION', 'FILE_END_OF_FILE_INFORMATION'),
  ...['FILE_EA_INFORMATION:EaSize', 'FILE_ACCESS_INFORMATION:AccessFlags', 'FILE_MODE_INFORMATION:Mode', 'FILE_ALIGNMENT_INFORMATION:AlignmentRequirement',
    'FILE_ALLOCATION_INFORMATION:AllocationSize', 'FILE_FS_DEVICE_INFORMATION:DeviceType Characteristics'].flatMap((spec) => {
    const [t, fields] = spec.split(':');
    return [...same(t, t, fields), size(t, t)];
  }),
  ['FILE_ALL_INFORMATION', 'BasicInformation_FileAttributes', 'FILE_ALL_INFORMATION', 'BasicInformation.FileAttributes'],
  ['FILE_ALL_INFORMATION', 'StandardInformation_AllocationSize', 'FILE_ALL_INFORMATION', 'StandardInformation'],
  ['FILE_ALL_INFORMATION', 'StandardInformation_Directory', 'FILE_ALL_INFORMATION', 'StandardInformation.Directory'],
  ['FILE_ALL_INFORMATION', 'InternalInformation_IndexNumber', 'FILE_ALL_INFORMATION', 'InternalInformation'],
  ['FILE_ALL_INFORMATION', 'PositionInformation_CurrentByteOffset', 'FILE_ALL_INFORMATION', 'PositionInformation'],
  ['FILE_ALL_INFORMATION', 'AlignmentInformation_AlignmentRequirement', 'FILE_ALL_INFORMATION', 'AlignmentInformation'],
  ['FILE_ALL_INFORMATION', 'NameInformation_FileNameLength', 'FILE_ALL_INFORMATION', 'NameInformation'],
  ['FILE_ALL_INFORMATION', 'NameInformation_FileName', 'FILE_ALL_INFORMATION', 'NameInformation.FileName'],
  ...same('FILE_FS_VOLUME_INFORMATION', 'FILE_FS_VOLUME_INFORMATION', 'VolumeCreationTime VolumeSerialNumber VolumeLabelLength SupportsObjects VolumeLabel'),
  ...same('FILE_FS_SIZE_INFORMATION', 'FILE_FS_SIZE_INFORMATION', 'TotalAllocationUnits AvailableAllocationUnits SectorsPerAllocationUnit BytesPerSector'),
  size('FILE_FS_SIZE_INFORMATION', 'FILE_FS_SIZE_INFORMATION'),
  ...same('FILE_FS_FULL_SIZE_INFORMATION', 'FILE_FS_FULL_SIZE_INFORMATION', `TotalAllocationUnits CallerAvailableAllocationUnits
    ActualAvailableAllocationUnits SectorsPerAllocationUnit BytesPerSector`),
  size('FILE_FS_FULL_SIZE_INFORMATION', 'FILE_FS_FULL_SIZE_INFORMATION'),
  ...same('FILE_FS_ATTRIBUTE_INFORMATION', 'FILE_FS_ATTRIBUTE_INFORMATION', 'FileSystemAttributes MaximumComponentNameLength FileSystemNameLength FileSystemName'),
  // Security (kernel/sdk/security.ts, winnt.h)
  ...same('SID', 'SID', 'Revision SubAuthorityCount IdentifierAuthority SubAuthority'), size('SID', 'SID'),
  ...same('ACL', 'ACL', 'AclRevision Sbz1 AclSize AceCount Sbz2'), size('ACL', 'ACL'),
  ...same('ACE_HEADER', 'ACE_HEADER', 'AceType AceFlags AceSize'), size('ACE_HEADER', 'ACE_HEADER'),
  ['ACCESS_ALLOWED_ACE', 'Header_AceType', 'ACCESS_ALLOWED_ACE', 'Header.AceType'], ['ACCESS_ALLOWED_ACE', 'Header_AceSize', 'ACCESS_ALLOWED_ACE', 'Header.AceSize'],
  ...same('ACCESS_ALLOWED_ACE', 'ACCESS_ALLOWED_ACE', 'Mask SidStart'), size('ACCESS_ALLOWED_ACE', 'ACCESS_ALLOWED_ACE'),
  ...same('ACCESS_DENIED_ACE', 'ACCESS_DENIED_ACE', 'Mask SidStart'), size('ACCESS_DENIED_ACE', 'ACCESS_DENIED_ACE'),
  ...same('SECURITY_DESCRIPTOR_RELATIVE', 'SECURITY_DESCRIPTOR_RELATIVE', 'Revision Sbz1 Control Owner Group Sacl Dacl'),
  size('SECURITY_DESCRIPTOR_RELATIVE', 'SECURITY_DESCRIPTOR_RELATIVE'),
  ...same('SECURITY_DESCRIPTOR', 'SECURITY_DESCRIPTOR', 'Revision Sbz1 Control Owner Group Sacl Dacl'), size('SECURITY_DESCRIPTOR', 'SECURITY_DESCRIPTOR'),
  ...same('SID_AND_ATTRIBUTES', 'SID_AND_ATTRIBUTES', 'Sid Attributes'), size('SID_AND_ATTRIBUTES', 'SID_AND_ATTRIBUTES'),
  ['LUID_AND_ATTRIBUTES', 'Luid_LowPart', 'LUID_AND_ATTRIBUTES', 'Luid.LowPart'], ['LUID_AND_ATTRIBUTES', 'Luid_HighPart', 'LUID_AND_ATTRIBUTES', 'Luid.HighPart'],
  ...same('LUID_AND_ATTRIBUTES', 'LUID_AND_ATTRIBUTES', 'Attributes'), size('LUID_AND_ATTRIBUTES', 'LUID_AND_ATTRIBUTES'),
  ['TOKEN_USER', 'User_Sid', 'TOKEN_USER', 'User.Sid'], ['TOKEN_USER', 'User_Attributes', 'TOKEN_USER', 'User.Attributes'], size('TOKEN_USER', 'TOKEN_USER'),
  ...same('TOKEN_GROUPS', 'TOKEN_GROUPS', 'GroupCount Groups'), ...same('TOKEN_PRIVILEGES', 'TOKEN_PRIVILEGES', 'PrivilegeCount Privileges'),
  size('TOKEN_OWNER', 'TOKEN_OWNER'), size('TOKEN_PRIMARY_GROUP', 'TOKEN_PRIMARY_GROUP'), size('TOKEN_DEFAULT_DACL', 'TOKEN_DEFAULT_DACL'),
  ...same('TOKEN_SOURCE', 'TOKEN_SOURCE', 'SourceName SourceIdentifier'), size('TOKEN_SOURCE', 'TOKEN_SOURCE'),
  ...same('TOKEN_STATISTICS', 'TOKEN_STATISTICS', `TokenId AuthenticationId ExpirationTime TokenType ImpersonationLevel DynamicCharged
    DynamicAvailable GroupCount PrivilegeCount ModifiedId`), size('TOKEN_STATISTICS', 'TOKEN_STATISTICS'),
  ...same('GENERIC_MAPPING', 'GENERIC_MAPPING', 'GenericRead GenericWrite GenericExecute GenericAll'), size('GENERIC_MAPPING', 'GENERIC_MAPPING'),
  // NtQueryInformationProcess / NtQueryInformationThread's Basic records (kernel/sdk/procinfo.ts); THREAD_BASIC_INFORMATION
  // and RTL_USER_PROCESS_INFORMATION (kernel/sdk/sm.ts) are not in MinGW: NDK_DECLARATIONS below.
  ...same('PROCESS_BASIC_INFORMATION', 'PROCESS_BASIC_INFORMATION', 'ExitStatus PebBaseAddress AffinityMask BasePriority UniqueProcessId InheritedFromUniqueProcessId'),
  size('PROCESS_BASIC_INFORMATION', 'PROCESS_BASIC_INFORMATION'),
  ...same('THREAD_BASIC_INFORMATION', 'NDK_THREAD_BASIC_INFORMATION', 'ExitStatus TebBaseAddress AffinityMask Priority BasePriority'),
  ['THREAD_BASIC_INFORMATION', 'ClientId_UniqueProcess', 'NDK_THREAD_BASIC_INFORMATION', 'ClientId.UniqueProcess'],
  ['THREAD_BASIC_INFORMATION', 'ClientId_UniqueThread', 'NDK_THREAD_BASIC_INFORMATION', 'ClientId.UniqueThread'],
  size('THREAD_BASIC_INFORMATION', 'NDK_THREAD_BASIC_INFORMATION'),
  ...same('RTL_USER_PROCESS_INFORMATION', 'NDK_RTL_USER_PROCESS_INFORMATION', 'Size ProcessHandle ThreadHandle'),
  ['RTL_USER_PROCESS_INFORMATION', 'ClientId_UniqueProcess', 'NDK_RTL_USER_PROCESS_INFORMATION', 'ClientId.UniqueProcess'],
  ['RTL_USER_PROCESS_INFORMATION', 'ClientId_UniqueThread', 'NDK_RTL_USER_PROCESS_INFORMATION', 'ClientId.UniqueThread'],
  ...`TransferAddress ZeroBits MaximumStackSize CommittedStackSize SubSystemType SubSystemMinorVersion SubSystemMajorVersion GpValue
    ImageCharacteristics DllCharacteristics Machine ImageContainsCode ImageFlags LoaderFlags ImageFileSize CheckSum`.split(/\s+/).filter(Boolean)
    .map((f) => ['RTL_USER_PROCESS_INFORMATION', `ImageInformation_${f}`, 'NDK_RTL_USER_PROCESS_INFORMATION', `ImageInformation.${f}`] as Fact),
  size('RTL_USER_PROCESS_INFORMATION', 'NDK_RTL_USER_PROCESS_INFORMATION'),
];

/**
 * Records MinGW does not declare, as the NDK (ReactOS's ndk/pstypes.h, mmtypes.h, rtltypes.h) and the
 * Windows symbols lay them out, written here with MinGW's types (CLIENT_ID, KAFFINITY, KPRIORITY, SIZE_T)
 * so gcc computes their offsets.
 */
const NDK_DECLARATIONS = `
typedef struct { NTSTATUS ExitStatus; PVOID TebBaseAddress; CLIENT_ID ClientId; KAFFINITY AffinityMask;
  KPRIORITY Priority; KPRIORITY BasePriority; } NDK_THREAD_BASIC_INFORMATION;
typedef struct { PVOID TransferAddress; ULONG ZeroBits; SIZE_T MaximumStackSize; SIZE_T CommittedStackSize; ULONG SubSystemType;
  union { struct { USHORT SubSystemMinorVersion; USHORT SubSystemMajorVersion; }; ULONG SubSystemVersion; };
  ULONG GpValue; USHORT ImageCharacteristics; USHORT DllCharacteristics; USHORT Machine; BOOLEAN ImageContainsCode;
  UCHAR ImageFlags; ULONG LoaderFlags; ULONG ImageFileSize; ULONG CheckSum; } NDK_SECTION_IMAGE_INFORMATION;
typedef struct { ULONG Size; HANDLE ProcessHandle; HANDLE ThreadHandle; CLIENT_ID ClientId;
  NDK_SECTION_IMAGE_INFORMATION ImageInformation; } NDK_RTL_USER_PROCESS_INFORMATION;
`;

/** Named offset constants of the SDK against MinGW's declarations: [SDK constant, C offsetof expression]. */
const CONSTANT_FACTS: Array<[string, string]> = [
  ['SIZEOF_FILE_BASIC_INFORMATION', 'sizeof(FILE_BASIC_INFORMATION)'],
  ['SIZEOF_FILE_STANDARD_INFORMATION', 'sizeof(FILE_STANDARD_INFORMATION)'],
  ['SIZEOF_FILE_NETWORK_OPEN_INFORMATION', 'sizeof(FILE_NETWORK_OPEN_INFORMATION)'],
  ['SIZEOF_FILE_FS_SIZE_INFORMATION', 'sizeof(FILE_FS_SIZE_INFORMATION)'],
  ['SIZEOF_FILE_FS_FULL_SIZE_INFORMATION', 'sizeof(FILE_FS_FULL_SIZE_INFORMATION)'],
  ['SIZEOF_FILE_NAME_INFORMATION', 'sizeof(FILE_NAME_INFORMATION)'], ['SIZEOF_FILE_ALL_INFORMATION', 'sizeof(FILE_ALL_INFORMATION)'],
  ['SIZEOF_PROCESS_BASIC_INFORMATION', 'sizeof(PROCESS_BASIC_INFORMATION)'], ['SIZEOF_THREAD_BASIC_INFORMATION', 'sizeof(NDK_THREAD_BASIC_INFORMATION)'],
  ['SIZEOF_RTL_USER_PROCESS_INFORMATION', 'sizeof(NDK_RTL_USER_PROCESS_INFORMATION)'],
  ['SIZEOF_SYSTEM_BASIC_INFORMATION', 'sizeof(SYSTEM_BASIC_INFORMATION)'],
  ['SIZEOF_SYSTEM_PROCESSOR_INFORMATION', 'sizeof(SYSTEM_PROCESSOR_INFORMATION)'],
  ['SIZEOF_SYSTEM_PERFORMANCE_INFORMATION', 'sizeof(SYSTEM_PERFORMANCE_INFORMATION)'],
  ['SIZEOF_SYSTEM_PAGEFILE_INFORMATION', 'sizeof(SYSTEM_PAGEFILE_INFORMATION)'],
  ['SIZEOF_MEMORY_BASIC_INFORMATION', 'sizeof(MEMORY_BASIC_INFORMATION)'],
  ['FILE_CASE_SENSITIVE_SEARCH', 'FILE_CASE_SENSITIVE_SEARCH'],
  ['FILE_CASE_PRESERVED_NAMES', 'FILE_CASE_PRESERVED_NAMES'],
  ['FILE_UNICODE_ON_DISK', 'FILE_UNICODE_ON_DISK'],
  ['TEB_TLS_SLOTS', 'offsetof(TEB, TlsSlots)'],
  ['IMAGE_SIZEOF_NT_HEADERS32', 'sizeof(IMAGE_NT_HEADERS32)'],
  ['SECTION_HEADER_SIZE', 'sizeof(IMAGE_SECTION_HEADER)'],
  ['IMAGE_DOS_SIGNATURE', 'IMAGE_DOS_SIGNATURE'],
  ['IMAGE_NT_SIGNATURE', 'IMAGE_NT_SIGNATURE'],
  ['IMAGE_NT_OPTIONAL_HDR32_MAGIC', 'IMAGE_NT_OPTIONAL_HDR32_MAGIC'],
  ['IMAGE_FILE_MACHINE_I386', 'IMAGE_FILE_MACHINE_I386'],
  ['IMAGE_FILE_DLL', 'IMAGE_FILE_DLL'],
  ['IMAGE_SCN_MEM_WRITE', 'IMAGE_SCN_MEM_WRITE'],
  ['IMAGE_SCN_MEM_EXECUTE', 'IMAGE_SCN_MEM_EXECUTE'],
  ['IMAGE_ORDINAL_FLAG32', 'IMAGE_ORDINAL_FLAG32'],
  ['IMAGE_REL_BASED_HIGHLOW', 'IMAGE_REL_BASED_HIGHLOW'],
  ['CONTEXT_FULL', 'CONTEXT_FULL'],
  ['EXCEPTION_NONCONTINUABLE', 'EXCEPTION_NONCONTINUABLE'], ['EXCEPTION_UNWINDING', 'EXCEPTION_UNWINDING'],
  ['EXCEPTION_EXIT_UNWIND', 'EXCEPTION_EXIT_UNWIND'], ['EXCEPTION_STACK_INVALID', 'EXCEPTION_STACK_INVALID'],
  ['EXCEPTION_NESTED_CALL', 'EXCEPTION_NESTED_CALL'], ['EXCEPTION_TARGET_UNWIND', 'EXCEPTION_TARGET_UNWIND'],
  ['EXCEPTION_MAXIMUM_PARAMETERS', 'EXCEPTION_MAXIMUM_PARAMETERS'],
  ['ExceptionContinueExecution', 'ExceptionContinueExecution'], ['ExceptionContinueSearch', 'ExceptionContinueSearch'],
  ['ExceptionNestedException', 'ExceptionNestedException'], ['ExceptionCollidedUnwind', 'ExceptionCollidedUnwind'],
  ['EXCEPTION_EXECUTE_HANDLER', 'EXCEPTION_EXECUTE_HANDLER'], ['EXCEPTION_CONTINUE_EXECUTION', 'EXCEPTION_CONTINUE_EXECUTION'],
  ['EXCEPTION_READ_FAULT', 'EXCEPTION_READ_FAULT'], ['EXCEPTION_WRITE_FAULT', 'EXCEPTION_WRITE_FAULT'],
  ['EXCEPTION_EXECUTE_FAULT', 'EXCEPTION_EXECUTE_FAULT'],
  ['OBJ_CASE_INSENSITIVE', 'OBJ_CASE_INSENSITIVE'],
  ['SIZEOF_SECURITY_QUALITY_OF_SERVICE', 'sizeof(SECURITY_QUALITY_OF_SERVICE)'],
  ['SecurityAnonymous', 'SecurityAnonymous'], ['SecurityIdentification', 'SecurityIdentification'],
  ['SecurityImpersonation', 'SecurityImpersonation'], ['SecurityDelegation', 'SecurityDelegation'],
  ['SECURITY_STATIC_TRACKING', 'SECURITY_STATIC_TRACKING'], ['SECURITY_DYNAMIC_TRACKING', 'SECURITY_DYNAMIC_TRACKING'],
  ['MEM_COMMIT', 'MEM_COMMIT'], ['MEM_RESERVE', 'MEM_RESERVE'], ['MEM_RELEASE', 'MEM_RELEASE'],
  ['PAGE_READWRITE', 'PAGE_READWRITE'], ['PAGE_EXECUTE_READ', 'PAGE_EXECUTE_READ'], ['SEC_IMAGE', 'SEC_IMAGE'],
  ['KEY_EVENT_RECORD_SIZE', 'sizeof(KEY_EVENT_RECORD)'],
  ['SHIFT_PRESSED', 'SHIFT_PRESSED'], ['LEFT_CTRL_PRESSED', 'LEFT_CTRL_PRESSED'], ['RIGHT_ALT_PRESSED', 'RIGHT_ALT_PRESSED'],
  ['CAPSLOCK_ON', 'CAPSLOCK_ON'], ['ENHANCED_KEY', 'ENHANCED_KEY'],
  ['VK_RETURN', 'VK_RETURN'], ['VK_BACK', 'VK_BACK'], ['VK_ESCAPE', 'VK_ESCAPE'], ['VK_SHIFT', 'VK_SHIFT'], ['VK_CAPITAL', 'VK_CAPITAL'],
  ['VK_LEFT', 'VK_LEFT'], ['VK_DELETE', 'VK_DELETE'], ['VK_F1', 'VK_F1'],
  // csrss's user server (winuser.h) and lsass's MSV1_0 package (ntsecapi.h)
  ['EWX_LOGOFF', 'EWX_LOGOFF'], ['EWX_SHUTDOWN', 'EWX_SHUTDOWN'], ['EWX_REBOOT', 'EWX_REBOOT'], ['EWX_FORCE', 'EWX_FORCE'], ['EWX_POWEROFF', 'EWX_POWEROFF'],
  ['MsV1_0ChangePassword', 'MsV1_0ChangePassword'],
  // winnt.h security constants (kernel/sdk/security.ts)
  ['SID_REVISION', 'SID_REVISION'], ['SID_MAX_SUB_AUTHORITIES', 'SID_MAX_SUB_AUTHORITIES'], ['SECURITY_MAX_SID_SIZE', 'SECURITY_MAX_SID_SIZE'],
  ['SECURITY_WORLD_RID', 'SECURITY_WORLD_RID'], ['SECURITY_INTERACTIVE_RID', 'SECURITY_INTERACTIVE_RID'], ['SECURITY_LOGON_IDS_RID', 'SECURITY_LOGON_IDS_RID'],
  ['SECURITY_AUTHENTICATED_USER_RID', 'SECURITY_AUTHENTICATED_USER_RID'], ['SECURITY_LOCAL_SYSTEM_RID', 'SECURITY_LOCAL_SYSTEM_RID'],
  ['SECURITY_NT_NON_UNIQUE', 'SECURITY_NT_NON_UNIQUE'], ['SECURITY_BUILTIN_DOMAIN_RID', 'SECURITY_BUILTIN_DOMAIN_RID'],
  ['DOMAIN_ALIAS_RID_ADMINS', 'DOMAIN_ALIAS_RID_ADMINS'], ['DOMAIN_ALIAS_RID_USERS', 'DOMAIN_ALIAS_RID_USERS'], ['DOMAIN_USER_RID_ADMIN', 'DOMAIN_USER_RID_ADMIN'],
  ['ACL_REVISION', 'ACL_REVISION'], ['ACL_REVISION_DS', 'ACL_REVISION_DS'],
  ['ACCESS_ALLOWED_ACE_TYPE', 'ACCESS_ALLOWED_ACE_TYPE'], ['ACCESS_DENIED_ACE_TYPE', 'ACCESS_DENIED_ACE_TYPE'], ['SYSTEM_AUDIT_ACE_TYPE', 'SYSTEM_AUDIT_ACE_TYPE'],
  ['OBJECT_INHERIT_ACE', 'OBJECT_INHERIT_ACE'], ['CONTAINER_INHERIT_ACE', 'CONTAINER_INHERIT_ACE'], ['INHERIT_ONLY_ACE', 'INHERIT_ONLY_ACE'], ['INHERITED_ACE', 'INHERITED_ACE'],
  ['SECURITY_DESCRIPTOR_REVISION', 'SECURITY_DESCRIPTOR_REVISION'],
  ['SE_OWNER_DEFAULTED', 'SE_OWNER_DEFAULTED'], ['SE_DACL_PRESENT', 'SE_DACL_PRESENT'], ['SE_DACL_DEFAULTED', 'SE_DACL_DEFAULTED'],
  ['SE_SACL_PRESENT', 'SE_SACL_PRESENT'], ['SE_DACL_PROTECTED', 'SE_DACL_PROTECTED'], ['SE_SELF_RELATIVE', 'SE_SELF_RELATIVE'],
  ['SE_GROUP_MANDATORY', 'SE_GROUP_MANDATORY'], ['SE_GROUP_ENABLED_BY_DEFAULT', 'SE_GROUP_ENABLED_BY_DEFAULT'], ['SE_GROUP_ENABLED', 'SE_GROUP_ENABLED'],
  ['SE_GROUP_OWNER', 'SE_GROUP_OWNER'], ['SE_GROUP_USE_FOR_DENY_ONLY', 'SE_GROUP_USE_FOR_DENY_ONLY'], ['SE_GROUP_LOGON_ID', 'SE_GROUP_LOGON_ID'],
  ['TokenUser', 'TokenUser'], ['TokenGroups', 'TokenGroups'], ['TokenPrivileges', 'TokenPrivileges'], ['TokenOwner', 'TokenOwner'],
  ['SystemBasicInformation', 'SystemBasicInformation'], ['SystemProcessorInformation', 'SystemProcessorInformation'],
  ['SystemPerformanceInformation', 'SystemPerformanceInformation'], ['SystemProcessInformation', 'SystemProcessInformation'],
  ['TokenDefaultDacl', 'TokenDefaultDacl'], ['TokenType', 'TokenType'], ['TokenStatistics', 'TokenStatistics'], ['TokenSessionId', 'TokenSessionId'],
];

/**
 * Against MinGW's DDK headers (ntifs.h, which brings wdm.h and ntddk.h, as
 * test/kernel/lpc-layout.test.ts compiles them): the registry's information
 * records and the information class numbers. [SDK expression, C expression].
 */
const DDK_FACTS: Array<[string, string]> = [
  ...(['KEY_BASIC_INFORMATION:LastWriteTime TitleIndex NameLength Name', 'KEY_NODE_INFORMATION:LastWriteTime TitleIndex ClassOffset ClassLength NameLength Name',
    'KEY_FULL_INFORMATION:LastWriteTime TitleIndex ClassOffset ClassLength SubKeys MaxNameLen MaxClassLen Values MaxValueNameLen MaxValueDataLen Class',
    'KEY_VALUE_BASIC_INFORMATION:TitleIndex Type NameLength Name',
    'KEY_VALUE_FULL_INFORMATION:TitleIndex Type DataOffset DataLength NameLength Name', 'KEY_VALUE_PARTIAL_INFORMATION:TitleIndex Type DataLength Data']
    .flatMap((spec) => { const [t, fields] = spec.split(':'); return fields.split(' ').map((f) => [`offsetof<sdk.${t}>("${f}")`, `offsetof(${t}, ${f})`] as [string, string]); })),
  // KEY_NAME_INFORMATION and KEY_CACHED_INFORMATION are not in MinGW: kernel/sdk/keyinfo.ts's diagram is their reference.
  ...['KeyBasicInformation', 'KeyNodeInformation', 'KeyFullInformation', 'KeyNameInformation', 'KeyCachedInformation',
    'KeyValueBasicInformation', 'KeyValueFullInformation', 'KeyValuePartialInformation',
    'FileDirectoryInformation', 'FileFullDirectoryInformation', 'FileBothDirectoryInformation', 'FileBasicInformation', 'FileStandardInformation',
    'FileInternalInformation', 'FileEaInformation', 'FileAccessInformation', 'FileNameInformation', 'FileRenameInformation', 'FileNamesInformation',
    'FileDispositionInformation', 'FilePositionInformation', 'FileModeInformation', 'FileAlignmentInformation', 'FileAllInformation',
    'FileAllocationInformation', 'FileEndOfFileInformation', 'FileNetworkOpenInformation', 'FileAttributeTagInformation',
    'FileFsVolumeInformation', 'FileFsSizeInformation', 'FileFsDeviceInformation', 'FileFsAttributeInformation', 'FileFsFullSizeInformation',
    'ProcessBasicInformation', 'ProcessQuotaLimits', 'ProcessVmCounters', 'ProcessBasePriority', 'ProcessAccessToken', 'ProcessDeviceMap',
    'ProcessSessionInformation', 'ProcessImageFileName', 'ProcessBreakOnTermination',
    'ThreadBasicInformation', 'ThreadPriority', 'ThreadHideFromDebugger', 'ThreadBreakOnTermination'].map((n) => [`sdk.${n}`, n] as [string, string]),
];

const sdkSource = (rel: string) => readFileSync(join(ROOT, 'kernel/sdk', rel), 'utf8');
const statusNames = () => [...sdkSource('ntstatus.ts').matchAll(/^export const (STATUS_\w+): u32 = /gm)].map((m) => m[1]);

/** Compiles an AssemblyScript module exporting one u32 global per expression and returns their values. */
async function sdkValues(expressions: string[]): Promise<number[]> {
  const dir = join(ROOT, 'build/sdk-test');
  mkdirSync(dir, { recursive: true });
  const lines = ['import * as sdk from "../../kernel/sdk/index";', ...expressions.map((e, i) => `export const V${i}: u32 = <u32>(${e});`)];
  writeFileSync(join(dir, 'values.ts'), lines.join('\n') + '\n');
  const { wasm } = await compileAssemblyScript('build/sdk-test/values.ts', ['--runtime', 'stub']);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), { env: { abort() {} } });
  return expressions.map((_, i) => ((instance.exports[`V${i}`] as WebAssembly.Global).value as number) >>> 0);
}

/**
 * Compiles a C file with MinGW that stores each expression in an array
 * (a name MinGW does not define, with `ifDefined`, as 0xFFFFFFFF); returns
 * the values from gcc's assembly.
 */
function mingwValues(expressions: string[], ifDefined = false, ddk = false): number[] {
  const dir = join(ROOT, 'build/sdk-test');
  mkdirSync(dir, { recursive: true });
  const c = [
    ...(ddk ? ['#include <stddef.h>', '#include <ntifs.h>']
      : ['#include <stddef.h>', '#include <windows.h>', '#include <winternl.h>', '#include <ntstatus.h>', '#include <ntsecapi.h>', NDK_DECLARATIONS]),
    'unsigned int facts[] = {',
    ...expressions.map((e) => (ifDefined ? `#ifdef ${e}\n  (unsigned int)(${e}),\n#else\n  0xFFFFFFFFu,\n#endif` : `  (unsigned int)(${e}),`)),
    '};',
  ].join('\n');
  writeFileSync(join(dir, 'facts.c'), c + '\n');
  const asm = execFileSync(GCC, [...(ddk ? ['-I/usr/share/mingw-w64/include/ddk'] : []), '-S', '-O0', '-w', '-o', '-', join(dir, 'facts.c')], { encoding: 'utf8' });
  const values = [...asm.slice(asm.indexOf('_facts:')).matchAll(/^\s*\.long\s+(-?\d+)/gm)].map((m) => Number(m[1]) >>> 0);
  return values.slice(0, expressions.length);
}

describe('host-side copies of SDK layouts', () => {
  it('the CONTEXT offsets ntdll\'s x86 exception entries use are context.ts\'s', async () => {
    const fields = Object.keys(CONTEXT_OFFSETS) as Array<keyof typeof CONTEXT_OFFSETS>;
    const ours = await sdkValues(fields.map((f) => `offsetof<sdk.CONTEXT>("${f}")`));
    expect(fields.map((f, i) => `${f} ${ours[i]}`)).toEqual(fields.map((f) => `${f} ${CONTEXT_OFFSETS[f]}`));
  }, 240000);
});

describe.skipIf(!haveGcc)(`SDK layouts against MinGW's headers (${GCC})`, () => {
  it('every listed field offset and structure size agrees with winternl.h / winnt.h', async () => {
    const ours = await sdkValues(FACTS.map(([t, f]) => (f === '' ? `offsetof<sdk.${t}>()` : `offsetof<sdk.${t}>("${f}")`)));
    const theirs = mingwValues(FACTS.map(([, , t, f]) => (f === '' ? `sizeof(${t})` : `offsetof(${t}, ${f})`)));
    const rows = FACTS.map(([t, f, ct, cf], i) => `${t}.${f || 'sizeof'} = ${ours[i]} / ${ct}.${cf || 'sizeof'} = ${theirs[i]}`);
    expect(rows.filter((_, i) => ours[i] !== theirs[i])).toEqual([]);
    expect(FACTS.length).toBeGreaterThan(120);
    // The comparison can fail: CONTEXT's Eip is not where its Esp is.
    expect(ours[FACTS.findIndex(([t, f]) => t === 'CONTEXT' && f === 'Eip')]).not.toBe(theirs[FACTS.findIndex(([t, f]) => t === 'CONTEXT' && f === 'Esp')]);
  }, 240000);

  it('named offsets, signatures and flags agree with MinGW', async () => {
    const ours = await sdkValues(CONSTANT_FACTS.map(([n]) => `sdk.${n}`));
    const theirs = mingwValues(CONSTANT_FACTS.map(([, c]) => c));
    expect(CONSTANT_FACTS.map(([n], i) => `${n} ${ours[i].toString(16)}`)).toEqual(CONSTANT_FACTS.map(([n], i) => `${n} ${theirs[i].toString(16)}`));
  }, 240000);

  it('registry information records and information class numbers agree with the DDK headers (ntifs.h)', async () => {
    const ours = await sdkValues(DDK_FACTS.map(([e]) => e));
    const theirs = mingwValues(DDK_FACTS.map(([, c]) => c), false, true);
    expect(DDK_FACTS.map(([e], i) => `${e} ${ours[i]}`)).toEqual(DDK_FACTS.map(([e], i) => `${e} ${theirs[i]}`));
    expect(DDK_FACTS.length).toBeGreaterThan(80);
  }, 240000);

  it("every STATUS_* value that MinGW's ntstatus.h defines has its value", async () => {
    const names = statusNames();
    const ours = await sdkValues(names.map((n) => `sdk.${n}`));
    const theirs = mingwValues(names, true);
    const checked = names.filter((_, i) => theirs[i] !== 0xFFFFFFFF);
    expect(checked.length).toBeGreaterThan(100);
    expect(names.filter((_, i) => theirs[i] !== 0xFFFFFFFF && ours[i] !== theirs[i])).toEqual([]);
    console.log(`sdk: ${checked.length} of ${names.length} STATUS_* values checked against ntstatus.h`);
  }, 240000);
});

// ---- the tree ----

function sources(...dirs: string[]): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push({ path: relative(ROOT, p).split('\\').join('/'), text: readFileSync(p, 'utf8') });
    }
  };
  for (const d of dirs) walk(join(ROOT, d));
  return out;
}

/**
 * A raw number the SDK names, and the files where it may still appear (with why). `where`: only files
 * whose text matches it (those that call the services returning the records the rule is about).
 * `span`: the pattern is a run of statements that may be split over lines (matched over the whole
 * text, comments blanked), not one line.
 */
const RAW_FACTS: Array<{ what: string; re: RegExp; allow: string[]; alsoPrograms?: boolean; where?: RegExp; span?: boolean }> = [
  { what: 'MM_USER_PROBE_ADDRESS (0x7FFF0000)', re: /0x7FFF0000/i, allow: ['images/system32/ntdll/heap.ts'] }, // the heap's largest request, not an address
  { what: 'IMAGE_DOS_HEADER.e_lfanew (0x3C)', re: /[+,] 0x3C\)/, allow: [] },
  { what: '"MZ" / "PE\\0\\0"', re: /0x5A4D\b|0x0*4550\b/, allow: [] },
  { what: 'IMAGE_NT_OPTIONAL_HDR32_MAGIC', re: /!= 0x10B\b|== 0x10B\b/, allow: [] },
  { what: 'PE headers by offset (nt + 24, optional + 92/96)', re: /\+ 24 \+ \d|optional \+ 9[26]/, allow: [] },
  { what: 'CONTEXT size or register offsets', re: /\b716\b|0x2CC\b|CONTEXT_E[A-Z]+: u32 = 0x/, allow: [] },
  { what: 'TEB/PEB offsets (SessionId 0x1D4, DeallocationStack 0xE0C, TEB+0x30)', re: /0x1D4\b|0xE0C\b|TEB_PEB: u32 = 0x/, allow: [] },
  { what: 'FAT BPB fields by offset', re: /load<u(8|16|32)>\(b, (11|13|14|16|17|19|22|32|36|44|48)\)/, allow: [] },
  { what: 'regf base block checksum (508) and signatures', re: /\+ 508\)|0x6B6E\b|0x6B76\b|0x66676572/, allow: [] },
  { what: 'KTRAP_FRAME offsets (InitialStack - 76)', re: /InitialStack - 76/, allow: [] },
  { what: 'an information class\'s size as a bare number (Io\'s size tables: case FileXxxInformation: return N)', re: /case File\w+Information: return \d+;/, allow: [] },
  // Also in smss and the ring-3 test programs (test/boot/programs): InitializeObjectAttributes, OBJECT_ATTRIBUTES, IO_STATUS_BLOCK.
  { what: 'OBJECT_ATTRIBUTES by offset (Length 24, RootDirectory +4 .. SecurityQualityOfService +20)',
    re: /store<u32>\(\w*oa, 24\)|store<\w+>\(\w*oa, [^;]*, (4|8|12|16|20)\)|load<\w+>\(\w*oa, (4|8|12|16|20)\)/i, allow: [], alsoPrograms: true },
  { what: 'IO_STATUS_BLOCK.Information by offset (iosb + 4)', re: /(load|store)<u32>\([^;()]*iosb[^;()]*, ([^;()]+, )?4\)/i, allow: [], alsoPrograms: true },
  { what: 'FILE_BOTH_DIR_INFORMATION.FileName (+94) or FILE_RENAME_INFORMATION (12 + the name) by offset', re: /\+ 94\b|, 12 \+ (\(\w+ << 1\)|bytes)/, allow: [], alsoPrograms: true },
  { what: 'RTL_USER_PROCESS_INFORMATION by offset or size (handles +4/+8, ClientId +12, the image\'s SubSystemType 0x14 + 0x10, 0x44 bytes)',
    re: /(load|store)<u32>\(\s*\w*[iI]nfo\w*,\s*(\w+, )?(4|8|12|16|0x44|0x14 \+ 0x10)\)|0x14 \+ 0x10|[iI]nfo\w* = memory\.data\(0x44\b|[iI]nfo\w*, 0x44\)/,
    where: /\bRtlCreateUserProcess\(/, allow: [], alsoPrograms: true },
  // The process parameters a program reads its command line from (kernel/sdk/peb.ts).
  { what: 'PEB fields (ProcessParameters +0x10, SessionId +0x1D4 ...) or RTL_USER_PROCESS_PARAMETERS.CommandLine (+0x40/+0x44) by offset',
    re: /RtlGetCurrentPeb\(\)(, | \+ )(0x)?\d|load<(u16|u32|usize)>\(\s*(\w*[pP]arams\w*|p)(, | \+ )0x4[04]\)|paramString\(0x/, allow: [], alsoPrograms: true },
  // NtQueryInformationProcess / NtQueryInformationThread's Basic records (kernel/sdk/procinfo.ts).
  { what: 'PROCESS_BASIC_INFORMATION / THREAD_BASIC_INFORMATION by offset or size (UniqueProcessId +16, ClientId +8/+12, 24 / 28 bytes ...)',
    re: /(Process|Thread)BasicInformation, [^,()]+, (20|24|28),|(load|store)<u32>\(\s*(pbi|tbi|\w*Basic(Info)?|parentInfo|checkInfo)\b\s*(,\s*[^;()]+)?\)|load<u32>\(\s*basic\s*,\s*(16|20)\)|store<u32>\(info, \w+\.(UniqueProcessId|InheritedFromUniqueProcessId|Peb|Teb|UniqueThread|BasePriority|Priority)\b/,
    where: /\b(Process|Thread)BasicInformation\b/, allow: [], alsoPrograms: true },
  // The records NtQueryKey / NtEnumerateKey / NtQueryValueKey / NtEnumerateValueKey return (kernel/sdk/keyinfo.ts).
  { what: 'KEY_*_INFORMATION fields by offset (Name at +12/+16/+20/+24, Type +4, DataOffset +8, DataLength +12 ...)',
    re: /(load|store)<u(8|16|32|64)>\(\s*(info|buf|buffer)\w*,\s*(4|8|12|16|20|24|28|32|36|40)\)|\b(info|buf|buffer)\w* \+ (12|16|20|24)\b/,
    where: /\bNt(QueryKey|EnumerateKey|QueryValueKey|EnumerateValueKey)\(/,
    allow: ['test/boot/programs/reentmm.ts'], alsoPrograms: true }, // reentmm: NtQuerySection's and NtQueryVirtualMemory's records in the same buffer
  // The records the file information services exchange (kernel/sdk/fileinfo.ts).
  { what: 'FILE_*_INFORMATION fields by offset (directory entries +56/+60/+64, rename +4/+8/+12 ...)',
    re: /(load|store)<u(8|16|32|64)>\(\s*(info|information|buf|buffer|at|entry|data|e)\w*,\s*(8|12|16|20|24|32|40|48|56|60|64|68|94)\)|\b(info|information|buf|buffer|at|entry|e)\w* \+ (12|16|20|24|56|60|64|68|94)\b/,
    where: /\bNt(QueryInformationFile|SetInformationFile|QueryDirectoryFile|QueryVolumeInformationFile)\(|\bIopResolveRenameTarget\b/,
    allow: ['test/boot/programs/reentmm.ts'], alsoPrograms: true },
  // The records NtQuerySystemInformation returns (kernel/sdk/sysinfo.ts).
  { what: 'SYSTEM_*_INFORMATION fields by offset or size (AvailablePages +44, the commit limit +52, a process record\'s UniqueProcessId +68, 312 bytes ...)',
    re: /Information, \w+, (12|44|312),|(load|store)<u(8|16|32)>\(\s*(perf|performance|spi|sbi|at|list|buffer|previous|answer)\w*\s*,(\s*[^;()]+,)?\s*(4|8|12|16|20|40|44|48|52|56|60|68|80|84|96|100|116|128|132|0x2C)\)|\bperf \+ \d/,
    where: /\bNtQuerySystemInformation\(|\bExpFill\w+\(|\bMmQuery(PagingCounts|PageFileInformation)\(/, allow: [], alsoPrograms: true },
  // NtQueryVirtualMemory's record (kernel/sdk/ntdef.ts MEMORY_BASIC_INFORMATION).
  { what: 'MEMORY_BASIC_INFORMATION by offset or size (RegionSize +12, State +16, Protect +20, Type +24; 28 bytes)',
    re: /VirtualMemory\([^;]*,\s*28\s*,|(load|store)<u32>\(\s*(mbi|basic|buffer)\w*\s*,(\s*[^;()]+,)?\s*(4|8|12|16|20|24)\)/,
    where: /\b[NM][ti]QueryVirtualMemory\(/, allow: ['test/boot/programs/reentmm.ts'], alsoPrograms: true },
  // A structure that crosses a boundary is filled through its layout, not store by store (kernel/sdk/ntdef.ts, lpc.ts):
  // InitializeCountedString, InitializeObjectAttributes, InitializePortView, InitializeRemotePortView,
  // InitializeSecurityQualityOfService, or PORT_MESSAGE's fields.
  { what: 'UNICODE_STRING (or a PORT_MESSAGE header) written field by field (u16 +0, u16 +2, pointer +4)',
    re: /store<u16>\(\s*([^,;]+?),[^;]*\);\s*store<u16>\(\s*\1,[^;]*, 2\);\s*store<(u32|usize)>\(\s*\1,[^;]*, 4\)/, span: true,
    allow: ['kernel/ex/pool.ts'], alsoPrograms: true }, // the pool's own block header (previous, size, tag), no boundary structure
  { what: 'OBJECT_ATTRIBUTES, PORT_VIEW, REMOTE_PORT_VIEW or SECURITY_QUALITY_OF_SERVICE written field by field (Length 24 / 12, then +4 ...)',
    re: /store<u32>\(\s*([\w.+ ]+?),\s*(24|12|SIZEOF_\w+)\);\s*store<(u32|usize)>\(\s*\1,[^;]*, 4\)/, span: true, allow: [], alsoPrograms: true },
];

/** The services that take an information class, and which argument (from 0) it is. */
const CLASS_ARGUMENT: Record<string, number> = {
  NtQueryInformationFile: 4, NtSetInformationFile: 4, NtQueryDirectoryFile: 7, NtQueryVolumeInformationFile: 4,
  NtQueryInformationProcess: 1, NtSetInformationProcess: 1, NtQueryInformationThread: 1, NtSetInformationThread: 1,
  NtQuerySystemInformation: 0, NtSetSystemInformation: 0,
  NtQueryKey: 1, NtEnumerateKey: 2, NtQueryValueKey: 2, NtEnumerateValueKey: 2,
};

/** `text` with its comments blanked (line numbers kept); string literals stay. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, ' '));
}

/** The top-level arguments of the call whose '(' is at `open`, or null when it does not close. */
function callArguments(text: string, open: number): string[] | null {
  const args: string[] = [];
  let depth = 0, start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") { const end = text.indexOf(c, i + 1); if (end < 0) return null; i = end; continue; }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') { if (--depth === 0) { args.push(text.slice(start, i)); return args; } }
    else if (c === ',' && depth === 1) { args.push(text.slice(start, i)); start = i + 1; }
  }
  return null;
}

/** "line: service class N" for every call that passes an information class as a number (a conditional's branches too). */
function literalClasses(source: string): string[] {
  const text = withoutComments(source);
  const hits: string[] = [];
  for (const [service, index] of Object.entries(CLASS_ARGUMENT)) {
    for (const m of text.matchAll(new RegExp(`(?<![\\w.])${service}\\(`, 'g'))) {
      const before = text.slice(text.lastIndexOf('\n', m.index) + 1, m.index);
      if (/function\s*$/.test(before)) continue; // the declaration
      const args = callArguments(text, m.index + service.length);
      const arg = args?.[index];
      if (arg === undefined) continue;
      const branches = /\?/.test(arg) ? arg.slice(arg.indexOf('?') + 1).split(':') : [arg];
      for (const b of branches) {
        if (/^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(b)) hits.push(`${text.slice(0, m.index).split('\n').length}: ${service} class ${b.trim()}`);
      }
    }
  }
  return hits;
}

describe('the tree keeps to the SDK', () => {
  const all = sources('kernel', 'images/system32');

  it('defines every STATUS_* name once, in kernel/sdk/ (smss and the test programs too)', () => {
    const defs = new Map<string, string[]>();
    for (const { path, text } of [...all, ...sources('smss', 'test/boot/programs')]) {
      for (const m of text.matchAll(/^\s*(?:export\s+)?const\s+(STATUS_\w+)\s*:/gm)) defs.set(m[1], [...(defs.get(m[1]) ?? []), path]);
    }
    expect(defs.size).toBeGreaterThan(100);
    expect([...defs].filter(([, where]) => where.length > 1)).toEqual([]);
    expect([...defs].filter(([, where]) => !where[0].startsWith('kernel/sdk/'))).toEqual([]);
    // NT_SUCCESS and NT_ERROR are written once too.
    expect(all.filter(({ text }) => /function NT_SUCCESS|function NT_ERROR/.test(text)).map(({ path }) => path)).toEqual(['kernel/sdk/ntstatus.ts']);
    expect(all.filter(({ text }) => /& 0xC0000000\) [!=]= 0xC0000000/.test(text)).map(({ path }) => path)).toEqual([]);
  });

  it('returns errors as values: no copied scratch() helper, no last-status global (ExpLastStatus, FatLastStatus, PsProcessHandleStatus, OpenKeyStatus)', () => {
    // A status a routine leaves in a module global for its caller (any exported `let ...Status`) is one
    // per image, not per call: another thread's call overwrites it. The status is the return value.
    const side = /^\s*(?:export\s+)?function scratch\s*\(|^\s*(?:export\s+)?let\s+\w*(?:LastStatus|HandleStatus)\b|^\s*export\s+let\s+\w*Status\s*:/m;
    expect([...all, ...sources('smss')].filter(({ text }) => side.test(text)).map(({ path }) => path)).toEqual([]);
    // the pattern finds what it looks for, and lets a local or a private device register be
    expect(['function scratch(bytes: u32): usize {', 'export let FatLastStatus: u32 = 0;', 'export let PsProcessHandleStatus: u32 = 0;',
      'export let OpenKeyStatus: u32 = 0;', 'export let SmpOpenKeyStatus: u32 = 0;', '  let mapStatus: u32 = 0;', 'let AtaStatus: u32 = 0;'].map((l) => side.test(l)))
      .toEqual([true, true, true, true, true, false, false]);
  });

  it('keeps no import alive with `void X;` (smss and the test programs too)', () => {
    const found = [...all, ...sources('smss', 'test/boot/programs')]
      .flatMap(({ path, text }) => text.split('\n').map((l, i) => ({ path, line: i + 1, l })).filter(({ l }) => /^\s*(void \w+;\s*)+$/.test(l)));
    expect(found.map(({ path, line, l }) => `${path}:${line}: ${l.trim()}`)).toEqual([]);
  });

  it('does not spell out what the SDK names (structure offsets, signatures, limits)', () => {
    const hits: string[] = [];
    const programs = sources('smss', 'test/boot/programs').map((f) => ({ ...f, program: true }));
    for (const { path, text, program } of [...all.map((f) => ({ ...f, program: false })), ...programs]) {
      if (path.startsWith('kernel/sdk/')) continue;
      const lines = text.split('\n');
      for (const fact of RAW_FACTS) {
        if (program && !fact.alsoPrograms) continue;
        if (fact.allow.includes(path)) continue;
        if (fact.where && !fact.where.test(text)) continue;
        if (fact.span) {
          const code = withoutComments(text);
          for (const m of code.matchAll(new RegExp(fact.re.source, 'g'))) {
            const line = code.slice(0, m.index).split('\n').length;
            hits.push(`${path}:${line}: ${fact.what}: ${m[0].replace(/\s+/g, ' ')}`);
          }
          continue;
        }
        lines.forEach((l, i) => { if (fact.re.test(l.replace(/\/\/.*$/, ''))) hits.push(`${path}:${i + 1}: ${fact.what}: ${l.trim()}`); });
      }
    }
    expect(hits).toEqual([]);
  });

  it('names every information class it passes (no class number written as a literal)', () => {
    const hits: string[] = [];
    for (const { path, text } of [...all, ...sources('smss', 'test/boot/programs')]) {
      if (path.startsWith('kernel/sdk/') || path === 'kernel/ke/sysent.ts') continue;
      hits.push(...literalClasses(text).map((h) => `${path}:${h}`));
    }
    expect(hits).toEqual([]);
  });

  it('defines every information class once, in kernel/sdk/', () => {
    const names = [...['fileinfo.ts', 'procinfo.ts', 'sysinfo.ts', 'keyinfo.ts', 'security.ts'].flatMap((f) =>
      [...sdkSource(f).matchAll(/^export const ((?:File|Process|Thread|System|Key)\w+): u32 = /gm)].map((m) => m[1]))];
    expect(names).toEqual(expect.arrayContaining(['FileRenameInformation', 'FileFsSizeInformation', 'ProcessBasicInformation', 'ThreadBreakOnTermination',
      'SystemProcessInformation', 'KeyValuePartialInformation', 'ProcessAccessToken']));
    const again = new RegExp(`(?:^\\s*(?:export\\s+)?const\\s+|,\\s*)(${names.join('|')})\\s*:`, 'm');
    const found = [...all, ...sources('smss', 'test/boot/programs')]
      .filter(({ path }) => !path.startsWith('kernel/sdk/'))
      .flatMap(({ path, text }) => text.split('\n').map((l, i) => ({ path, line: i + 1, l })).filter(({ l }) => again.test(l.replace(/\/\/.*$/, ''))))
      .map(({ path, line, l }) => `${path}:${line}: ${l.trim()}`);
    expect(found).toEqual([]);
  });

  it('the raw-number patterns do find what they look for (a planted line)', () => {
    const planted = ['  if (eip >= 0x7FFF0000) return STATUS_INVALID_PARAMETER;', '  const nt = load<u32>(file + 0x3C);', '  const frame = t.InitialStack - 76;',
      '  store<u32>(oa, 24); store<u32>(oa, 0, 4); store<usize>(oa, name, 8);', '  putDec(load<u32>(iosb, 4));', '  store<u32>(dupOa, 0x40, 12);',
      '  putText(e + 94, n);', '  NtSetInformationFile(h, iosb, info, 12 + (n << 1), 10);',
      '  names.push(String.UTF16.decodeUnsafe(info + 16, load<u32>(info, 12)));', '  const type = load<u32>(buffer, 4), length = load<u32>(buffer, 12);',
      '  const next = load<u32>(at), attrs = load<u32>(at, 56), n = load<u32>(at, 60);', '  const nameLength = load<u32>(information, 8);',
      '  const process = load<u32>(info, 4), thread = load<u32>(info, 8), pid = load<u32>(info, 12);',
      '  store<u32>(processInfo, 0x44);', 'const execInfo = memory.data(0x44, 4);',
      '  const params = load<usize>(RtlGetCurrentPeb(), 0x10);', '  const chars = load<u16>(params, 0x40), text = load<usize>(p + 0x44);',
      '  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, 24, 0);', '  return load<u32>(basic, 16);', '  result = load<u32>(pbi);',
      '  setSelf(load<u32>(tbi, 8), load<u32>(tbi, 12));', '      store<u32>(info, p.UniqueProcessId, 16);', '    case FileAllInformation: return 104;',
      '  NtQuerySystemInformation(SystemPerformanceInformation, perf, 312, 0);', '  return status == 0 ? load<u32>(performance, 0x2C) : 0;',
      '    if (load<u32>(at, 68) == pid) return load<u32>(at, 80);', '  const processors = load<u8>(sbi, 40);', '  store<u32>(buffer, MmAvailablePages, 44);',
      '  store<u16>(ustr, <u16>(length << 1)); store<u16>(ustr, 256, 2); store<u32>(ustr, <u32>line, 4);',
      '    store<u16>(copy, <u16>length);\n    store<u16>(copy, <u16>length, 2);\n    store<usize>(copy, copy + 8, 4);',
      '  store<u16>(message, <u16>(total - SIZEOF_PORT_MESSAGE));\n  store<u16>(message, <u16>total, 2);\n  store<u32>(message, 0, 4); // Type and DataInfoOffset',
      '  store<u32>(qos, 12); store<u32>(qos, 1, 4); store<u16>(qos, 0x0101, 8); store<u16>(qos, 0, 10);',
      '  store<u32>(w + W_OA, 24);\n  store<u32>(w + W_OA, 0, 4); store<u32>(w + W_OA, <u32>(w + W_USTR), 8);',
      '  store<u32>(clientView, SIZEOF_PORT_VIEW); store<u32>(clientView, section, 4); store<u32>(clientView, 0, 8);',
      '  store<u32>(remoteView, 12); store<u32>(remoteView, 0, 4); store<u32>(remoteView, 0, 8);',
      '  if (NtQueryVirtualMemory(SELF, at, 0, mbi, 28, 0) != 0) break;', '  const size = load<u32>(mbi, 12), state = load<u32>(mbi, 16);',
      '  store<u32>(buffer, MEM_COMMIT, 16);'];
    expect(planted.filter((l) => !RAW_FACTS.some((f) => f.re.test(l)))).toEqual([]);
    expect(planted.length).toBe(38);
    // and not what the layouts say instead
    const named = ['  const pid = changetype<PROCESS_BASIC_INFORMATION>(pbi).UniqueProcessId;', '  NtQueryInformationProcess(h, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);',
      '  const params = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;', '  changetype<RTL_USER_PROCESS_INFORMATION>(info).Size = SIZEOF_RTL_USER_PROCESS_INFORMATION;',
      '  InitializeCountedString(ustr, line, length << 1, 256);', '  InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true);',
      '  InitializePortView(clientView, section, 0, CSR_PORT_VIEW_SIZE); InitializeRemotePortView(serverView);',
      // two structures side by side are not one written by hand
      '  store<u32>(length, 24); store<u32>(view, 0, 4);', '  NtQueryVirtualMemory(SELF, at, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0);',
      '  const size = changetype<MEMORY_BASIC_INFORMATION>(mbi).RegionSize;', '  store<u16>(a, 1); store<u16>(b, 2, 2); store<u32>(a, 3, 4);'];
    expect(named.filter((l) => RAW_FACTS.some((f) => f.re.test(l)))).toEqual([]);
  });

  it('the information class check finds a class written as a number (planted calls)', () => {
    const planted = [
      'status = NtQueryInformationFile(h, iosb, info, 24, 5 /* FileStandardInformation */);',
      'NtQueryDirectoryFile(h, 0, 0, 0, iosb, buf,\n    4096, (i & 1) != 0 ? FileDirectoryInformation : 3, 0, 0, 1);',
      'NtQueryValueKey(key, name, 2, info, 64, result);',
      'const ok = NtQueryInformationProcess(SELF, 0, pbi, 24, 0) == 0;',
    ];
    expect(planted.map((l) => literalClasses(l).length)).toEqual([1, 1, 1, 1]);
    expect(literalClasses('NtQueryInformationFile(h, iosb, info, 24, FileStandardInformation); // 5')).toEqual([]);
    expect(literalClasses('@external("ntdll", "NtQueryKey") declare function NtQueryKey(h: u32, cls: u32): u32;')).toEqual([]);
  });
});

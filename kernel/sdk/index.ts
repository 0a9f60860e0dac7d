// kernel/sdk: the one definition of everything that crosses a boundary
// between the kernel, ntdll, smss and the System32 programs, in NT's 32-bit
// x86 layouts. It imports nothing outside itself, so any AssemblyScript image
// may use it by relative path (from images/system32/NAME/: "../../../kernel/sdk/...").
// Import the file you need; this index re-exports them all.
//
//   ntstatus.ts    every STATUS_* value, once; NT_SUCCESS/NT_INFORMATION/NT_WARNING/NT_ERROR
//   ntdef.ts       UNICODE_STRING, STRING (InitializeCountedString), OBJECT_ATTRIBUTES (+ OBJ_*,
//                  InitializeObjectAttributes), IO_STATUS_BLOCK, CLIENT_ID, LARGE_INTEGER; the user
//                  address space (MM_USER_PROBE_ADDRESS ...), MEM_*, PAGE_*, SEC_*, pseudo handles
//   peb.ts         TEB, PEB, INITIAL_TEB, RTL_USER_PROCESS_PARAMETERS, PEB_LDR_DATA,
//                  LDR_DATA_TABLE_ENTRY
//   context.ts     CONTEXT, EXCEPTION_RECORD, KTRAP_FRAME (the entry stubs' frame)
//   pe.ts          IMAGE_DOS_HEADER, IMAGE_NT_HEADERS32, IMAGE_FILE_HEADER,
//                  IMAGE_OPTIONAL_HEADER32, IMAGE_DATA_DIRECTORY, IMAGE_SECTION_HEADER,
//                  IMAGE_EXPORT_DIRECTORY, IMAGE_IMPORT_DESCRIPTOR, IMAGE_BASE_RELOCATION
//   sysinfo.ts     SYSTEM_INFORMATION_CLASS numbers; SYSTEM_BASIC_INFORMATION, SYSTEM_PROCESS_INFORMATION,
//                  SYSTEM_THREAD_INFORMATION, SYSTEM_PROCESSOR_INFORMATION, SYSTEM_PERFORMANCE_INFORMATION,
//                  SYSTEM_PAGEFILE_INFORMATION
//   fileinfo.ts    FILE_INFORMATION_CLASS and FS_INFORMATION_CLASS numbers and their records
//   io.ts          IRP_MJ_*, NtCreateFile's FILE_* dispositions, options and results, file access
//                  rights, share modes, FILE_ATTRIBUTE_*, FILE_DEVICE_*
//   fat.ts         FAT boot sector (BPB), FSInfo, short and long directory entries
//   regf.ts        hive base block, bin header, nk/vk/sk/lf/lh/li/ri/db cells
//   list.ts        LIST_ENTRY and InitializeListHead, InsertTailList, RemoveEntryList, ...
//   intrinsics.ts  the machine instructions the translator emits inline (kernel only)
//   lpc.ts         PORT_MESSAGE, PORT_VIEW, REMOTE_PORT_VIEW, SECURITY_QUALITY_OF_SERVICE and their
//                  initializers (InitializePortView, InitializeRemotePortView, InitializeSecurityQualityOfService)
//   sm.ts          SM_API_MSG and the other Session Manager messages
//   csr.ts         CSR_API_MESSAGE, CSR_API_CONNECTINFO, CSR_CAPTURE_BUFFER, base server messages, HARDERROR_MSG
//   lsa.ts         \LsaAuthenticationPort: LSA_CONNECTION_INFO, LSA_API_MSG (lsass, winlogon)
//   eventlog.ts    \EventLogPort: ELF_REPORT_MSG (the event log service and its clients)
//   ntuser.ts      KEY_EVENT_RECORD, VK_*, and win32k.sys's shadow services as ntdll exports them
//   keyinfo.ts     KEY_INFORMATION_CLASS, KEY_VALUE_INFORMATION_CLASS and their records
//                  (KEY_BASIC_INFORMATION ... KEY_VALUE_PARTIAL_INFORMATION)
//   procinfo.ts    PROCESSINFOCLASS and THREADINFOCLASS numbers; their structures that are
//                  not elsewhere: PROCESS_BASIC_INFORMATION, THREAD_BASIC_INFORMATION,
//                  PROCESS_DEVICEMAP_INFORMATION (ProcessDeviceMap), QUOTA_LIMITS ...
//   driver.ts      DRIVER_OBJECT, DRIVER_EXTENSION (what a kernel-mode image's DriverEntry gets)
//   security.ts    SID, ACL, ACEs, SECURITY_DESCRIPTOR(_RELATIVE), TOKEN_* information, GENERIC_MAPPING
//
// Conventions (see ntdef.ts): @unmanaged classes laid over memory; an embedded
// structure is flattened as Outer_Inner fields; padding is _Name_OFF; fields
// at odd offsets are @inline accessors over named offset constants.
// test/kernel/sdk.test.ts checks the layouts against MinGW's headers.

export * from "./ntstatus";
export * from "./ntdef";
export * from "./peb";
export * from "./context";
export * from "./pe";
export * from "./sysinfo";
export * from "./fat";
export * from "./fileinfo";
export * from "./io";
export * from "./keyinfo";
export * from "./regf";
export * from "./list";
export * from "./lpc";
export * from "./sm";
export * from "./csr";
export * from "./hardmsg";
export * from "./lsa";
export * from "./eventlog";
export * from "./ntuser";
export * from "./procinfo";
export * from "./driver";
export * from "./security";

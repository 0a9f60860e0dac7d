// Bug check codes and NTSTATUS values the log library explains: each code's
// name and what its four parameters mean (as Microsoft's bug check reference
// documents them, and as kernel/ke/bugcheck.ts uses them). The kernel's own
// name line always wins over the name here.

export interface BugCheckInfo {
  name: string;
  /** one sentence: what happened */
  meaning: string;
  /** what each of the four parameters holds ('' = unused) */
  params: [string, string, string, string];
  /** parameters that hold an NTSTATUS (explained by name) */
  statusParams?: number[];
}

const CODES: Record<number, BugCheckInfo> = {
  0x01: { name: 'APC_INDEX_MISMATCH', meaning: 'a thread left a system service with a mismatched APC state', params: ['address of the system call', 'thread APC disable count', 'kernel APC disable count', ''] },
  0x08: { name: 'IRQL_NOT_DISPATCH_LEVEL', meaning: 'a routine that needs DISPATCH_LEVEL ran at another IRQL', params: ['', '', '', ''] },
  0x09: { name: 'IRQL_NOT_GREATER_OR_EQUAL', meaning: 'a routine ran at too low an IRQL', params: ['', '', '', ''] },
  0x0a: { name: 'IRQL_NOT_LESS_OR_EQUAL', meaning: 'pageable or invalid memory was touched at a raised IRQL', params: ['memory referenced', 'IRQL', '0 read, 1 write', 'instruction address'] },
  0x18: { name: 'REFERENCE_BY_POINTER', meaning: "an object's reference count went wrong", params: ['object type', 'object', 'open handles', 'pointer count'] },
  0x19: { name: 'BAD_POOL_HEADER', meaning: 'a pool block header is damaged', params: ['what is wrong (see kernel/mm/pool.ts)', 'pool block', 'detail', 'detail'] },
  0x1a: { name: 'MEMORY_MANAGEMENT', meaning: 'the memory manager found its own data inconsistent', params: ['what is wrong (0x41284 reference on a free page, 0x41287 free of a free page)', 'page', '', ''] },
  0x1e: { name: 'KMODE_EXCEPTION_NOT_HANDLED', meaning: 'kernel code raised an exception nobody handled', params: ['exception code', 'instruction address', 'exception parameter 0 (line, or wasm trap code)', 'exception parameter 1 (column)'], statusParams: [0] },
  0x31: { name: 'PHASE0_INITIALIZATION_FAILED', meaning: 'phase 0 of the kernel start failed', params: ['the step that failed', '', '', ''] },
  0x32: { name: 'PHASE1_INITIALIZATION_FAILED', meaning: 'phase 1 of the kernel start failed', params: ['the step that failed', '', '', ''] },
  0x3b: { name: 'SYSTEM_SERVICE_EXCEPTION', meaning: 'an exception in a system service', params: ['exception code', 'instruction address', 'context record', ''], statusParams: [0] },
  0x50: { name: 'PAGE_FAULT_IN_NONPAGED_AREA', meaning: 'the kernel touched memory that is not there', params: ['address referenced', '0 read, 1 write', 'instruction address', ''] },
  0x5c: { name: 'HAL_INITIALIZATION_FAILED', meaning: 'the HAL could not start', params: ['', '', '', ''] },
  0x5d: { name: 'UNSUPPORTED_PROCESSOR', meaning: 'the processor lacks a feature the kernel needs', params: ['', '', '', ''] },
  0x5e: { name: 'OBJECT_INITIALIZATION_FAILED', meaning: 'the object manager could not start', params: ['', '', '', ''] },
  0x67: { name: 'CONFIG_INITIALIZATION_FAILED', meaning: 'the registry could not be initialized', params: ['the step', 'detail', 'detail', ''] },
  0x6b: { name: 'PROCESS1_INITIALIZATION_FAILED', meaning: 'the first user process could not be started', params: ['status', '', '', ''], statusParams: [0] },
  0x6d: { name: 'SESSION1_INITIALIZATION_FAILED', meaning: 'the Session Manager could not be started', params: ['status of the step that failed', '', '', ''], statusParams: [0] },
  0x71: { name: 'SESSION5_INITIALIZATION_FAILED', meaning: 'the Session Manager ended within its first five seconds', params: ['its exit status', '', '', ''], statusParams: [0] },
  0x74: { name: 'BAD_SYSTEM_CONFIG_INFO', meaning: 'the SYSTEM hive is damaged (both copies)', params: ['', '', '', ''] },
  0x7b: { name: 'INACCESSIBLE_BOOT_DEVICE', meaning: 'the boot disk cannot be read', params: ['device object or name', 'status', '', ''], statusParams: [1] },
  0x7e: { name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED', meaning: 'a system thread raised an exception nobody handled', params: ['exception code', 'instruction address', 'exception record', 'context record'], statusParams: [0] },
  0x7f: { name: 'UNEXPECTED_KERNEL_MODE_TRAP', meaning: 'the processor raised a trap the kernel cannot take', params: ['trap vector (8 = double fault)', 'error code', 'instruction address', ''] },
  0x8e: { name: 'KERNEL_MODE_EXCEPTION_NOT_HANDLED', meaning: 'kernel code raised an exception nobody handled', params: ['exception code', 'instruction address', 'trap frame', ''], statusParams: [0] },
  0xc2: { name: 'BAD_POOL_CALLER', meaning: 'a pool request was wrong', params: ['what the caller did wrong (7 = double free)', 'pool tag', 'address', ''] },
  0xd1: { name: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL', meaning: 'a driver touched pageable memory at a raised IRQL', params: ['memory referenced', 'IRQL', '0 read, 1 write', 'instruction address'] },
  0xe2: { name: 'MANUALLY_INITIATED_CRASH', meaning: 'someone asked for this crash', params: ['', '', '', ''] },
  0xef: { name: 'CRITICAL_PROCESS_DIED', meaning: 'a critical process ended', params: ['the process object', '', '', ''] },
  0xf4: { name: 'CRITICAL_OBJECT_TERMINATION', meaning: 'a critical process or thread was terminated', params: ['object type (3 process, 6 thread)', 'the object', 'its image name', 'explanatory message'] },
  0x4c: { name: 'FATAL_UNHANDLED_HARD_ERROR', meaning: 'a fatal hard error nobody could show', params: ['the error status', 'parameters', 'first string', 'second string'], statusParams: [0] },
  // a fatal hard error stops with the error status itself as the code (NT's KeBugCheck2)
  0xc0000218: { name: 'STATUS_CANNOT_LOAD_REGISTRY_FILE', meaning: 'a registry hive could not be loaded', params: ['address of the hive name', '', '', ''] },
  0xc0000221: { name: 'STATUS_IMAGE_CHECKSUM_MISMATCH', meaning: 'a system image is damaged', params: ['address of the image name', '', '', ''] },
  0xc000021a: { name: 'STATUS_SYSTEM_PROCESS_TERMINATED', meaning: 'a vital user-mode process (smss, csrss, winlogon) ended', params: ["address of the kernel's copy of the process's description", 'its status', 'hard error parameter', 'hard error parameter'], statusParams: [1] },
};

/** Name and parameter meanings for a bug check code, if known. */
export function bugCheckInfo(code: number): BugCheckInfo | undefined {
  // 0x21A: DESIGN.md's spelling of 0xC000021A (the status as a bug check code)
  return CODES[code >>> 0] ?? (code >>> 0 === 0x21a ? CODES[0xc000021a] : undefined);
}

export function bugCheckName(code: number): string | undefined {
  return bugCheckInfo(code)?.name;
}

const STATUS: Record<number, string> = {
  0x00000000: 'STATUS_SUCCESS',
  0x00000103: 'STATUS_PENDING',
  0x80000005: 'STATUS_BUFFER_OVERFLOW',
  0xc0000001: 'STATUS_UNSUCCESSFUL',
  0xc0000002: 'STATUS_NOT_IMPLEMENTED',
  0xc0000005: 'STATUS_ACCESS_VIOLATION',
  0xc0000008: 'STATUS_INVALID_HANDLE',
  0xc000000d: 'STATUS_INVALID_PARAMETER',
  0xc000000f: 'STATUS_NO_SUCH_FILE',
  0xc0000017: 'STATUS_NO_MEMORY',
  0xc000001d: 'STATUS_ILLEGAL_INSTRUCTION',
  0xc0000022: 'STATUS_ACCESS_DENIED',
  0xc0000023: 'STATUS_BUFFER_TOO_SMALL',
  0xc0000024: 'STATUS_OBJECT_TYPE_MISMATCH',
  0xc0000033: 'STATUS_OBJECT_NAME_INVALID',
  0xc0000034: 'STATUS_OBJECT_NAME_NOT_FOUND',
  0xc0000035: 'STATUS_OBJECT_NAME_COLLISION',
  0xc000003a: 'STATUS_OBJECT_PATH_NOT_FOUND',
  0xc000003b: 'STATUS_OBJECT_PATH_SYNTAX_BAD',
  0xc0000061: 'STATUS_PRIVILEGE_NOT_HELD',
  0xc000007b: 'STATUS_INVALID_IMAGE_FORMAT',
  0xc0000090: 'STATUS_FLOAT_INVALID_OPERATION',
  0xc0000094: 'STATUS_INTEGER_DIVIDE_BY_ZERO',
  0xc0000095: 'STATUS_INTEGER_OVERFLOW',
  0xc000009a: 'STATUS_INSUFFICIENT_RESOURCES',
  0xc00000ba: 'STATUS_FILE_IS_A_DIRECTORY',
  0xc00000bb: 'STATUS_NOT_SUPPORTED',
  0xc00000fd: 'STATUS_STACK_OVERFLOW',
  0xc0000135: 'STATUS_DLL_NOT_FOUND',
  0xc0000138: 'STATUS_ORDINAL_NOT_FOUND',
  0xc0000139: 'STATUS_ENTRYPOINT_NOT_FOUND',
  0xc0000142: 'STATUS_DLL_INIT_FAILED',
  0xc000014c: 'STATUS_REGISTRY_CORRUPT',
  0xc0000018: 'STATUS_CONFLICTING_ADDRESSES',
  0xc000021a: 'STATUS_SYSTEM_PROCESS_TERMINATED',
  0xc0000420: 'STATUS_ASSERTION_FAILURE',
};

/** `STATUS_OBJECT_NAME_NOT_FOUND` for 0xC0000034, if known. */
export function ntStatusName(status: number): string | undefined {
  return STATUS[status >>> 0];
}

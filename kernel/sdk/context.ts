// Processor state as NT passes it around: CONTEXT (NtCreateThread,
// NtContinue, NtGetContextThread), EXCEPTION_RECORD, and the kernel's
// KTRAP_FRAME (the frame the toolchain's interrupt entry stubs build; its
// layout is a contract with scripts/wasm2x86, not NT's).
//
//   CONTEXT (x86, 0x2CC bytes)
//     +0x000 ContextFlags   +0x004 Dr0..Dr3, Dr6, Dr7   +0x01C FloatSave (112 bytes)
//     +0x08C SegGs SegFs SegEs SegDs   +0x09C Edi Esi Ebx Edx Ecx Eax
//     +0x0B4 Ebp Eip SegCs EFlags Esp SegSs   +0x0CC ExtendedRegisters[512]

// CONTEXT.ContextFlags
export const CONTEXT_i386: u32 = 0x00010000;
export const CONTEXT_CONTROL: u32 = 0x00010001;
export const CONTEXT_INTEGER: u32 = 0x00010002;
export const CONTEXT_SEGMENTS: u32 = 0x00010004;
export const CONTEXT_FLOATING_POINT: u32 = 0x00010008;
export const CONTEXT_DEBUG_REGISTERS: u32 = 0x00010010;
export const CONTEXT_EXTENDED_REGISTERS: u32 = 0x00010020;
export const CONTEXT_FULL: u32 = 0x00010007;

/** The x86 thread context. FloatSave (FLOATING_SAVE_AREA) is flattened. */
@unmanaged export class CONTEXT {
  ContextFlags: u32;
  Dr0: u32;
  Dr1: u32;
  Dr2: u32;
  Dr3: u32;
  Dr6: u32;
  Dr7: u32;
  FloatSave_ControlWord: u32;
  FloatSave_StatusWord: u32;
  FloatSave_TagWord: u32;
  FloatSave_ErrorOffset: u32;
  FloatSave_ErrorSelector: u32;
  FloatSave_DataOffset: u32;
  FloatSave_DataSelector: u32;
  /** FloatSave.RegisterArea[80] (0x038-0x087). */
  FloatSave_RegisterArea: u64;
  _FloatSave_RegisterArea_040: u64; _FloatSave_RegisterArea_048: u64; _FloatSave_RegisterArea_050: u64; _FloatSave_RegisterArea_058: u64; _FloatSave_RegisterArea_060: u64; _FloatSave_RegisterArea_068: u64;
  _FloatSave_RegisterArea_070: u64; _FloatSave_RegisterArea_078: u64; _FloatSave_RegisterArea_080: u64;
  FloatSave_Cr0NpxState: u32;
  SegGs: u32;
  SegFs: u32;
  SegEs: u32;
  SegDs: u32;
  Edi: u32;
  Esi: u32;
  Ebx: u32;
  Edx: u32;
  Ecx: u32;
  Eax: u32;
  Ebp: u32;
  Eip: u32;
  SegCs: u32;
  EFlags: u32;
  Esp: u32;
  SegSs: u32;
  /** ExtendedRegisters[512] (0x0CC-0x2CB, the FXSAVE image). */
  ExtendedRegisters: u32;
  _ExtendedRegisters_0D0: u64; _ExtendedRegisters_0D8: u64; _ExtendedRegisters_0E0: u64; _ExtendedRegisters_0E8: u64; _ExtendedRegisters_0F0: u64; _ExtendedRegisters_0F8: u64;
  _ExtendedRegisters_100: u64; _ExtendedRegisters_108: u64; _ExtendedRegisters_110: u64; _ExtendedRegisters_118: u64; _ExtendedRegisters_120: u64; _ExtendedRegisters_128: u64;
  _ExtendedRegisters_130: u64; _ExtendedRegisters_138: u64; _ExtendedRegisters_140: u64; _ExtendedRegisters_148: u64; _ExtendedRegisters_150: u64; _ExtendedRegisters_158: u64;
  _ExtendedRegisters_160: u64; _ExtendedRegisters_168: u64; _ExtendedRegisters_170: u64; _ExtendedRegisters_178: u64; _ExtendedRegisters_180: u64; _ExtendedRegisters_188: u64;
  _ExtendedRegisters_190: u64; _ExtendedRegisters_198: u64; _ExtendedRegisters_1A0: u64; _ExtendedRegisters_1A8: u64; _ExtendedRegisters_1B0: u64; _ExtendedRegisters_1B8: u64;
  _ExtendedRegisters_1C0: u64; _ExtendedRegisters_1C8: u64; _ExtendedRegisters_1D0: u64; _ExtendedRegisters_1D8: u64; _ExtendedRegisters_1E0: u64; _ExtendedRegisters_1E8: u64;
  _ExtendedRegisters_1F0: u64; _ExtendedRegisters_1F8: u64; _ExtendedRegisters_200: u64; _ExtendedRegisters_208: u64; _ExtendedRegisters_210: u64; _ExtendedRegisters_218: u64;
  _ExtendedRegisters_220: u64; _ExtendedRegisters_228: u64; _ExtendedRegisters_230: u64; _ExtendedRegisters_238: u64; _ExtendedRegisters_240: u64; _ExtendedRegisters_248: u64;
  _ExtendedRegisters_250: u64; _ExtendedRegisters_258: u64; _ExtendedRegisters_260: u64; _ExtendedRegisters_268: u64; _ExtendedRegisters_270: u64; _ExtendedRegisters_278: u64;
  _ExtendedRegisters_280: u64; _ExtendedRegisters_288: u64; _ExtendedRegisters_290: u64; _ExtendedRegisters_298: u64; _ExtendedRegisters_2A0: u64; _ExtendedRegisters_2A8: u64;
  _ExtendedRegisters_2B0: u64; _ExtendedRegisters_2B8: u64; _ExtendedRegisters_2C0: u64; _ExtendedRegisters_2C8: u32;
}

/** Exceptions that cannot be continued. */
export const EXCEPTION_NONCONTINUABLE: u32 = 0x1;
// EXCEPTION_RECORD.ExceptionFlags set by the dispatcher and RtlUnwind.
/** The record goes to handlers being unwound (RtlUnwind), not asked to handle it. */
export const EXCEPTION_UNWINDING: u32 = 0x2;
/** Unwinding to the end of the chain (RtlUnwind without a target frame). */
export const EXCEPTION_EXIT_UNWIND: u32 = 0x4;
/** A registration lay outside the stack's limits or was misaligned: dispatch stopped. */
export const EXCEPTION_STACK_INVALID: u32 = 0x8;
/** Raised inside a handler: the frames up to the one whose handler was running see this flag. */
export const EXCEPTION_NESTED_CALL: u32 = 0x10;
/** The frame being unwound is RtlUnwind's target. */
export const EXCEPTION_TARGET_UNWIND: u32 = 0x20;
/** EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND. */
export const EXCEPTION_UNWIND: u32 = 0x6;

// What a frame handler returns (EXCEPTION_DISPOSITION).
export const ExceptionContinueExecution: u32 = 0;
export const ExceptionContinueSearch: u32 = 1;
export const ExceptionNestedException: u32 = 2;
export const ExceptionCollidedUnwind: u32 = 3;

// What a vectored handler or an exception filter returns.
export const EXCEPTION_EXECUTE_HANDLER: i32 = 1;
export const EXCEPTION_CONTINUE_SEARCH: i32 = 0;
export const EXCEPTION_CONTINUE_EXECUTION: i32 = -1;

/** The end of the fs:[0] registration chain (TEB NtTib.ExceptionList). */
export const EXCEPTION_CHAIN_END: u32 = 0xFFFFFFFF;

/**
 * One frame's registration on the fs:[0] chain (8 bytes, on the stack of
 * the code it protects): the next (older) registration and the frame's
 * handler, `EXCEPTION_DISPOSITION handler(record, frame, context, dispatcherContext)` (cdecl).
 */
@unmanaged export class EXCEPTION_REGISTRATION_RECORD {
  Next: usize;
  Handler: usize;
}

/** What a vectored handler or a filter is given: the record and the context (8 bytes). */
@unmanaged export class EXCEPTION_POINTERS {
  ExceptionRecord: usize;
  ContextRecord: usize;
}

/** AccessViolation's ExceptionInformation[0]: what the access was. */
export const EXCEPTION_READ_FAULT: u32 = 0;
export const EXCEPTION_WRITE_FAULT: u32 = 1;
export const EXCEPTION_EXECUTE_FAULT: u32 = 8;

/** EXCEPTION_RECORD.ExceptionInformation holds at most this many values. */
export const EXCEPTION_MAXIMUM_PARAMETERS: u32 = 15;

/** What an exception is (0x50 bytes): code, flags, chain, address and up to 15 parameters. */
@unmanaged export class EXCEPTION_RECORD {
  ExceptionCode: u32;
  ExceptionFlags: u32;
  ExceptionRecord: usize;
  ExceptionAddress: usize;
  NumberParameters: u32;
  /** ExceptionInformation[15] (0x14-0x4F). */
  ExceptionInformation: u32;
  _ExceptionInformation_18: u64; _ExceptionInformation_20: u64; _ExceptionInformation_28: u64; _ExceptionInformation_30: u64; _ExceptionInformation_38: u64; _ExceptionInformation_40: u64;
  _ExceptionInformation_48: u64;
}

/**
 * The frame the interrupt entry stubs build (32-bit fields):
 *
 *   +0  gs  +4  fs  +8  es  +12 ds                       segment registers
 *   +16 edi +20 esi +24 ebp +28 (esp from pushad) +32 ebx +36 edx +40 ecx +44 eax
 *   +48 vector  +52 error code (0 when the CPU pushes none)
 *   +56 eip +60 cs  +64 eflags                           pushed by the CPU
 *   +68 esp +72 ss                                       only from ring 3
 */
@unmanaged export class KTRAP_FRAME {
  SegGs: u32;
  SegFs: u32;
  SegEs: u32;
  SegDs: u32;
  Edi: u32;
  Esi: u32;
  Ebp: u32;
  PushadEsp: u32;
  Ebx: u32;
  Edx: u32;
  Ecx: u32;
  Eax: u32;
  Vector: u32;
  ErrorCode: u32;
  Eip: u32;
  SegCs: u32;
  EFlags: u32;
  HardwareEsp: u32;
  HardwareSegSs: u32;
}

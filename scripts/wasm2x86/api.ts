// The translator's public contract: options in, an x86 instruction list out.
// Tools that build images (the kernel linker, the spec-test runner, the PE
// writer) read only this file's types and call compileModule() from index.ts.

import type { Insn } from './x86.ts';
import type { FuncType, ValType } from './wasm.ts';

/** Why a wasm trap happened; the code passed to the trap handler. */
export const TRAP = {
  UNREACHABLE: 1,          // "unreachable"
  DIV_ZERO: 2,             // "integer divide by zero"
  INT_OVERFLOW: 3,         // "integer overflow"
  OUT_OF_BOUNDS: 4,        // "out of bounds memory access"
  UNDEFINED_ELEMENT: 5,    // "undefined element" (call_indirect index past the table)
  UNINITIALIZED_ELEMENT: 6,// "uninitialized element" (null table entry)
  SIGNATURE_MISMATCH: 7,   // "indirect call type mismatch"
  STACK_EXHAUSTED: 8,      // "call stack exhausted"
  INVALID_CONVERSION: 9,   // "invalid conversion to integer"
  UNSUPPORTED: 10,         // reached a function the translator replaced (CompileOptions.unsupportedFunctions)
} as const;
/**
 * The intrinsics: imports from module "kernel" that the selector emits inline
 * (intrinsics.ts emitIntrinsic). kernel/sdk/intrinsics.ts declares the same names
 * for AssemblyScript (test/wasm2x86/intrinsics.test.ts checks that the two agree).
 */
export const KERNEL_INTRINSICS: ReadonlySet<string> = new Set([
  'inb', 'inw', 'inl', 'outb', 'outw', 'outl', 'cli', 'sti', 'hlt', 'pause', 'lgdt', 'lidt', 'ltr',
  'read_cr0', 'read_cr2', 'read_cr3', 'read_cr4', 'write_cr0', 'write_cr3', 'write_cr4', 'invlpg',
  'read_eflags', 'rdtsc', 'cpuid', 'trap_entry', 'func_address', 'swap_context', 'trap_exit', 'boot_modules',
  'wrmsr', 'sysenter_entry', 'user_copy', 'user_store32', 'exception_table',
  'call_address', 'export_table',
]);

/** Features named by UnsupportedError; TRAP.UNSUPPORTED passes the index of one as its `address`. */
export const FEATURES = [
  'float', 'multi-value', 'simd', 'reference-types', 'bulk-memory', 'extended-const', 'const-expr',
  'memory-import', 'table-import', 'multi-memory', 'elem-offset-global', 'elem-out-of-bounds', 'intrinsic-in-table', 'other',
] as const;
export const TRAP_NAMES: Record<number, string> = {
  1: 'unreachable', 2: 'integer divide by zero', 3: 'integer overflow',
  4: 'out of bounds memory access', 5: 'undefined element', 6: 'uninitialized element',
  7: 'indirect call type mismatch', 8: 'call stack exhausted', 9: 'invalid conversion to integer',
  10: 'unsupported feature',
};

export interface CompileOptions {
  /** Prepended to every label this module defines, so several modules link into one image. */
  prefix?: string;
  /** Module name for error messages ("kernel.wasm"). */
  name?: string;
  /**
   * Resolves a function import that is not an intrinsic: returns the label (symbol)
   * to call with the stdcall convention, or undefined (an error naming the import).
   * Global imports: returns the label of a 4- or 8-byte cell holding the value.
   */
  resolveImport?: (module: string, name: string, kind: 'func' | 'global') => string | undefined;
  /** Treat imports from module "kernel" as inline intrinsics (default true). */
  intrinsics?: boolean;
  /**
   * Symbol of the trap handler, called as handler(code, address) with stdcall;
   * `address` is the return address inside the trapping function. It must not return.
   */
  trapHandler: string;
  /**
   * If set, every function prologue traps STACK_EXHAUSTED when esp < [stackLimit]:
   * a symbol, or 'fs:N' for a limit in the thread block (user code: 'fs:8', NT_TIB.StackLimit).
   */
  stackLimit?: string;
  /**
   * Memory accesses with a constant offset check `addr + offset` for 32-bit carry
   * and trap OUT_OF_BOUNDS (wasm's 33-bit effective address). Needed where linear
   * memory starts at 0 (the spec runner); the kernel relies on paging instead.
   */
  checkOffsetCarry?: boolean;
  /**
   * memory.copy and memory.fill trap OUT_OF_BOUNDS, before writing anything, when
   * a range ends past the memory size (WebAssembly's rule, also for length 0).
   * For programs whose linear memory is all there is (the spec runner, the fuzzer);
   * the kernel reaches past its memory size on purpose (the KSEG0 window), with
   * loads and stores as with bulk memory, so it leaves this off.
   */
  checkBulkBounds?: boolean;
  /**
   * Called (stdcall, args oldPages, newPages; returns 0 to accept) when memory.grow
   * is about to succeed, so the host program can map the pages. Without it, growth
   * only updates the page count and zero-fills the new pages.
   */
  memoryGrowHook?: string;
  /** instantiate() zero-fills memory [0, initial pages) first (the spec runner re-instantiates). */
  zeroMemory?: boolean;
  /**
   * The data segments' table and bytes are stored LZ-compressed (instantiate.ts
   * lzss) and unpacked at instantiation into the initial memory past the last
   * segment, which is zeroed again after; only where that room exists and the
   * loader zero-fills or instantiate does (the kernel: build.ts).
   */
  compressData?: boolean;
  /** Upper bound for memory.grow when the module declares no maximum (pages). */
  maxMemoryPages?: number;
  /**
   * The image loader has already placed the active data segments and zeroed the
   * rest of the initial memory (a PE image whose linear memory is its .data and
   * .bss sections): instantiate neither zero-fills nor copies segments, and the
   * segment bytes are not part of `insns`. Segment offsets must be constants.
   */
  preloadedData?: boolean;
  /**
   * Page counts that follow the image when it is relocated: symbols at the end
   * of the initial memory and at the end of the most memory.grow may reach
   * (64 KiB aligned addresses). instantiate sets the memory size to
   * initialEnd >> 16 and memory.grow stops at limitEnd >> 16, both computed at
   * run time from the (relocated) addresses, so no page count is a constant in
   * the image. Without it the counts are immediates (memory.min, maxPages).
   */
  memoryEnd?: { initialEnd: string; limitEnd: string };
  /** Generate interrupt entry stubs (intrinsic trap_entry) calling this export. */
  trapDispatchExport?: string;
  /**
   * What to do with a function that uses an unsupported feature: 'error' (default)
   * throws UnsupportedError; 'trap' replaces its body by a call to the trap handler
   * with TRAP.UNSUPPORTED and the feature's index in FEATURES, and lists it in
   * CompiledModule.unsupported, so the rest of the module still runs (the spec runner).
   */
  unsupportedFunctions?: 'error' | 'trap';
  /** Keep per-pass text for the dump flag. */
  dump?: boolean;
  /**
   * Chaos probes, for the stress build only (scripts/build.ts --chaos; never the
   * product kernel): every function entry, and with `loops` every loop head,
   * calls the runtime routine `chaos`, which counts a dword down and, when it
   * reaches zero, calls the export `handler` (stdcall, one argument: the
   * counter's address; the handler stores the next count there) with every
   * register and the flags preserved. The handler decides whether to give the
   * processor away there (kernel/ke/chaos.ts). Functions named in `exclude`
   * (display names) get no probe at their entry.
   */
  chaosProbe?: { handler: string; loops?: boolean; exclude?: string[] };
}

export interface CompiledExport {
  name: string;
  kind: 'func' | 'global' | 'memory' | 'table';
  /** Label of the function entry (stdcall), or of the global's cell. */
  label: string;
  type?: FuncType;
  globalType?: ValType;
}

export interface CompiledModule {
  /** Code for every function, the trap stubs, the instantiate routine, and the data (globals, table, segment images). */
  insns: Insn[];
  exports: Map<string, CompiledExport>;
  /**
   * Label of a routine (stdcall, no arguments, no result) that makes a fresh instance:
   * sets the memory size to its initial pages (calling memoryGrowHook(old, initial)),
   * zero-fills memory [0, initial*64KiB) only when zeroMemory is set, copies the active
   * data segments, resets mutable globals to their initial values, fills the table,
   * then runs the start function if any.
   */
  instantiate: string;
  /** Label of the dword holding the current memory size in 64 KiB pages. */
  memoryPages: string;
  memory?: { min: number; max?: number };
  /** Labels of the function entries by function index (imports excluded: undefined). */
  funcLabels: string[];
  /** Function index -> display name, for errors and dumps. */
  funcNames: Map<number, string>;
  /** Functions replaced by a trap (unsupportedFunctions: 'trap'): index -> the error. */
  unsupported: Map<number, UnsupportedError>;
  /** Text of each pass when options.dump is set. */
  dumps?: Map<string, string>;
}

/**
 * Thrown by compileModule when a module uses a feature the translator does not
 * support yet (feature: 'float', 'multi-value', 'simd', 'reference-types',
 * 'memory-import', 'table-import', ...). Callers may skip such modules, naming the feature.
 */
export class UnsupportedError extends Error {
  constructor(public feature: string, message: string) {
    super(`unsupported (${feature}): ${message}`);
  }
}

/**
 * A translation error that points at the source: module, function (index and
 * name), wasm instruction and its byte offset.
 */
export class TranslateError extends Error {
  constructor(message: string, public where: string) {
    super(`${where}: ${message}`);
  }
}

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * The spec scripts: unmodified copies of the WebAssembly test suite
 * (WebAssembly/testsuite at 193e551, see wasm-spec/README.md and LICENSE),
 * kept in the repository so a clean clone tests the same files.
 */
export const SPEC_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'wasm-spec');

/** Scripts that must pass with zero failures (issue: toolchain and first boot). */
export const REQUIRED = [
  'address', 'align', 'block', 'br', 'br_if', 'br_table', 'call', 'call_indirect', 'comments', 'const', 'endianness',
  'fac', 'forward', 'func', 'func_ptrs', 'global', 'i32', 'i64', 'if', 'int_exprs', 'int_literals', 'labels',
  'left-to-right', 'load', 'local_get', 'local_set', 'local_tee', 'loop', 'memory', 'memory_grow', 'memory_redundancy',
  'memory_size', 'memory_trap', 'nop', 'return', 'select', 'stack', 'start', 'store', 'switch', 'traps', 'unreachable', 'unwind',
];

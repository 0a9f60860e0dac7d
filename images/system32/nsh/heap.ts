// Giving the heap back after each command.
//
// Programs here are built with AssemblyScript's stub runtime: a bump
// allocator that never frees, except its last block (__free of the block
// that ends at the bump offset moves the offset back to that block's start).
// A shell runs for as long as the user stays logged on, and every command
// makes strings, so nsh takes a mark (an empty block) before a command and,
// after it, stretches the mark's block to the bump offset and frees it: the
// offset goes back to the mark and everything the command made is gone.
//
// The rule this sets for every command (nsh's own and tools.ts): keep no
// heap object (string, array, class instance) in a global from one command
// to the next; keep such state in memory.data buffers or number globals.

/** The stub runtime's block header before each payload: mmInfo, the payload size (rt/common.ts BLOCK). */
const BLOCK_OVERHEAD: usize = sizeof<usize>();

/** A mark: an empty block at the bump offset now. */
export function HeapMark(): usize { return heap.alloc(0); }

/** Frees everything allocated since `mark` (and the mark). */
export function HeapRelease(mark: usize): void {
  const top = heap.alloc(0);
  const end = top + load<usize>(top - BLOCK_OVERHEAD); // the bump offset
  store<usize>(mark - BLOCK_OVERHEAD, end - mark);     // the mark's block now ends there
  heap.free(mark);
}

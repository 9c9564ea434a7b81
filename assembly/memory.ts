// Raw memory for the TypeScript arena (src/core/arena.ts).
//
// Blocks come from the runtime's TLSF allocator (`heap.alloc`), are 16-byte aligned (so
// `v128.load` on row starts is aligned when rows are multiples of 4 floats) and are never
// touched by the garbage collector. Every kernel writes only into memory the caller passes in;
// the caller frees it. Allocation may grow memory, which detaches every JS view of it.

/** Allocate `bytes` (at least 1) and return the block's address. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes > 0 ? bytes : 1);
}

/** Free a block returned by `alloc`. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

/** Current size of linear memory in bytes (64 KiB pages). */
export function memoryBytes(): usize {
  return (<usize>memory.size()) << 16;
}

/** Fill `bytes` bytes at `ptr` with zero. */
export function zero(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}

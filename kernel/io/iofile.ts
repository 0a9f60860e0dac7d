// Whole-file helpers for kernel components (the configuration manager loads
// and saves hives with them). They run on a system thread and wait for the
// disk. Being written: the placeholders answer STATUS_NOT_IMPLEMENTED.

import { STATUS_NOT_IMPLEMENTED } from "../rtl/ntstatus";

/**
 * Reads the whole file at `path` (an NT path such as
 * "\\SystemRoot\\System32\\config\\SYSTEM"). On success stores at
 * `result` a pointer to a nonpaged pool block holding the bytes (tag `tag`,
 * the caller frees it with ExFreePoolWithTag) and at `result + 4` the length.
 * STATUS_OBJECT_NAME_NOT_FOUND / STATUS_OBJECT_PATH_NOT_FOUND when it is missing.
 */
export function IoLoadFile(path: string, tag: u32, result: usize): u32 { return STATUS_NOT_IMPLEMENTED; }

/**
 * Creates or replaces the file at `path` with exactly `length` bytes from
 * `buffer`, and flushes it to the disk before returning.
 */
export function IoSaveFile(path: string, buffer: usize, length: u32): u32 { return STATUS_NOT_IMPLEMENTED; }

// Environment blocks: RtlCreateEnvironment, RtlDestroyEnvironment,
// RtlSetEnvironmentVariable, RtlQueryEnvironmentVariable_U,
// RtlExpandEnvironmentStrings_U.
//
// A block is a run of NUL-terminated WCHAR strings "NAME=VALUE" ended by an
// empty string (so two NULs in a row), in its own virtual memory
// allocation (NtAllocateVirtualMemory), like NT's. Names compare without
// case; a name may start with '=' (the per-drive directories "=C:=C:\x")
// but contain none after that. RtlSetEnvironmentVariable keeps the block
// sorted by name, grows it into a new allocation when it does not fit the
// old one, and works on the process's block (ProcessParameters->Environment)
// when given no block. Not done: the PEB lock around changes to the
// process's block (no RtlAcquirePebLock yet).

import {
  NtAllocateVirtualMemory, NtFreeVirtualMemory, NtQueryVirtualMemory, RtlpProcessParameters, RtlpWcsLen,
} from "./nt";
import { RtlUpcaseUnicodeChar } from "./string";
import { RtlpAllocateScratch, RtlpFreeScratch } from "./heap";
import { RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import {
  STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_NO_MEMORY, STATUS_SUCCESS,
  STATUS_VARIABLE_NOT_FOUND,
} from "../../../kernel/sdk/ntstatus";
import {
  MEMORY_BASIC_INFORMATION, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, NtCurrentProcess, PAGE_READWRITE, PAGE_SIZE, SIZEOF_MEMORY_BASIC_INFORMATION, UNICODE_STRING,
} from "../../../kernel/sdk/ntdef";

/** RTL_USER_PROCESS_PARAMETERS.Environment. */
export const PARAMS_ENVIRONMENT: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("Environment");
const EQUALS: u16 = 0x3D;

@inline function ch(p: usize, i: u32): u32 { return <u32>load<u16>(p + (i << 1)); }

/** The process's environment block. */
export function RtlpCurrentEnvironment(): usize {
  const params = RtlpProcessParameters();
  return params == 0 ? 0 : load<usize>(params + PARAMS_ENVIRONMENT);
}

/** Characters in a block, the final empty string's NUL included. */
export function RtlpEnvironmentLength(env: usize): u32 {
  let i: u32 = 0;
  while (ch(env, i) != 0) i += RtlpWcsLen(env + (i << 1)) + 1;
  return i + 1;
}

/** Characters of an entry's name: up to the first '=' after the first character. */
function entryNameLength(entry: usize): u32 {
  let i: u32 = 1;
  while (ch(entry, i) != 0 && ch(entry, i) != EQUALS) i++;
  return i;
}

/** Compares an entry's name with `count` characters at `name`, without case. */
function compareName(entry: usize, name: usize, count: u32): i32 {
  const n = entryNameLength(entry);
  const m = n < count ? n : count;
  for (let i: u32 = 0; i < m; i++) {
    const a = RtlUpcaseUnicodeChar(ch(entry, i)), b = RtlUpcaseUnicodeChar(ch(name, i));
    if (a != b) return <i32>a - <i32>b;
  }
  return <i32>n - <i32>count;
}

/** The value (after '=') of variable `name` (`count` characters), or 0. */
export function RtlpFindVariable(env: usize, name: usize, count: u32): usize {
  if (env == 0 || count == 0) return 0;
  let p = env;
  while (load<u16>(p) != 0) {
    if (compareName(p, name, count) == 0 && ch(p, count) == EQUALS) return p + ((count + 1) << 1);
    p += (RtlpWcsLen(p) + 1) << 1;
  }
  return 0;
}

/** Allocates `bytes` of fresh pages for a block; 0 when out of memory. */
function allocateBlock(bytes: u32): usize {
  const args = RtlpAllocateScratch(8);
  if (args == 0) return 0;
  store<u32>(args, bytes, 4);
  let env: usize = 0;
  if (NtAllocateVirtualMemory(NtCurrentProcess, args, 0, args + 4, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == 0) env = load<usize>(args);
  RtlpFreeScratch(args);
  return env;
}

function freeBlock(env: usize): void {
  const args = RtlpAllocateScratch(8);
  if (args == 0) return;
  store<usize>(args, env);
  NtFreeVirtualMemory(NtCurrentProcess, args, args + 4, MEM_RELEASE);
  RtlpFreeScratch(args);
}

/**
 * Bytes of committed memory from `env` to the end of its allocation's
 * committed run, when the block is an allocation of its own (as
 * RtlCreateEnvironment makes them); 0 for a block inside something else
 * (a parameter block, a heap), which is never grown in place nor released.
 */
function blockCapacity(env: usize): u32 {
  const info = RtlpAllocateScratch(SIZEOF_MEMORY_BASIC_INFORMATION);
  if (info == 0) return 0;
  let capacity: u32 = 0;
  const m = changetype<MEMORY_BASIC_INFORMATION>(info);
  if (NtQueryVirtualMemory(NtCurrentProcess, env, 0, info, SIZEOF_MEMORY_BASIC_INFORMATION, 0) == 0 && m.AllocationBase == env) {
    capacity = <u32>(m.BaseAddress + m.RegionSize - env);
  }
  RtlpFreeScratch(info);
  return capacity;
}

/** A new block, empty or a copy of the process's; stored at `*environment`. */
export function RtlCreateEnvironment(clone: bool, environment: usize): u32 {
  const current = clone ? RtlpCurrentEnvironment() : 0;
  const chars = current != 0 ? RtlpEnvironmentLength(current) : 2;
  const env = allocateBlock(chars << 1 > PAGE_SIZE ? chars << 1 : PAGE_SIZE);
  if (env == 0) return STATUS_NO_MEMORY;
  if (current != 0) memory.copy(env, current, chars << 1);
  else store<u32>(env, 0);
  store<usize>(environment, env);
  return STATUS_SUCCESS;
}

/** Releases a block RtlCreateEnvironment made. */
export function RtlDestroyEnvironment(env: usize): u32 {
  freeBlock(env);
  return STATUS_SUCCESS;
}

/**
 * Sets (or with `value` NULL removes) variable `name` in `*environment`, or
 * in the process's block when `environment` is NULL. A name that is empty
 * or has '=' after its first character is STATUS_INVALID_PARAMETER.
 */
export function RtlSetEnvironmentVariable(environment: usize, name: usize, value: usize): u32 {
  const nameChars = <u32>changetype<UNICODE_STRING>(name).Length >> 1, nameBuf = changetype<UNICODE_STRING>(name).Buffer;
  if (nameChars == 0) return STATUS_INVALID_PARAMETER;
  for (let i: u32 = 1; i < nameChars; i++) if (ch(nameBuf, i) == EQUALS) return STATUS_INVALID_PARAMETER;
  let params: usize = 0;
  let env: usize;
  if (environment != 0) env = load<usize>(environment);
  else { params = RtlpProcessParameters(); env = load<usize>(params + PARAMS_ENVIRONMENT); }
  if (env == 0) return STATUS_INVALID_PARAMETER;

  // Where the entry is (start..end, characters) or where it goes to keep the order.
  const total = RtlpEnvironmentLength(env);
  let start: u32 = 0;
  let end: u32 = 0;
  while (ch(env, start) != 0) {
    const entry = env + (start << 1);
    const order = compareName(entry, nameBuf, nameChars);
    const next = start + RtlpWcsLen(entry) + 1;
    if (order == 0) { end = next; break; }
    if (order > 0) break;
    start = next;
  }
  if (end == 0) end = start;
  if (value == 0 && end == start) return STATUS_SUCCESS;
  const valueChars: u32 = value != 0 ? <u32>changetype<UNICODE_STRING>(value).Length >> 1 : 0;
  const entryChars: u32 = value != 0 ? nameChars + 1 + valueChars + 1 : 0;
  const newTotal = total - (end - start) + entryChars;

  let target = env;
  const capacity = blockCapacity(env);
  if (newTotal << 1 > capacity) {
    target = allocateBlock(newTotal << 1);
    if (target == 0) return STATUS_NO_MEMORY;
    memory.copy(target, env, start << 1);
  }
  memory.copy(target + ((start + entryChars) << 1), env + (end << 1), (total - end) << 1);
  if (value != 0) {
    const at = target + (start << 1);
    memory.copy(at, nameBuf, nameChars << 1);
    store<u16>(at + (nameChars << 1), EQUALS);
    memory.copy(at + ((nameChars + 1) << 1), changetype<UNICODE_STRING>(value).Buffer, valueChars << 1);
    store<u16>(at + ((nameChars + 1 + valueChars) << 1), 0);
  }
  if (target != env) {
    if (environment != 0) store<usize>(environment, target);
    else store<usize>(params + PARAMS_ENVIRONMENT, target);
    if (capacity != 0) freeBlock(env);
  }
  return STATUS_SUCCESS;
}

/**
 * Copies the value of `name` into `value` (Length = its bytes, NUL added
 * when there is room). STATUS_VARIABLE_NOT_FOUND, or STATUS_BUFFER_TOO_SMALL
 * with Length set to the bytes needed.
 */
export function RtlQueryEnvironmentVariable_U(env: usize, name: usize, value: usize): u32 {
  if (env == 0) env = RtlpCurrentEnvironment();
  const found = RtlpFindVariable(env, changetype<UNICODE_STRING>(name).Buffer, <u32>changetype<UNICODE_STRING>(name).Length >> 1);
  if (found == 0) return STATUS_VARIABLE_NOT_FOUND;
  const bytes = RtlpWcsLen(found) << 1;
  changetype<UNICODE_STRING>(value).Length = <u16>bytes;
  const maximum = <u32>changetype<UNICODE_STRING>(value).MaximumLength;
  if (bytes > maximum) return STATUS_BUFFER_TOO_SMALL;
  memory.copy(changetype<UNICODE_STRING>(value).Buffer, found, bytes + 2 <= maximum ? bytes + 2 : bytes);
  return STATUS_SUCCESS;
}

/**
 * Replaces each %NAME% of `source` by the variable's value; an unknown name
 * (or "%%") stays as written, a '%' with no closing one is copied as it is.
 * `*length` (if given) gets the bytes of the result with its NUL; a
 * destination too small for them is STATUS_BUFFER_TOO_SMALL. What a short
 * destination holds then follows Windows: plain characters fill all but
 * its last place (no NUL), a value goes in only whole and with its NUL,
 * and the first value that does not fit leaves a NUL where it would have
 * started and ends the writing.
 */
export function RtlExpandEnvironmentStrings_U(env: usize, source: usize, dest: usize, length: usize): u32 {
  if (env == 0) env = RtlpCurrentEnvironment();
  const src = load<usize>(source, 4);
  const count = <u32>load<u16>(source) >> 1;
  const out = load<usize>(dest, 4);
  const room = <u32>load<u16>(dest, 2) >> 1;
  let written: u32 = 0; // characters of the whole result, whether or not they fitted
  let stopped = false;
  let i: u32 = 0;
  while (i < count) {
    if (ch(src, i) == 0x25) {
      let close = i + 1;
      while (close < count && ch(src, close) != 0x25) close++;
      const value = close < count ? RtlpFindVariable(env, src + ((i + 1) << 1), close - i - 1) : 0;
      if (value != 0) {
        const n = RtlpWcsLen(value);
        if (!stopped) {
          if (written + n + 1 <= room) {
            memory.copy(out + (written << 1), value, n << 1);
            store<u16>(out + ((written + n) << 1), 0);
          } else {
            if (written < room) store<u16>(out + (written << 1), 0);
            stopped = true;
          }
        }
        written += n;
        i = close + 1;
        continue;
      }
      // Unknown (or unclosed): the text up to the closing '%' is copied below, character by character.
      const end = close < count ? close + 1 : count;
      for (; i < end; i++, written++) stopped = literal(out, room, written, ch(src, i), stopped);
      continue;
    }
    stopped = literal(out, room, written, ch(src, i), stopped);
    written++;
    i++;
  }
  const bytes = (written + 1) << 1;
  if (length != 0) store<u32>(length, bytes);
  if (written + 1 > room) return STATUS_BUFFER_TOO_SMALL;
  store<u16>(out + (written << 1), 0);
  store<u16>(dest, <u16>(written << 1));
  return STATUS_SUCCESS;
}

/** One plain character at `at`, if writing has not stopped and it leaves the last place free; returns `stopped`. */
function literal(out: usize, room: u32, at: u32, c: u32, stopped: bool): bool {
  if (stopped) return true;
  if (room == 0 || at >= room - 1) return true;
  store<u16>(out + (at << 1), <u16>c);
  return false;
}

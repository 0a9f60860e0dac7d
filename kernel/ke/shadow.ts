// The second system service table (NT's shadow table): services numbered
// from 0x1000, registered by a session driver (win32k.sys) from its
// DriverEntry with KeAddSystemServiceTable, one table per session.
//
// A session's driver image lives in session space, at the same address in
// every session, but each session loads its own copy: the table is kept per
// session id, and a session whose driver is not loaded answers
// STATUS_INVALID_SYSTEM_SERVICE for every shadow number, as NT does before
// win32k.sys is there.
//
//   KiShadowTables: per session id, 3 words
//   +0 Base   machine addresses of the routines (the driver's memory)
//   +4 Limit  how many
//   +8 Number argument bytes per service (a byte each, the driver's memory)

import { call_address } from "../sdk/intrinsics";
import { MmGetCurrentSessionId } from "../mm/sysload";
import { MM_MAX_SESSIONS } from "../mm/sessionid";

/** The first shadow service number. */
export const KI_SHADOW_SERVICE_BASE: u32 = 0x1000;
/** Most services a shadow table may hold (NT's 4096-entry range). */
const KI_SHADOW_LIMIT: u32 = 0x1000;

const KiShadowTables: usize = memory.data(<i32>(MM_MAX_SESSIONS * 12), 4);

/**
 * NT's KeAddSystemServiceTable(Base, Count, Limit, Number, Index): Index
 * must be 1 (the shadow table; 0 is the kernel's own), Count is ignored (no
 * per-service counters). Returns FALSE when the current session has a shadow
 * table already or the arguments are unusable.
 */
export function KeAddSystemServiceTable(base: usize, count: usize, limit: u32, number: usize, index: u32): u32 {
  const session = MmGetCurrentSessionId();
  if (index != 1 || base == 0 || number == 0 || limit == 0 || limit > KI_SHADOW_LIMIT || session >= MM_MAX_SESSIONS) return 0;
  const entry = KiShadowTables + session * 12;
  if (load<usize>(entry) != 0) return 0;
  store<u32>(entry, limit, 4);
  store<usize>(entry, number, 8);
  store<usize>(entry, base); // last: the dispatcher tests Base
  return 1;
}

/** Forgets session `session`'s shadow table (its driver failed to start, or the session ended). */
export function KiRemoveShadowTable(session: u32): void {
  if (session < MM_MAX_SESSIONS) memory.fill(KiShadowTables + session * 12, 0, 12);
}

/** True when the current session's driver registered a table. */
export function KiHasShadowTable(session: u32): bool {
  return session < MM_MAX_SESSIONS && load<usize>(KiShadowTables + session * 12) != 0;
}

/**
 * Argument bytes of shadow service `service` (0x1000 + i) in the current
 * session, or -1 when that session has no such service.
 */
export function KiShadowArgumentBytes(service: u32): i32 {
  const session = MmGetCurrentSessionId();
  if (session >= MM_MAX_SESSIONS || service < KI_SHADOW_SERVICE_BASE) return -1;
  const entry = KiShadowTables + session * 12;
  const i = service - KI_SHADOW_SERVICE_BASE;
  if (load<usize>(entry) == 0 || i >= load<u32>(entry, 4)) return -1;
  const bytes = <i32>load<u8>(load<usize>(entry, 8) + i);
  return bytes > 64 ? -1 : bytes; // the thread's argument buffer holds 16 words
}

/** Calls shadow service `service` (checked by KiShadowArgumentBytes) with the captured arguments. */
export function KiCallShadowService(service: u32, args: usize, bytes: u32): u32 {
  const entry = KiShadowTables + MmGetCurrentSessionId() * 12;
  const routine = load<usize>(load<usize>(entry) + ((service - KI_SHADOW_SERVICE_BASE) << 2));
  return call_address(routine, args, bytes);
}

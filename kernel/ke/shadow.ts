// The second system service table (NT's shadow table) and what else a
// session's win32k.sys registers with the kernel: services numbered from
// 0x1000 (KeAddSystemServiceTable, from its DriverEntry) and the routine that
// paints the session's screen (PsEstablishWin32Callouts, ps/psw32.ts); plus
// the active session, the one that has the screen and the keyboard.
//
// A session's driver image lives in session space, at the same address in
// every session, but each session loads its own copy: the records are kept
// per session id, and a session whose driver is not loaded answers
// STATUS_INVALID_SYSTEM_SERVICE for every shadow number, as NT does before
// win32k.sys is there. The current session's id comes from Ps (a routine it
// registers at boot: Ke sits below the layers that know sessions).
//
//   KiSessionRecords: per session id, 4 words
//   +0 Base   machine addresses of the routines (the driver's memory)
//   +4 Limit  how many
//   +8 Number argument bytes per service (a byte each, the driver's memory)
//   +12 Paint the paint routine (stdcall, no arguments), 0 before it registered

import { call_address, cli, read_eflags, sti } from "../sdk/intrinsics";

/** The first shadow service number. */
export const KI_SHADOW_SERVICE_BASE: u32 = 0x1000;
/** Most sessions the records hold (ids 0 .. KE_MAX_SESSIONS - 1; mm/session.ts has the same limit). */
export const KE_MAX_SESSIONS: u32 = 32;
/** Most services a shadow table may hold (NT's 4096-entry range). */
const KI_SHADOW_LIMIT: u32 = 0x1000;
const RECORD: u32 = 16;
const R_LIMIT: u32 = 4;
const R_NUMBER: u32 = 8;
const R_PAINT: u32 = 12;

const KiSessionRecords: usize = memory.data(<i32>(KE_MAX_SESSIONS * RECORD), 4);
/** The session that has the screen and the keyboard. */
let KiActiveSession: u32 = 0;

function KiNoSessions(): u32 { return 0; }
let KiSessionIdRoutine: () => u32 = KiNoSessions;

/** Ps hands in how to tell the current process's session (PsGetCurrentSessionId). */
export function KeSetSessionIdRoutine(routine: () => u32): void { KiSessionIdRoutine = routine; }
/** The current process's session id. */
export function KeGetCurrentSessionId(): u32 { return KiSessionIdRoutine(); }

@inline function KiRecord(session: u32): usize { return KiSessionRecords + session * RECORD; }

/**
 * NT's KeAddSystemServiceTable(Base, Count, Limit, Number, Index): Index
 * must be 1 (the shadow table; 0 is the kernel's own), Count is ignored (no
 * per-service counters). Returns FALSE when the current session has a shadow
 * table already or the arguments are unusable.
 */
export function KeAddSystemServiceTable(base: usize, count: usize, limit: u32, number: usize, index: u32): u32 {
  const session = KeGetCurrentSessionId();
  if (index != 1 || base == 0 || number == 0 || limit == 0 || limit > KI_SHADOW_LIMIT || session >= KE_MAX_SESSIONS) return 0;
  const entry = KiRecord(session);
  // Test and set with interrupts off: two threads of a session registering at once get one table.
  const f = read_eflags() & 0x200;
  cli();
  const free = load<usize>(entry) == 0;
  if (free) {
    store<u32>(entry, limit, R_LIMIT);
    store<usize>(entry, number, R_NUMBER);
    store<usize>(entry, base); // last: the dispatcher tests Base
  }
  if (f != 0) sti();
  return free ? 1 : 0;
}

/** The paint routine of the current session's win32k.sys (ps/psw32.ts PsEstablishWin32Callouts). */
export function KeSetSessionPaintRoutine(routine: usize): void {
  const session = KeGetCurrentSessionId();
  if (session < KE_MAX_SESSIONS) store<usize>(KiRecord(session), routine, R_PAINT);
}
/** Session `session`'s paint routine, 0 when none. */
export function KeSessionPaintRoutine(session: u32): usize {
  return session < KE_MAX_SESSIONS ? load<usize>(KiRecord(session), R_PAINT) : 0;
}

/** Forgets what session `session`'s driver registered (it failed to start, or the session ended). */
export function KeRemoveSessionServices(session: u32): void {
  if (session >= KE_MAX_SESSIONS) return;
  memory.fill(KiRecord(session), 0, RECORD);
  if (session == KiActiveSession) KiActiveSession = 0;
}

/** True when session `session`'s driver registered a shadow table. */
export function KeHasSessionServices(session: u32): bool {
  return session < KE_MAX_SESSIONS && load<usize>(KiRecord(session)) != 0;
}

/** The active session's id. */
export function KeGetActiveSession(): u32 { return KiActiveSession; }
/** Makes `session` the active one (ps/psw32.ts PsSwitchActiveSession paints it). */
export function KeSetActiveSession(session: u32): void { if (session < KE_MAX_SESSIONS) KiActiveSession = session; }

/**
 * Argument bytes of shadow service `service` (0x1000 + i) in the current
 * session, or -1 when that session has no such service.
 */
export function KiShadowArgumentBytes(service: u32): i32 {
  const session = KeGetCurrentSessionId();
  if (session >= KE_MAX_SESSIONS || service < KI_SHADOW_SERVICE_BASE) return -1;
  const entry = KiRecord(session);
  const i = service - KI_SHADOW_SERVICE_BASE;
  if (load<usize>(entry) == 0 || i >= load<u32>(entry, R_LIMIT)) return -1;
  const bytes = <i32>load<u8>(load<usize>(entry, R_NUMBER) + i);
  return bytes > 64 ? -1 : bytes; // the thread's argument buffer holds 16 words
}

/** Calls shadow service `service` (checked by KiShadowArgumentBytes) with the captured arguments. */
export function KiCallShadowService(service: u32, args: usize, bytes: u32): u32 {
  const entry = KiRecord(KeGetCurrentSessionId());
  const routine = load<usize>(load<usize>(entry) + ((service - KI_SHADOW_SERVICE_BASE) << 2));
  return call_address(routine, args, bytes);
}

// The active session and the window manager's callouts.
//
// One session at a time owns the screen and the keyboard (the "console
// session"): its win32k.sys shows its screen buffer on VGA and the keyboard
// driver queues keys for it (io/kbdqueue.ts). Session 0 is active at boot.
//
// Each session's win32k.sys registers, from its DriverEntry, the routine that
// paints its buffer on the screen (PsEstablishWin32Callouts; NT's passes a
// larger table). Switching the active session calls the new session's
// routine in that session's address space (its buffer is in its session
// space): from one of its processes when the caller is in another session.

import { call_address } from "../sdk/intrinsics";
import { InbvAcquireDisplayOwnership } from "../hal/vga";
import { KiHasShadowTable } from "../ke/shadow";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString } from "../ke/log";
import { MmAttachSession, MmDetachSession, MmGetCurrentSessionId } from "../mm/sysload";
import { MM_MAX_SESSIONS } from "../mm/sessionid";
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from "../sdk/ntstatus";

/** The session that has the screen and the keyboard. */
let ExpActiveSession: u32 = 0;
/** Per session: win32k's paint routine (stdcall, no arguments), 0 before it registered. */
const ExpPaintRoutines: usize = memory.data(<i32>(MM_MAX_SESSIONS * 4), 4);

/** The active session's id. */
export function ExGetActiveSession(): u32 { return ExpActiveSession; }

/**
 * NT's PsEstablishWin32Callouts, cut to what we need: `callouts` points at
 * one machine address, the routine that paints the calling session's screen.
 */
export function PsEstablishWin32Callouts(callouts: usize): void {
  const session = MmGetCurrentSessionId();
  if (session < MM_MAX_SESSIONS && callouts != 0) store<usize>(ExpPaintRoutines + (session << 2), load<usize>(callouts));
}

/** Forgets a session's callouts (its driver failed to start, or the session ended). */
export function ExpRemoveWin32Callouts(session: u32): void {
  if (session < MM_MAX_SESSIONS) store<usize>(ExpPaintRoutines + (session << 2), 0);
  if (session == ExpActiveSession && session != 0) ExpActiveSession = 0;
}

/**
 * Makes `session` the active session and paints its screen: the session must
 * have its win32k.sys (a registered paint routine), else STATUS_INVALID_PARAMETER.
 */
export function ExSwitchActiveSession(session: u32): u32 {
  if (session >= MM_MAX_SESSIONS || !KiHasShadowTable(session)) return STATUS_INVALID_PARAMETER;
  const paint = load<usize>(ExpPaintRoutines + (session << 2));
  if (paint == 0) return STATUS_INVALID_PARAMETER;
  const previous = ExpActiveSession;
  ExpActiveSession = session;
  InbvAcquireDisplayOwnership();
  if (session == MmGetCurrentSessionId()) {
    call_address(paint, 0, 0);
  } else if (MmAttachSession(session)) {
    call_address(paint, 0, 0);
    MmDetachSession();
  }
  if (previous != session) {
    KeLogBegin("ex");
    KeLogString("active session ");
    KeLogDecimal(previous);
    KeLogString(" -> ");
    KeLogDecimal(session);
    KeLogEnd();
  }
  return STATUS_SUCCESS;
}

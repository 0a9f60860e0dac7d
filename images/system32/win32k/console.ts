// The session's text screen: 80x25 cells (character | attribute << 8) in
// this image's memory, which is in session space, so each session has its
// own. When the session is the active one (kernel/ke/shadow.ts) every
// change is mirrored to VGA text memory and the hardware cursor.
//
// The screen is the kernel's console (the log echo) until the first
// NtUserSwitchSession, or the first write or clear from the active session:
// then win32k takes it (InbvAcquireDisplayOwnership) and paints its buffer.

import {
  KeGetActiveSession, PsSwitchActiveSession, HalDisplaySetCursor, InbvAcquireDisplayOwnership, InbvCheckDisplayOwnership,
  ProbeUserRange, ExCopyFromUser, ExWriteUserUlong, PsGetCurrentProcessSessionId, SeSinglePrivilegeCheck, ExGetPreviousMode,
  ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool,
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS,
} from "./ntos";
import { NTUSER_COLUMNS, NTUSER_ROWS } from "../../../kernel/sdk/ntuser";

/** VGA text memory in the kernel's window onto physical memory (0xB8000). */
const VGA_TEXT: usize = 0x800B8000;
const CELLS: u32 = NTUSER_COLUMNS * NTUSER_ROWS;
/** Light grey on black. */
const DEFAULT_ATTRIBUTE: u32 = 0x07;
const MAX_WRITE_BYTES: u32 = 0x10000;
/** NtUserConsoleWrite reads the caller's text through a kernel buffer of this many bytes at a time. */
const WRITE_CHUNK: u32 = 512;
const TEXT_TAG: u32 = 0x54323357; // 'W32T'

/** The session's screen. */
const W32pScreen: usize = memory.data(<i32>(CELLS * 2), 4);
let W32pCursorX: u32 = 0;
let W32pCursorY: u32 = 0;
let W32pAttribute: u32 = DEFAULT_ATTRIBUTE;

@inline function Blank(): u32 { return 0x20 | (W32pAttribute << 8); }

/** True when this session's screen is what VGA shows. */
function W32pVisible(): bool {
  return KeGetActiveSession() == PsGetCurrentProcessSessionId() && InbvCheckDisplayOwnership();
}

/** Copies the whole buffer to VGA and places the cursor (the paint callout; stdcall, no arguments). */
export function W32pPaint(): void {
  memory.copy(VGA_TEXT, W32pScreen, CELLS * 2);
  HalDisplaySetCursor(W32pCursorX < NTUSER_COLUMNS ? W32pCursorX : NTUSER_COLUMNS - 1, W32pCursorY);
}

/** Before a change by the active session: takes the screen from the kernel's console the first time. */
function W32pClaim(): bool {
  if (KeGetActiveSession() != PsGetCurrentProcessSessionId()) return false;
  if (!InbvCheckDisplayOwnership()) { InbvAcquireDisplayOwnership(); W32pPaint(); }
  return true;
}

function W32pFill(first: u32, count: u32, cell: u32, visible: bool): void {
  for (let i = first; i < first + count; i++) store<u16>(W32pScreen + (i << 1), <u16>cell);
  if (visible) memory.copy(VGA_TEXT + (first << 1), W32pScreen + (first << 1), count << 1);
}

function W32pScroll(visible: bool): void {
  memory.copy(W32pScreen, W32pScreen + NTUSER_COLUMNS * 2, (CELLS - NTUSER_COLUMNS) * 2);
  W32pFill(CELLS - NTUSER_COLUMNS, NTUSER_COLUMNS, Blank(), false);
  if (visible) memory.copy(VGA_TEXT, W32pScreen, CELLS * 2);
}

function W32pNewLine(visible: bool): void {
  W32pCursorX = 0;
  if (W32pCursorY + 1 < NTUSER_ROWS) W32pCursorY++;
  else W32pScroll(visible);
}

function W32pPut(c: u32, visible: bool): void {
  if (c == 0x0A) { W32pNewLine(visible); return; }
  if (c == 0x0D) { W32pCursorX = 0; return; }
  if (c == 0x08) { if (W32pCursorX > 0) W32pCursorX--; return; }
  if (c == 0x09) {
    const next = (W32pCursorX + 8) & ~7;
    while (W32pCursorX < next && W32pCursorX < NTUSER_COLUMNS) W32pPut(0x20, visible);
    return;
  }
  if (W32pCursorX >= NTUSER_COLUMNS) W32pNewLine(visible);
  const at = (W32pCursorY * NTUSER_COLUMNS + W32pCursorX) << 1;
  const cell = <u16>((c < 0x100 ? c : 0x3F) | (W32pAttribute << 8));
  store<u16>(W32pScreen + at, cell);
  if (visible) store<u16>(VGA_TEXT + at, cell);
  W32pCursorX++;
}

/** Blank screen, cursor home: DriverEntry's start. */
export function W32pInitializeScreen(): void {
  W32pAttribute = DEFAULT_ATTRIBUTE;
  W32pFill(0, CELLS, Blank(), false);
  W32pCursorX = 0;
  W32pCursorY = 0;
}

export function NtUserConsoleWrite(text: usize, lengthBytes: u32): u32 {
  if ((lengthBytes & 1) != 0 || lengthBytes > MAX_WRITE_BYTES) return STATUS_INVALID_PARAMETER;
  if (!ProbeUserRange(text, lengthBytes, 2)) return STATUS_ACCESS_VIOLATION;
  // The text is read once, a chunk at a time, through the kernel's guarded copy: a page that
  // goes meanwhile ends the write there with STATUS_ACCESS_VIOLATION (what came before it shows).
  const chunk = ExAllocatePoolWithTag(NonPagedPool, WRITE_CHUNK, TEXT_TAG);
  if (chunk == 0) return STATUS_INSUFFICIENT_RESOURCES;
  const visible = W32pClaim();
  let status = STATUS_SUCCESS;
  for (let done: u32 = 0; done < lengthBytes; done += WRITE_CHUNK) {
    const n = lengthBytes - done < WRITE_CHUNK ? lengthBytes - done : WRITE_CHUNK;
    if (!ExCopyFromUser(chunk, text + done, n)) { status = STATUS_ACCESS_VIOLATION; break; }
    for (let i: u32 = 0; i < n; i += 2) W32pPut(<u32>load<u16>(chunk + i), visible);
  }
  ExFreePoolWithTag(chunk, TEXT_TAG);
  if (visible) HalDisplaySetCursor(W32pCursorX < NTUSER_COLUMNS ? W32pCursorX : NTUSER_COLUMNS - 1, W32pCursorY);
  return status;
}

export function NtUserConsoleClear(): u32 {
  const visible = W32pClaim();
  W32pFill(0, CELLS, Blank(), visible);
  W32pCursorX = 0;
  W32pCursorY = 0;
  if (visible) HalDisplaySetCursor(0, 0);
  return STATUS_SUCCESS;
}

export function NtUserConsoleSetCursor(x: u32, y: u32): u32 {
  if (x >= NTUSER_COLUMNS || y >= NTUSER_ROWS) return STATUS_INVALID_PARAMETER;
  W32pCursorX = x;
  W32pCursorY = y;
  if (W32pVisible()) HalDisplaySetCursor(x, y);
  return STATUS_SUCCESS;
}

export function NtUserConsoleSetAttribute(attribute: u32): u32 {
  if (attribute > 0xFF) return STATUS_INVALID_PARAMETER;
  W32pAttribute = attribute;
  return STATUS_SUCCESS;
}

/** SeTcbPrivilege (winnt.h's SE_TCB_PRIVILEGE): only a trusted caller (winlogon, csrss) moves the screen and keyboard. */
const SE_TCB_PRIVILEGE: u32 = 7;

export function NtUserSwitchSession(sessionId: u32): u32 {
  if (!SeSinglePrivilegeCheck(SE_TCB_PRIVILEGE, 0, ExGetPreviousMode())) return STATUS_PRIVILEGE_NOT_HELD;
  return PsSwitchActiveSession(sessionId);
}

export function NtUserGetActiveSession(sessionId: usize): u32 {
  if (!ProbeUserRange(sessionId, 4, 4)) return STATUS_ACCESS_VIOLATION;
  return ExWriteUserUlong(sessionId, KeGetActiveSession()) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

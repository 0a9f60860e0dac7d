// nsh's line editor: the prompt, the line typed after it with backspace,
// and the history (up and down arrows).
//
// The session's screen shows everything as it is typed (from COM1 or the
// keyboard): characters, "\b \b" for a backspace, the line redrawn for a
// history recall. COM1 carries whole lines only (io.ts), so there the prompt
// is a line, a recalled command shows as `<prompt><command>`, and the line
// entered is echoed as `<prompt><line>` when Enter is pressed.
//
// The history is kept in static memory (HISTORY_MAX lines of up to
// LINE_MAX characters), not on the heap nsh gives back after each command.

import { ShFlush, ShReadKey, ShWrite, ShWriteCom1, ShWriteScreen, KEY_DOWN, KEY_NONE, KEY_UP, FROM_KEYBOARD } from "./io";

/** Characters in a command line. */
export const LINE_MAX: i32 = 240;
const HISTORY_MAX: i32 = 32;
const ENTRY_BYTES: i32 = 4 + LINE_MAX * 2; // a u32 length (characters), then UTF-16
const history = memory.data(HISTORY_MAX * ENTRY_BYTES, 4);
let HistoryCount = 0; // lines stored (at most HISTORY_MAX)
let HistoryNext = 0;  // where the next line goes (a ring)
let LastWasCr = false;

/** History entry `i` counted from the oldest kept (0 .. HistoryCount-1). */
function HistoryEntry(i: i32): string {
  const slot = (HistoryNext - HistoryCount + i + HISTORY_MAX) % HISTORY_MAX;
  const p = history + <usize>(slot * ENTRY_BYTES);
  return String.UTF16.decodeUnsafe(p + 4, load<u32>(p) << 1);
}

function HistoryAdd(line: string): void {
  if (HistoryCount != 0 && HistoryEntry(HistoryCount - 1) == line) return; // the same as the last: kept once
  const p = history + <usize>(HistoryNext * ENTRY_BYTES);
  store<u32>(p, <u32>line.length);
  memory.copy(p + 4, changetype<usize>(line), <usize>line.length << 1);
  HistoryNext = (HistoryNext + 1) % HISTORY_MAX;
  if (HistoryCount < HISTORY_MAX) HistoryCount++;
}

/** The lines in the history, oldest first. */
export function HistoryLines(): Array<string> {
  const out = new Array<string>();
  for (let i = 0; i < HistoryCount; i++) out.push(HistoryEntry(i));
  return out;
}

/** Shows the prompt (on COM1 as a line of its own). */
export function ShPrompt(prompt: string): void {
  ShWrite(prompt);
  ShFlush();
}

function Repeat(s: string, n: i32): string {
  let out = "";
  for (let i = 0; i < n; i++) out += s;
  return out;
}

/** Replaces the line shown after the prompt: on the screen in place, on COM1 as a new line. */
function Redraw(prompt: string, old: string, now: string): void {
  ShWriteScreen(Repeat("\b", old.length) + Repeat(" ", old.length) + Repeat("\b", old.length) + now);
  ShWriteCom1(prompt + now + "\n");
}

/**
 * The line typed after `prompt` (already shown: ShPrompt), without its end;
 * null when there is nothing left to read from.
 */
export function ShReadLine(prompt: string): string | null {
  let s = "";
  let recall = HistoryCount; // HistoryCount: the line being typed, not a history entry
  while (true) {
    const key = ShReadKey();
    if (key == KEY_NONE) return null;
    const c = key & ~FROM_KEYBOARD;
    const wasCr = LastWasCr;
    LastWasCr = c == 0x0D;
    if (c == 0x0A && wasCr) continue; // the LF of a CR LF
    if (c == 0x0D || c == 0x0A) {
      ShWriteScreen("\r\n");
      ShWriteCom1(prompt + s + "\n");
      if (s.trim().length != 0) HistoryAdd(s);
      return s;
    }
    if (c == KEY_UP || c == KEY_DOWN) {
      const to = c == KEY_UP ? recall - 1 : recall + 1;
      if (to < 0 || to > HistoryCount) continue;
      recall = to;
      const now = recall == HistoryCount ? "" : HistoryEntry(recall);
      Redraw(prompt, s, now);
      s = now;
      continue;
    }
    if (c == 0x08 || c == 0x7F) {
      if (s.length != 0) { s = s.substring(0, s.length - 1); ShWriteScreen("\b \b"); }
      continue;
    }
    if (c == 0x03) { // Ctrl+C: the line is dropped
      ShWriteScreen("^C\r\n");
      ShWriteCom1(prompt + s + "^C\n");
      return "";
    }
    if (c < 0x20 || c > 0xFFFF || s.length >= LINE_MAX) continue;
    const ch = String.fromCharCode(c, -1);
    s += ch;
    ShWriteScreen(ch);
  }
}

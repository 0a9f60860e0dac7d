// winlogon's screen and keyboard: the session's 80x25 text screen and key
// queue, through win32k's shadow services (CONTRACTS.md section 2) once
// win32k.sys is on this system; until then every call answers "not here"
// and the logon screen is only the COM1 log lines.

/** Whether the session has a screen (win32k loaded in it). */
export let ConsoleAvailable = false;

/** Makes this session the active one and clears its screen; false without win32k. */
export function ConsoleOpen(session: u32): bool { return false; }

/** Text on the session's screen (nothing without win32k). */
export function ConsoleWrite(text: string): void {}

/** Echo of a typed key on the screen. */
export function ConsoleEcho(text: string): void { ConsoleWrite(text); }

/** The logon screen on the session's screen: a title, the computer and the prompt's place. */
export function ConsoleLogonScreen(session: u32, message: string): void {}

/** A key's character from the session's queue (key-down events only), or -1 when there is none now. */
export function ConsoleReadKey(): i32 { return -1; }

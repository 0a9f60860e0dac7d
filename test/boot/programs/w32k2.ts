// Two sessions' win32k.sys (test/boot/win32k.test.ts): the program loads the
// driver in session 0 and writes there, makes session 1 (SystemSessionCreate
// moves it in), where the shadow services are missing until it loads the
// driver again, writes a different text, makes session 1 the active one
// (the harness reads the screen), reads a key typed then, and switches back
// to session 0 from session 1 (the kernel paints session 0's buffer from one
// of session 0's processes).
import { show, put, putDec, putHex, flush, say, unicode, ms } from "./nt";
import {
  NtUserConsoleClear, NtUserConsoleWrite, NtUserGetActiveSession, NtUserReadKey, NtUserSwitchSession, KEY_EVENT_RECORD,
} from "../../../kernel/sdk/ntuser";
import { SystemExtendServiceTableInformation, SystemSessionCreate } from "../../../kernel/sdk/sysinfo";
@external("ntdll", "NtSetSystemInformation") declare function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const path = memory.data(8, 4);
const token = memory.data(4, 4);
const state = memory.data(16, 4);
const value = memory.data(4, 4);
const key = memory.data(16, 4);
const timeout = memory.data(8, 8);

function loadDriver(what: string): void {
  show(what, NtSetSystemInformation(SystemExtendServiceTableInformation, unicode(path, "\\SystemRoot\\System32\\win32k.sys"), 8));
}
function write(text: string): u32 { return NtUserConsoleWrite(changetype<usize>(text), text.length << 1); }
function active(): void {
  store<u32>(value, 0xDEAD);
  NtUserGetActiveSession(value);
  put("active "); putDec(load<u32>(value)); flush();
}

export function main(): void {
  NtOpenProcessToken(0xFFFFFFFF, 0x28, token);
  store<u32>(state, 1); store<u32>(state, 10, 4); store<u32>(state, 0, 8); store<u32>(state, 2, 12);
  show("enable SeLoadDriverPrivilege", NtAdjustPrivilegesToken(load<u32>(token), 0, state, 0, 0, 0));
  loadDriver("session 0 load");
  NtUserConsoleClear();
  show("session 0 write", write("This is session 0's screen"));
  store<u32>(value, 0);
  show("create session", NtSetSystemInformation(SystemSessionCreate, value, 4));
  put("now in session "); putDec(load<u32>(value)); flush();
  show("session 1 write before load", write("too early"));
  loadDriver("session 1 load");
  loadDriver("session 1 load again");
  active();
  show("session 1 clear", NtUserConsoleClear());
  show("session 1 write", write("Session 1 has its own screen"));
  say("session 1 written");
  show("switch to session 1", NtUserSwitchSession(1));
  active();
  say("look at session 1");
  const status = NtUserReadKey(key, ms(timeout, 20000));
  const k = changetype<KEY_EVENT_RECORD>(key);
  put("session 1 key "); putHex(status); put(" vk "); putHex(k.wVirtualKeyCode); put(" char "); putDec(k.UnicodeChar); flush();
  show("switch to session 0", NtUserSwitchSession(0));
  active();
  show("session 1 write while session 0 shows", write(" and more"));
  say("done");
}

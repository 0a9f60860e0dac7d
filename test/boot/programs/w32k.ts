// win32k.sys from ring 3 (test/boot/win32k.test.ts): shadow services before
// the driver is loaded, NtSetSystemInformation(SystemExtendServiceTableInformation)
// without and with SeLoadDriverPrivilege, malformed images, a second load, the
// screen services (the harness reads VGA text memory), and keys the harness
// types through v86's PS/2 keyboard, read with NtUserReadKey.
import { show, put, putDec, putHex, flush, say, unicode, ms } from "./nt";
import {
  NtUserConsoleClear, NtUserConsoleSetAttribute, NtUserConsoleSetCursor, NtUserConsoleWrite, NtUserGetActiveSession,
  NtUserReadKey, NtUserSwitchSession, KEY_EVENT_RECORD,
} from "../../../kernel/sdk/ntuser";
import { SystemExtendServiceTableInformation } from "../../../kernel/sdk/sysinfo";
@external("ntdll", "NtSetSystemInformation") declare function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const SE_LOAD_DRIVER_PRIVILEGE: u32 = 10;
const path = memory.data(8, 4);
const token = memory.data(4, 4);
const state = memory.data(16, 4);
const value = memory.data(4, 4);
const key = memory.data(16, 4);
const timeout = memory.data(8, 8);

function loadDriver(what: string, name: string): void {
  show(what, NtSetSystemInformation(SystemExtendServiceTableInformation, unicode(path, name), 8));
}
function write(text: string): u32 { return NtUserConsoleWrite(changetype<usize>(text), text.length << 1); }

export function main(): void {
  show("write before load", write("too early"));
  show("read key before load", NtUserReadKey(key, ms(timeout, 0)));
  loadDriver("load without privilege", "\\SystemRoot\\System32\\win32k.sys");
  show("open token", NtOpenProcessToken(0xFFFFFFFF, 0x28, token));
  store<u32>(state, 1); store<u32>(state, SE_LOAD_DRIVER_PRIVILEGE, 4); store<u32>(state, 0, 8); store<u32>(state, 2, 12);
  show("enable SeLoadDriverPrivilege", NtAdjustPrivilegesToken(load<u32>(token), 0, state, 0, 0, 0));
  show("short length", NtSetSystemInformation(SystemExtendServiceTableInformation, unicode(path, "\\SystemRoot\\System32\\win32k.sys"), 4));
  show("kernel pointer", NtSetSystemInformation(SystemExtendServiceTableInformation, 0x80100000, 8));
  loadDriver("missing file", "\\SystemRoot\\System32\\nothere.sys");
  loadDriver("bad MZ", "\\SystemRoot\\System32\\badmz.sys");
  loadDriver("bad PE signature", "\\SystemRoot\\System32\\badpe.sys");
  loadDriver("wrong machine", "\\SystemRoot\\System32\\badmachine.sys");
  loadDriver("truncated", "\\SystemRoot\\System32\\truncated.sys");
  loadDriver("bad relocation", "\\SystemRoot\\System32\\badreloc.sys");
  loadDriver("unknown import", "\\SystemRoot\\System32\\badimport.sys");
  loadDriver("other DLL", "\\SystemRoot\\System32\\baddll.sys");
  show("write after refusals", write("still too early"));
  loadDriver("load", "\\SystemRoot\\System32\\win32k.sys");
  loadDriver("load again", "\\SystemRoot\\System32\\win32k.sys");
  show("clear", NtUserConsoleClear());
  show("attribute 0x1E", NtUserConsoleSetAttribute(0x1E));
  show("write", write("Hello from session 0\nsecond line"));
  show("cursor 10,5", NtUserConsoleSetCursor(10, 5));
  show("attribute 0x07", NtUserConsoleSetAttribute(0x07));
  show("write at 10,5", write("at 10,5\ttab"));
  show("odd length", NtUserConsoleWrite(changetype<usize>("abc"), 5));
  show("kernel text", NtUserConsoleWrite(0x80100000, 8));
  show("cursor 80,0", NtUserConsoleSetCursor(80, 0));
  show("attribute 0x100", NtUserConsoleSetAttribute(0x100));
  store<u32>(value, 0xDEAD);
  show("active session", NtUserGetActiveSession(value));
  put("active is "); putDec(load<u32>(value)); flush();
  show("active session, kernel pointer", NtUserGetActiveSession(0x80100000));
  show("switch to session 7", NtUserSwitchSession(7));
  show("switch to session 0", NtUserSwitchSession(0));
  show("poll a key", NtUserReadKey(key, ms(timeout, 0)));
  show("read key, kernel pointer", NtUserReadKey(0x80100000, ms(timeout, 0)));
  say("ready for keys");
  for (let i = 0; i < 16; i++) {
    const status = NtUserReadKey(key, ms(timeout, 20000));
    if (status != 0) { show("read key", status); break; }
    const k = changetype<KEY_EVENT_RECORD>(key);
    put("key "); put(k.bKeyDown != 0 ? "down" : "up"); put(" vk "); putHex(k.wVirtualKeyCode); put(" scan "); putHex(k.wVirtualScanCode);
    put(" char "); putDec(k.UnicodeChar); put(" state "); putHex(k.dwControlKeyState); flush();
    if (k.wVirtualKeyCode == 0x0D && k.bKeyDown == 0) break;
  }
  say("done");
}

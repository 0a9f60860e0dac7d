// winsrv's two server DLLs inside csrss, a subset a native or console
// client uses (API numbers as Server 2003's, kernel/sdk/csr.ts):
//
//   CONSRV (2, from 512): the console is the session's win32k screen (the
//   shadow services of kernel/sdk/ntuser.ts, called from csrss's own thread,
//   which is in the session):
//     ConsolepWriteConsole       the text (static buffer, or captured; ANSI or
//                                Unicode) at the session's cursor; NumBytes back
//     ConsolepSetTextAttribute   the attribute of later writes (0-0xFF)
//     ConsolepSetCursorPosition  the cursor (0-79, 0-24)
//     ConsolepGetTitle, ConsolepSetTitle  the console's title (one per csrss)
//   USERSRV (3, from 1024):
//     UserpRegisterLogonProcess  the caller is the session's logon process
//                                (one; a second from another live client:
//                                STATUS_ACCESS_DENIED)
//     UserpExitWindowsEx         EWX_LOGOFF: every other client of csrss ends
//                                (STATUS_SYSTEM_SHUTDOWN), and every process a client
//                                told csrss of (BasepCreateProcess), but the logon process;
//                                EWX_SHUTDOWN / EWX_REBOOT / EWX_POWEROFF:
//                                NtShutdownSystem (csrss enables its
//                                SeShutdownPrivilege) if the caller's token
//                                has SeShutdownPrivilege enabled (NtOpenProcess,
//                                NtOpenProcessToken, NtQueryInformationToken
//                                (TokenPrivileges)), as ExitWindowsEx documents;
//                                else STATUS_PRIVILEGE_NOT_HELD
// Every other API of these servers answers STATUS_NOT_IMPLEMENTED; a number
// outside a server's range STATUS_ILLEGAL_FUNCTION (csrapi.ts decides).
// A console write is on COM1 too (`csrss: session <n>: console: <text>`),
// so a headless run sees it; without win32k in the session it is only there.

import {
  NtClose, NtOpenProcess, NtTerminateProcess, RtlAdjustPrivilege, CsrpAttributes, put, putDec, putWide, flush, CSR_LINE_BYTES,
  STATUS_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_ACCESS_DENIED, STATUS_NOT_IMPLEMENTED,
} from "./csrutil";
import { CsrSessionId } from "./csrss";
import { InitializeObjectAttributes } from "../../../kernel/sdk/ntdef";
import { CsrBaseProcessAt, CsrBaseProcessIdAt } from "./csrapi";
import { NtUserConsoleWrite, NtUserConsoleSetAttribute, NtUserConsoleSetCursor } from "../../../kernel/sdk/ntuser";
import {
  ConsolepWriteConsole, ConsolepSetTextAttribute, ConsolepSetCursorPosition, ConsolepGetTitle, ConsolepSetTitle, UserpExitWindowsEx,
  UserpRegisterLogonProcess, CONSOLE_WRITECONSOLE_STATIC_BUFFER, CONSOLE_WRITECONSOLE_BUFFER, CONSOLE_WRITECONSOLE_NUM_BYTES,
  CONSOLE_WRITECONSOLE_USING_STATIC_BUFFER, CONSOLE_WRITECONSOLE_UNICODE, CONSOLE_WRITECONSOLE_STATIC_BYTES, CONSOLE_SETTEXTATTRIB_ATTRIBUTES,
  CONSOLE_SETCURSORPOSITION_POSITION, CONSOLE_TITLE_LENGTH, CONSOLE_TITLE_TITLE, CONSOLE_TITLE_UNICODE, EXITWINDOWSEX_LAST_ERROR,
  EXITWINDOWSEX_FLAGS, EXITWINDOWSEX_SUCCESS, EWX_SHUTDOWN, EWX_REBOOT, EWX_POWEROFF,
} from "../../../kernel/sdk/csr";
import { STATUS_SYSTEM_SHUTDOWN, STATUS_PRIVILEGE_NOT_HELD } from "../../../kernel/sdk/ntstatus";

@external("ntdll", "NtShutdownSystem") declare function NtShutdownSystem(action: u32): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtQueryInformationToken") declare function NtQueryInformationToken(token: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32;

const PROCESS_TERMINATE: u32 = 0x0001;
const SE_SHUTDOWN_PRIVILEGE: u32 = 19;
const MAX_WRITE: u32 = 0x2000; // bytes of one console write
const TITLE_CHARS: u32 = 256;

const line = memory.data(CSR_LINE_BYTES, 4);
const wide = memory.data(MAX_WRITE * 2, 2);
const title = memory.data(TITLE_CHARS * 2, 2);
let titleChars: u32 = 0;
const oa = memory.data(24, 4), cid = memory.data(8, 4), handle = memory.data(4, 4), enabled = memory.data(4, 4);
const tokenHandle = memory.data(4, 4), returned = memory.data(4, 4);
const privileges = memory.data(4 + 12 * 40, 4);
const TOKEN_QUERY: u32 = 0x0008, PROCESS_QUERY_INFORMATION: u32 = 0x0400, TokenPrivileges: u32 = 3, SE_PRIVILEGE_ENABLED: u32 = 2;

/** Whether process `pid`'s primary token has privilege `luid` enabled (NtQueryInformationToken, TokenPrivileges). */
function CsrCallerHasPrivilege(pid: u32, luid: u32): bool {
  store<u32>(cid, pid); store<u32>(cid, 0, 4);
  InitializeObjectAttributes(oa, 0, 0, 0, 0);
  if (NtOpenProcess(handle, PROCESS_QUERY_INFORMATION, oa, cid) != STATUS_SUCCESS) return false;
  const process = load<u32>(handle);
  const opened = NtOpenProcessToken(process, TOKEN_QUERY, tokenHandle);
  NtClose(process);
  if (opened != STATUS_SUCCESS) return false;
  const token = load<u32>(tokenHandle);
  const status = NtQueryInformationToken(token, TokenPrivileges, privileges, 4 + 12 * 40, returned);
  NtClose(token);
  if (status != STATUS_SUCCESS) return false;
  const count = load<u32>(privileges);
  for (let i: u32 = 0; i < count && i < 40; i++) {
    const e = privileges + 4 + i * 12;
    if (load<u32>(e) == luid && load<u32>(e, 4) == 0) return (load<u32>(e, 8) & SE_PRIVILEGE_ENABLED) != 0;
  }
  return false;
}

/** The session's logon process (UserpRegisterLogonProcess), by id. */
let CsrLogonProcessId: u32 = 0;


/**
 * A console API. `data` is the message's data, `inCapture(p, n)` says
 * whether [p, p+n) lies in the request's validated capture buffer.
 */
export function CsrConsoleApi(pid: u32, api: u32, data: usize, inCapture: (p: usize, n: u32) => bool): u32 {
  if (api == ConsolepWriteConsole) {
    const bytes = load<u32>(data + CONSOLE_WRITECONSOLE_NUM_BYTES);
    const unicode = load<u8>(data + CONSOLE_WRITECONSOLE_UNICODE) != 0;
    const fromStatic = load<u8>(data + CONSOLE_WRITECONSOLE_USING_STATIC_BUFFER) != 0;
    const source = fromStatic ? data + CONSOLE_WRITECONSOLE_STATIC_BUFFER : load<usize>(data + CONSOLE_WRITECONSOLE_BUFFER);
    if (bytes > MAX_WRITE || (unicode && (bytes & 1) != 0)) return STATUS_INVALID_PARAMETER;
    if (fromStatic ? bytes > CONSOLE_WRITECONSOLE_STATIC_BYTES : (bytes != 0 && !inCapture(source, bytes))) return STATUS_INVALID_PARAMETER;
    const chars = unicode ? bytes >> 1 : bytes;
    for (let i: u32 = 0; i < chars; i++) store<u16>(wide + (i << 1), unicode ? load<u16>(source + (i << 1)) : <u16>load<u8>(source + i));
    const shown = chars != 0 ? NtUserConsoleWrite(wide, chars << 1) : STATUS_SUCCESS;
    put(line, "session "); putDec(line, CsrSessionId); put(line, ": console (process "); putDec(line, pid); put(line, "): ");
    for (let i: u32 = 0; i < chars; i++) { const c = load<u16>(wide + (i << 1)); if (c >= 0x20) putWide(line, wide + (i << 1), 1); }
    if (shown != STATUS_SUCCESS) put(line, " (not on the screen: win32k is not loaded in this session)");
    flush(line);
    store<u32>(data + CONSOLE_WRITECONSOLE_NUM_BYTES, bytes);
    return STATUS_SUCCESS;
  }
  if (api == ConsolepSetTextAttribute) return NtUserConsoleSetAttribute(<u32>load<u16>(data + CONSOLE_SETTEXTATTRIB_ATTRIBUTES));
  if (api == ConsolepSetCursorPosition) {
    return NtUserConsoleSetCursor(<u32>load<u16>(data + CONSOLE_SETCURSORPOSITION_POSITION), <u32>load<u16>(data + CONSOLE_SETCURSORPOSITION_POSITION + 2));
  }
  if (api == ConsolepSetTitle || api == ConsolepGetTitle) {
    const length = load<u32>(data + CONSOLE_TITLE_LENGTH), text = load<usize>(data + CONSOLE_TITLE_TITLE);
    if (load<u8>(data + CONSOLE_TITLE_UNICODE) == 0 || (length & 1) != 0 || (length != 0 && !inCapture(text, length))) return STATUS_INVALID_PARAMETER;
    if (api == ConsolepSetTitle) {
      if (length > TITLE_CHARS * 2) return STATUS_INVALID_PARAMETER;
      memory.copy(title, text, length);
      titleChars = length >> 1;
      return STATUS_SUCCESS;
    }
    const n = (titleChars << 1) < length ? titleChars << 1 : length;
    memory.copy(text, title, n);
    store<u32>(data + CONSOLE_TITLE_LENGTH, titleChars << 1); // the title's whole length (a longer one is cut in the buffer)
    return STATUS_SUCCESS;
  }
  return STATUS_NOT_IMPLEMENTED;
}

/**
 * A user server API. `isClient(pid)` says whether that process is still
 * connected; `clientAt(i)` is the i-th client entry's process id (0 for a
 * free entry, 0xFFFFFFFF past the table).
 */
export function CsrUserApi(pid: u32, api: u32, data: usize, isClient: (pid: u32) => bool, clientAt: (i: u32) => u32): u32 {
  if (api == UserpRegisterLogonProcess) {
    const who = load<u32>(data);
    if (who != pid) return STATUS_INVALID_PARAMETER; // a process registers itself
    if (CsrLogonProcessId != 0 && CsrLogonProcessId != pid && isClient(CsrLogonProcessId)) return STATUS_ACCESS_DENIED;
    CsrLogonProcessId = pid;
    put(line, "session "); putDec(line, CsrSessionId); put(line, ": process "); putDec(line, pid); put(line, " is the logon process"); flush(line);
    return STATUS_SUCCESS;
  }
  if (api == UserpExitWindowsEx) {
    const flags = load<u32>(data + EXITWINDOWSEX_FLAGS);
    store<u32>(data + EXITWINDOWSEX_SUCCESS, 0);
    if ((flags & (EWX_SHUTDOWN | EWX_REBOOT | EWX_POWEROFF)) != 0) {
      const action: u32 = (flags & EWX_POWEROFF) != 0 ? 2 : (flags & EWX_REBOOT) != 0 ? 1 : 0; // ShutdownPowerOff, ShutdownReboot, ShutdownNoReboot
      if (!CsrCallerHasPrivilege(pid, SE_SHUTDOWN_PRIVILEGE)) {
        put(line, "session "); putDec(line, CsrSessionId); put(line, ": ExitWindowsEx from process "); putDec(line, pid);
        put(line, " refused: its token does not have SeShutdownPrivilege enabled"); flush(line);
        store<u32>(data + EXITWINDOWSEX_LAST_ERROR, STATUS_PRIVILEGE_NOT_HELD);
        return STATUS_PRIVILEGE_NOT_HELD;
      }
      put(line, "session "); putDec(line, CsrSessionId); put(line, ": ExitWindowsEx from process "); putDec(line, pid);
      put(line, action == 2 ? ": power off" : action == 1 ? ": reboot" : ": shut down"); flush(line);
      RtlAdjustPrivilege(SE_SHUTDOWN_PRIVILEGE, true, false, enabled);
      const status = NtShutdownSystem(action); // returns only when it fails
      store<u32>(data + EXITWINDOWSEX_LAST_ERROR, status);
      return status;
    }
    // Log-off: every client but the caller and the logon process.
    let ended: u32 = 0;
    for (let i: u32 = 0; ; i++) {
      const other = clientAt(i);
      if (other == 0xFFFFFFFF) break;
      if (other == 0 || other == pid || other == CsrLogonProcessId) continue;
      store<u32>(cid, other); store<u32>(cid, 0, 4);
      CsrpAttributes(oa, 0, 0);
      if (NtOpenProcess(handle, PROCESS_TERMINATE, oa, cid) != STATUS_SUCCESS) continue;
      if (NtTerminateProcess(load<u32>(handle), STATUS_SYSTEM_SHUTDOWN) == STATUS_SUCCESS) ended++;
      NtClose(load<u32>(handle));
    }
    // And the processes clients made and told csrss of (BasepCreateProcess), even before they connect.
    for (let i: u32 = 0; ; i++) {
      const process = CsrBaseProcessAt(i);
      if (process == 0xFFFFFFFF) break;
      const other = CsrBaseProcessIdAt(i);
      if (process == 0 || other == pid || other == CsrLogonProcessId || isClient(other)) continue; // clients were ended above
      if (NtTerminateProcess(process, STATUS_SYSTEM_SHUTDOWN) == STATUS_SUCCESS) ended++;
    }
    put(line, "session "); putDec(line, CsrSessionId); put(line, ": ExitWindowsEx (log-off) from process "); putDec(line, pid); put(line, ": ");
    putDec(line, ended); put(line, " processes ended"); flush(line);
    store<u32>(data + EXITWINDOWSEX_SUCCESS, 1);
    return STATUS_SUCCESS;
  }
  return STATUS_NOT_IMPLEMENTED;
}

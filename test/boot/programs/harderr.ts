// Hard errors from ring 3 (kernel/ex/harderr.ts): one nobody handles is
// logged and answered ResponseReturnToCaller; NT's argument checks and
// hostile pointers get their statuses; OptionShutdownSystem needs
// SeShutdownPrivilege enabled; with it (enabled the way smss's
// RtlAdjustPrivilege does), STATUS_SYSTEM_PROCESS_TERMINATED stops the
// system with Windows' text. Every line is "what status response".
import { show, put, putHex, flush, unicode } from "./nt";
import { InitializeCountedString } from "../../../kernel/sdk/ntdef";
@external("ntdll", "NtRaiseHardError") declare function NtRaiseHardError(status: u32, count: u32, mask: u32, parameters: usize, options: u32, response: usize): u32;
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;

const OptionOk: u32 = 1, OptionYesNo: u32 = 4, OptionShutdownSystem: u32 = 6, OptionOkNoWait: u32 = 7, OptionCancelTryContinue: u32 = 8;
const params = memory.data(32, 4);
const response = memory.data(4, 4);
const dll = memory.data(8, 4);
const who = memory.data(8, 4);
const bad = memory.data(8, 4);
const token = memory.data(4, 4);
const state = memory.data(16, 4);

function raise(what: string, status: u32, count: u32, mask: u32, parameters: usize, options: u32, resp: usize): void {
  store<u32>(response, 0xDEAD);
  const s = NtRaiseHardError(status, count, mask, parameters, options, resp);
  put(what); put(" "); putHex(s); put(" response "); putHex(load<u32>(response)); flush();
}

export function main(): void {
  // STATUS_DLL_NOT_FOUND, as ntdll's loader raises it: one string parameter.
  store<u32>(params, <u32>unicode(dll, "missing.dll"));
  raise("dll not found", 0xC0000135, 1, 1, params, OptionOk, response);
  // Numbers only, a status we have no text for.
  store<u32>(params, 0x11); store<u32>(params, 0x22, 4);
  raise("numbers", 0xC0000001, 2, 0, params, OptionOk, response);
  raise("no parameters", 0x40000000, 0, 0, 0, OptionOk, response);
  // Whatever buttons it offers, nobody answers: ResponseReturnToCaller.
  raise("yes or no", 0xC0000022, 0, 0, 0, OptionYesNo, response);
  raise("ok, no wait", 0x80000005, 0, 0, 0, OptionOkNoWait, response);
  raise("cancel, try again, continue", 0xC0000001, 0, 0, 0, OptionCancelTryContinue, response);
  // NT's argument checks, in its order.
  raise("six parameters", 0xC0000135, 6, 0, params, OptionOk, response);
  raise("parameters without count", 0xC0000135, 0, 0, params, OptionOk, response);
  raise("bad option", 0xC0000135, 0, 0, 0, 9, response);
  raise("kernel response", 0xC0000135, 0, 0, 0, OptionOk, 0x80000000);
  raise("unmapped parameters", 0xC0000135, 1, 0, 0x00001000, OptionOk, response);
  store<u32>(params, 0x80100000);
  raise("kernel string", 0xC0000135, 1, 1, params, OptionOk, response);
  InitializeCountedString(bad, 0xC0000000, 8, 8);
  store<u32>(params, <u32>bad);
  raise("kernel string buffer", 0xC0000135, 1, 1, params, OptionOk, response);
  // The shutdown option needs the privilege enabled (the System token has it, disabled).
  store<u32>(params, <u32>unicode(who, "Session Manager Initialization"));
  store<u32>(params, 0xC000003A, 4); store<u32>(params, 0, 8); store<u32>(params, 0, 12);
  raise("shutdown without privilege", 0xC000021A, 4, 1, params, OptionShutdownSystem, response);
  show("open token", NtOpenProcessToken(0xFFFFFFFF, 0x28, token));
  store<u32>(state, 1); store<u32>(state, 19, 4); store<u32>(state, 0, 8); store<u32>(state, 2, 12); // SeShutdownPrivilege enabled
  show("enable shutdown privilege", NtAdjustPrivilegesToken(load<u32>(token), 0, state, 0, 0, 0));
  raise("shutdown with a success status", 0x40000000, 4, 1, params, OptionShutdownSystem, response);
  raise("system process terminated", 0xC000021A, 4, 1, params, OptionShutdownSystem, response);
  show("still running after the shutdown hard error", 0);
}

// holdrun.exe FILE IMAGE [ARGS...]: opens FILE (an NT path) and, while it
// holds it open, runs IMAGE with the command line "IMAGE ARGS..." and waits
// for it; then closes FILE. autochk's test runs `autochk /r \??\C:` this
// way: the volume has an open file, so its lock must be refused.
//
//   holdrun: open <status>          (log lines: the process is holdrun)
//   holdrun: exit <status of IMAGE>

import { put, putHex, flush } from "../../pe/programs/out";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { ProcessBasicInformation, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { RTL_USER_PROCESS_INFORMATION } from "../../../kernel/sdk/sm";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";

@external("ntdll", "NtOpenFile") declare function NtOpenFile(file: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;
@external("ntdll", "NtResumeThread") declare function NtResumeThread(thread: u32, previous: usize): u32;
@external("ntdll", "NtWaitForSingleObject") declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtQueryInformationProcess") declare function NtQueryInformationProcess(process: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "RtlCreateProcessParameters") declare function RtlCreateProcessParameters(result: usize, image: usize, dllPath: usize, currentDirectory: usize,
  commandLine: usize, environment: usize, title: usize, desktop: usize, shell: usize, runtime: usize): u32;
@external("ntdll", "RtlDestroyProcessParameters") declare function RtlDestroyProcessParameters(params: usize): u32;
@external("ntdll", "RtlCreateUserProcess") declare function RtlCreateUserProcess(image: usize, attributes: u32, params: usize, processSd: usize, threadSd: usize,
  parent: u32, inherit: bool, debugPort: u32, exceptionPort: u32, info: usize): u32;

const file = memory.data(8, 4), image = memory.data(8, 4), command = memory.data(8, 4);
const oa = memory.data(24, 4), iosb = memory.data(8, 4), handle = memory.data(4, 4), params = memory.data(4, 4);
const info = memory.data(<i32>offsetof<RTL_USER_PROCESS_INFORMATION>(), 4), pbi = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
const imageText = memory.data(520, 4);

function setString(s: usize, buffer: usize, bytes: u32): void { InitializeCountedString(s, buffer, bytes, bytes); }

/** The next word of the `count` WCHARs at `text` from WCHAR `at`: its start; `end` gets its end. */
let end: u32 = 0;
function word(text: usize, count: u32, at: u32): u32 {
  while (at < count && load<u16>(text + (at << 1)) == 0x20) at++;
  end = at;
  while (end < count && load<u16>(text + (end << 1)) != 0x20) end++;
  return at;
}

export function main(): void {
  const p = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  const text = changetype<RTL_USER_PROCESS_PARAMETERS>(p).CommandLine_Buffer, count = <u32>changetype<RTL_USER_PROCESS_PARAMETERS>(p).CommandLine_Length >> 1;
  word(text, count, 0);                     // holdrun.exe itself
  const f = word(text, count, end);
  setString(file, text + (f << 1), (end - f) << 1);
  const i = word(text, count, end);
  const imageEnd = end;
  InitializeObjectAttributes(oa, file, OBJ_CASE_INSENSITIVE, 0, 0);
  const status = NtOpenFile(handle, 0x80100000 /* GENERIC_READ | SYNCHRONIZE */, oa, iosb, 7, 0x60);
  put("open "); putHex(status); flush();
  // The image path as its own string; the command line from the image on.
  memory.copy(imageText, text + (i << 1), (imageEnd - i) << 1);
  setString(image, imageText, (imageEnd - i) << 1);
  setString(command, text + (i << 1), (count - i) << 1);
  let result = RtlCreateProcessParameters(params, image, 0, 0, command, 0, 0, 0, 0, 0);
  if (result == 0) {
    result = RtlCreateUserProcess(image, 0x40, load<usize>(params), 0, 0, 0, false, 0, 0, info);
    RtlDestroyProcessParameters(load<usize>(params));
  }
  if (result == 0) {
    const process = changetype<RTL_USER_PROCESS_INFORMATION>(info).ProcessHandle, thread = changetype<RTL_USER_PROCESS_INFORMATION>(info).ThreadHandle;
    NtResumeThread(thread, 0);
    NtWaitForSingleObject(process, 0, 0);
    NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
    result = changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus;
    NtClose(thread);
    NtClose(process);
  }
  put("exit "); putHex(result); flush();
  if (status == 0) NtClose(load<u32>(handle));
}

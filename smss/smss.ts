// smss.exe, the Session Manager: the first user process, started by the
// kernel from \SystemRoot\System32\smss.exe (kernel/ps/psinit.ts) and loaded
// by ntdll.dll's LdrInitializeThunk like every native program.
//
// What it does today: it says it is running, with its command line and the
// DLL path it was given (the process parameters the kernel wrote), then
// waits for ever, as the Session Manager never ends. The Session Manager's
// own work (SMSS.md: DOS devices, BootExecute, renames, KnownDlls, paging
// files, the environment, the sessions) comes with its own issue.

@external("ntdll", "NtDisplayString") declare function NtDisplayString(text: usize): u32;
@external("ntdll", "NtDelayExecution") declare function NtDelayExecution(alertable: u32, interval: usize): u32;
@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;
@external("ntdll", "RtlAppendUnicodeStringToString") declare function RtlAppendUnicodeStringToString(destination: usize, source: usize): u32;

const PEB_PROCESS_PARAMETERS: u32 = 0x10;
const P_DLLPATH: u32 = 0x30, P_COMMANDLINE: u32 = 0x40;

const line = memory.data(8, 4);
const buffer = memory.data(512, 2);
const forever = memory.data<u64>([0x8000000000000000]); // the longest relative interval: -2^63 x 100 ns

/** A log line (named after the process): text + the UNICODE_STRING `value` (when not 0). */
function say(text: string, value: usize): void {
  const n = text.length < 200 ? text.length : 200;
  for (let i = 0; i < n; i++) store<u16>(buffer + (i << 1), <u16>text.charCodeAt(i));
  store<u16>(line, <u16>(n << 1)); store<u16>(line, 512, 2); store<usize>(line, buffer, 4);
  if (value != 0) RtlAppendUnicodeStringToString(line, value); // when it fits
  NtDisplayString(line);
}

export function main(): void {
  const params = load<usize>(RtlGetCurrentPeb() + PEB_PROCESS_PARAMETERS);
  say("Session Manager running, command line: ", params != 0 ? params + P_COMMANDLINE : 0);
  if (params != 0) say("DLL path: ", params + P_DLLPATH);
  while (true) NtDelayExecution(0, forever);
}

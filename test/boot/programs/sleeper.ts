// A harmless native program that does nothing but wait, forever: the shell
// tools' test plants it as a fake smss.exe outside System32 (the malware
// pattern tlist marks), starts it from the shell, and kills it. It logs
// nothing, so no line carries the name it is given.

@external("ntdll", "NtDelayExecution") declare function NtDelayExecution(alertable: u32, interval: usize): u32;

const interval = memory.data<i64>([-10000000 * 3600]); // an hour at a time

export function main(): void {
  while (true) NtDelayExecution(0, interval);
}

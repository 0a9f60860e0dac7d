// The smallest linked native program: one line through ntdll.dll, then the
// linker's NtProcessStartup ends the process (status 0). The bench makes
// processes from it (scripts/bench.ts).
@external("ntdll", "NtDisplayString") declare function NtDisplayString(text: usize): u32;
const ustr = memory.data(8, 4);
export function main(): void {
  const s = "quick";
  store<u16>(ustr, <u16>(s.length << 1)); store<u16>(ustr, <u16>(s.length << 1), 2); store<usize>(ustr, changetype<usize>(s), 4);
  NtDisplayString(ustr);
}

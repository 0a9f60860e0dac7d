// Output for the PE test programs: a line built piece by piece and shown
// with ntdll.dll's NtDisplayString (a log line named after the process).

@external("ntdll", "NtDisplayString") export declare function NtDisplayString(text: usize): u32;

const line = memory.data(1024, 4), ustr = memory.data(8, 4);
let length: u32 = 0;

export function put(s: string): void {
  for (let i = 0; i < s.length && length < 500; i++) { store<u16>(line + (length << 1), <u16>s.charCodeAt(i)); length++; }
}
/** Appends `bytes` of WCHARs from `p`. */
export function putWide(p: usize, bytes: u32): void {
  for (let i: u32 = 0; i < bytes && length < 500; i += 2) { store<u16>(line + (length << 1), load<u16>(p + i)); length++; }
}
/** Appends a UNICODE_STRING's text. */
export function putString(u: usize): void { putWide(load<usize>(u, 4), <u32>load<u16>(u)); }
export function putHex(v: u32): void {
  put("0x");
  for (let i = 28; i >= 0; i -= 4) { const d = (v >>> <u32>i) & 15; store<u16>(line + (length << 1), <u16>(d < 10 ? 48 + d : 55 + d)); length++; }
}
export function putDec(v: i64): void {
  if (v < 0) { put("-"); v = -v; }
  if (v >= 10) putDec(v / 10);
  store<u16>(line + (length << 1), <u16>(48 + <i32>(v % 10))); length++;
}
/** Shows the line and starts a new one. */
export function flush(): void {
  store<u16>(ustr, <u16>(length << 1)); store<u16>(ustr, <u16>(length << 1), 2); store<usize>(ustr, line, 4);
  NtDisplayString(ustr);
  length = 0;
}

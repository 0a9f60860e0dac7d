// Fixture for test/pe/varargs.test.ts: varargs.ts with every argument
// passed, so nothing reads `~argumentsLength`.
export function decimal(value: u32): string {
  let s = "";
  do { s = String.fromCharCode(<i32>(48 + value % 10), -1) + s; value /= 10; } while (value != 0);
  return s;
}

export function upper(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) { const c = text.charCodeAt(i); out += String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c, -1); }
  return out;
}

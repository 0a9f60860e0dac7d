// Fixture for test/pe/varargs.test.ts: `decimal` and `upper` leave out
// String.fromCharCode's optional second argument, so AssemblyScript passes the
// argument count through its module-wide `~argumentsLength`, read by
// `fromCharCode@varargs` (as smss and the System32 programs did).
export function decimal(value: u32): string {
  let s = "";
  do { s = String.fromCharCode(<i32>(48 + value % 10)) + s; value /= 10; } while (value != 0);
  return s;
}

export function upper(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) { const c = text.charCodeAt(i); out += String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c); }
  return out;
}

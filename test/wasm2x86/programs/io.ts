// Output for the differential test programs: bytes to COM1 (port 0x3F8) and
// the end of the run through port 0xF4. In Node the test supplies these
// intrinsics in JavaScript; in v86 they are real port writes.

@external("kernel", "outb") declare function outb(port: u32, value: u32): void;

export function putc(c: u32): void { outb(0x3F8, c); }

export function puts(s: string): void {
  for (let i = 0; i < s.length; i++) putc(<u32>s.charCodeAt(i));
}

export function putHex(x: u32): void {
  for (let i = 28; i >= 0; i -= 4) {
    const d = (x >>> <u32>i) & 15;
    putc(d < 10 ? 48 + d : 87 + d);
  }
}

export function putU64(x: u64): void {
  if (x >= 10) putU64(x / 10);
  putc(<u32>(x % 10) + 48);
}

export function putI64(x: i64): void {
  if (x < 0) { putc(45); putU64(<u64>(-x)); } else putU64(<u64>x);
}

export function line(label: string, x: u32): void { puts(label); putc(61); putHex(x); putc(10); }

/** Marks for the benchmark: the harness records the guest instruction counter at each write. */
export function mark(n: u32): void { outb(0xF5, n); }

export function exit(code: u32): void { outb(0xF4, code); }

/** AssemblyScript's abort (bounds checks, assertions): print where, then end with code 0xAB. */
export function progAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  puts('abort: ');
  if (message !== null) puts(message);
  putc(10);
  exit(0xAB);
}

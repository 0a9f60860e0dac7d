// A native program for the PE linker tests (scripts/pe/link.ts): static
// strings and arrays (pointers inside the data), a switch (a jump table), an
// indirect call (the function table), the heap (memory.grow), and three
// ntdll services.

@external("ntdll", "NtDisplayString") declare function NtDisplayString(string: usize): u32;
@external("ntdll", "NtQuerySystemTime") declare function NtQuerySystemTime(time: usize): u32;
@external("ntdll", "NtClose") declare function NtClose(handle: u32): u32;

const WORDS: StaticArray<string> = ["zero", "one", "two", "three"];
const ustr = memory.data(8, 4);
let calls: u32 = 0;

function show(s: string): u32 {
  calls++;
  store<u16>(ustr, <u16>(s.length << 1));
  store<u16>(ustr, <u16>(s.length << 1), 2);
  store<usize>(ustr, changetype<usize>(s), 4);
  return NtDisplayString(ustr);
}

function kind(n: i32): string {
  switch (n) {
    case 0: return "none";
    case 1: return "one";
    case 2: return "pair";
    case 3: return "few";
    case 4: return "some";
    default: return "many";
  }
}

function twice(x: i32): i32 { return x * 2; }
function square(x: i32): i32 { return x * x; }

export function main(): void {
  const time = memory.data(8, 8);
  NtQuerySystemTime(time);
  for (let i = 0; i < WORDS.length; i++) show(WORDS[i]);
  show(kind(<i32>(load<u32>(time) & 7)));
  const ops: Array<(x: i32) => i32> = [twice, square];
  const buffer = new ArrayBuffer(100000);
  store<i32>(changetype<usize>(buffer), ops[<i32>(load<u32>(time) & 1)](7));
  NtClose(<u32>calls);
}

// Stack switching with the toolchain's swap_context: a worker "thread" on its
// own stack ping-pongs with main, keeping its locals and callee-saved state
// across switches; its own stack limit makes deep recursion trap there.
// x86 only (swap_context has no WebAssembly equivalent).
import { puts, putc, exit, line } from './io';

@external("kernel", "swap_context") declare function swap_context(saveEspAt: usize, newEsp: usize, newStackLimit: usize): void;
@external("kernel", "func_address") declare function func_address(slot: u32): usize;

const STACK: usize = 16384;
const stackA = memory.data(<i32>STACK, 16);
const mainSp = memory.data(8);
const workerSp = memory.data(8);
let shared: u32 = 0;
let depth: u32 = 0;

function toMain(): void { swap_context(workerSp, load<usize>(mainSp), 0); }
function toWorker(): void { swap_context(mainSp, load<usize>(workerSp), stackA + 4096); }

function deep(n: u32): u32 { depth = n; return n == 0 ? 0 : deep(n + 1) + 1; }

function worker(): void {
  let local: u32 = 7;
  for (let i: u32 = 0; i < 3; i++) {
    puts('worker '); putc(48 + i); putc(10);
    local = local * 3 + i;
    shared += 10;
    toMain();
  }
  line('worker local', local);
  deep(1); // runs out of its 16 KiB stack: the trap handler reports it
}

function finished(): void { puts('worker returned\n'); exit(3); }

export function trap(code: u32, address: usize): void {
  line('trap', code);
  line('deep enough', depth > 100 && depth < 2000 ? 1 : 0);
  exit(0);
}

// An indirect call keeps the function table (and the slots func_address reads):
// binaryen drops a table that nothing calls through.
const never: () => void = finished;

export function main(magic: u32, info: usize): void {
  if (magic == 0x12345678) never();
  const top = stackA + STACK;
  const sp = top - 36;
  memory.fill(sp, 0, 36);
  store<usize>(sp, func_address(load<u32>(changetype<usize>(worker))), 16);
  store<usize>(sp, func_address(load<u32>(changetype<usize>(finished))), 32);
  store<usize>(workerSp, sp);
  let mine: u32 = 100;
  for (let i: u32 = 0; i < 4; i++) {
    puts('main '); putc(48 + i); putc(10);
    mine += i;
    toWorker();
    line('shared', shared);
  }
  line('main local', mine);
  exit(1);
}

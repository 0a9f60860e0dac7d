// Golden listings: small functions whose x86 shows that an optimisation fires
// (address folding, loop rotation, compare-and-branch fusion). Each
// golden/NAME.wat has its expected listing in golden/NAME.lst, in the style of
// build/ntoskrnl.lst (every instruction, the wasm instruction it came from
// after `;`). A change in the selected code shows here as a diff; if the new
// code is intended, `UPDATE_GOLDEN=1 npx vitest run test/wasm2x86/golden.test.ts`
// rewrites the .lst files (review the diff). Besides the whole text, each case
// asserts the line that proves its optimisation.

import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { compileModule } from '../../scripts/wasm2x86/index.ts';
import { formatInsn } from '../../scripts/wasm2x86/emit.ts';

const DIR = join(import.meta.dirname, 'golden');

async function listing(file: string): Promise<string> {
  const w = await (wabtInit as any)();
  const m = w.parseWat(file, readFileSync(join(DIR, file), 'utf8'), {});
  let bytes: Uint8Array;
  try { m.resolveNames(); bytes = new Uint8Array(m.toBinary({ write_debug_names: true }).buffer); } finally { m.destroy(); }
  const c = compileModule(bytes, { name: file, trapHandler: 'trap', intrinsics: false, dump: true, stackLimit: 'limit' });
  const lines: string[] = [];
  for (const [name, ex] of c.exports) {
    if (ex.kind !== 'func') continue;
    const start = c.insns.findIndex((i) => i.op === 'label' && i.target === ex.label);
    lines.push(`==== ${name}`);
    for (let k = start; k < c.insns.length; k++) {
      const i = c.insns[k];
      if (k > start && i.op === 'align') break;
      const text = i.op === 'label' ? formatInsn(i) : `    ${formatInsn(i)}`;
      lines.push(i.note ? `${text.padEnd(44)} ; ${i.note}` : text);
    }
  }
  return lines.join('\n') + '\n';
}

const CASES: Record<string, Array<{ fn: string; proves: RegExp; absent?: RegExp }>> = {
  'address-folding': [
    // (The parameters, each used twice, stay in memory: PARAM_MIN_WEIGHT.)
    { fn: 'element', proves: /mov \w+, dword \[(\w+)\+(\w+)\*4\+0x8\][\s\S]*mov \w+, dword \[\w+\+\w+\*4\]/, absent: /^\s+(shl|add) \w+, 0x2$/m },
    { fn: 'header', proves: /movzx \w+, word \[\w+-0x10\][^\n]*\n[^\n]*\n\s+movzx \w+, byte \[\w+-0xd\]/, absent: /^\s+sub (?!esp)/m },
  ],
  'locals-init': [
    // $x (esi) is set on both arms, $y (edi) only on one: only $y is zeroed.
    { fn: 'arms', proves: /xor edi, edi\n/, absent: /(mov esi, 0|xor esi, esi)\n/ },
    // Every path out of the block has set $x; $y is never read: no zeroing at all.
    { fn: 'exits', proves: /mov esi, 1 /, absent: /, 0\n|xor (\w+), \1\n/ },
    // Both loop locals are read before their first write: both zeroed.
    { fn: 'loop', proves: /xor esi, esi\n\s+xor edi, edi\n/ },
  ],
  'frame': [
    // A leaf with a small frame: no stack check; its registers pushed; nothing below them, so popped;
    // no ebp either (frame.ts espFrame): the parameters from esp, above the three pushes.
    { fn: 'sum', proves: /^f0:\n\s+push ebx\n\s+push esi\n\s+push edi\n\s+mov edx, dword \[esp\+0x14\][\s\S]*f0\$ret:\n\s+pop edi\n\s+pop esi\n\s+pop ebx\n\s+ret 8\n/m, absent: /limit|leave|ebp|sub esp|jmp f0\$L0/ },
    // Its caller's whole tree is small: no check either; nothing in memory below ebp: no `sub esp`.
    { fn: 'caller', proves: /^f1:\n\s+push ebp\n\s+mov ebp, esp\n\s+push 0x10/m, absent: /limit|sub esp/ },
    // A recursive function keeps the check; the next one's jb goes to its jb (2 bytes, not 6).
    { fn: 'down', proves: /^f2:\n\s+cmp esp, dword \[limit\]\nf2\$stackcheck:\n\s+jb __rt_stacktrap\n/m },
    { fn: 'down2', proves: /^f3:\n\s+cmp esp, dword \[limit\]\nf3\$stackcheck:\n\s+jb f2\$stackcheck\n/m },
    // One whose callees all check (a recursive one, a leaf, a call through the table) has
    // none; one in a table keeps it when its calls take more than 128 bytes before a check.
    { fn: 'entry', proves: /^f5:\n\s+cmp esp, dword \[limit\]\n[\s\S]*call f6\n/m },
    { fn: 'small', proves: /^f8:\n\s+push ebp\n[\s\S]*call f2\n/m, absent: /cmp esp/ },
    { fn: 'around', proves: /^f6:\n\s+push ebp\n[\s\S]*call f0\n[\s\S]*call f2\n/m, absent: /cmp esp/ },
    // The call through the table is a call of the routine that checks and jumps (index.ts indirectCall).
    { fn: 'dispatch', proves: /^f7:\n\s+push ebp\n[\s\S]*call __rt_callind_0_0\n/m, absent: /cmp esp|__table/ },
    // An early return whose epilogue is one `ret`: that ret in place of the jmp.
    { fn: 'early', proves: /mov eax, 7[^\n]*\n\s+ret\n/, absent: /jmp f9\$ret/ },
    // `i32.const 0` into a register before a compare: xor (the compare writes the flags first).
    { fn: 'count', proves: /xor (\w+), \1\s+; local.set\n(\s+mov [^\n]+\n)*\s+cmp /, absent: /jmp (\S+)\n\1:/ },
  ],
  'loop-rotation': [
    // The head's test once before the loop (jae to the exit), once at the back edge inverted (jb to the body).
    { fn: 'sum', proves: /cmp esi, [^\n]+\n\s+jae f0\$L0[^\n]*\nf0\$L3:[\s\S]*cmp esi, [^\n]+\n\s+jb f0\$L3\n/ },
  ],
  'read-modify-write': [
    { fn: 'bump', proves: /add dword \[g0\], 1\s/, absent: /\[g0\]\n[\s\S]*\[g0\]/ },
    // Each field: one instruction on memory; x is read once into its register.
    // (y, a parameter used twice, stays in memory: through a temporary.)
    { fn: 'fields', proves: /add dword \[esi\+0x8\], 1\s[^\n]*\n\s+or byte \[esi\+0xc\], 4\s[^\n]*\n\s+mov (\w+), dword \[esp\+0xc\][^\n]*\n\s+sub dword \[esi\+0x10\], \1\s*\n[^\n]*\n\s+sub dword \[esi\+0x14\], \1/ },
  ],
  'counting': [
    { fn: 'probe', proves: /imul (\w+), \w+, 0x9e3779b1[^\n]*\n\s+shr \1, 0x16[\s\S]*add (\w+|dword \[[^\]]+\]), \w+\s+; local.get/, absent: /cmov|mov \w+, e(ax|cx)\s+; local.set/ },
    { fn: 'maybe', proves: /cmov/ },
    // The pass that goes on: no write of r; the exits go through stubs that write 1 and 0.
    { fn: 'find', proves: /je (f2\$L\d+)[^\n]*\n[\s\S]*je (f2\$L\d+)[^\n]*\n[\s\S]*\n\1:\n\s+mov \w+, 1[^\n]*\n\s+jmp [^\n]+\n\2:\n\s+(xor (\w+), \4|mov \w+, 0)[^\n]*\n\s+jmp /, absent: /^\s+(mov \w+, 1|xor (\w+), \2)[^\n]*\n\s+(mov|test|cmp|lea|add|and)\b/m },
  ],
  'pool': [
    { fn: 'churn', proves: /je (f0\$L\d+\$exit)[\s\S]*\n\s+dec (\w+)\s+; local.tee\n(\s+mov [^\n]+\n)+\s+jne [\s\S]*\n\1:\n[^\n]*\n\s+jmp f0\$ret/, absent: /lea \w+, dword \[\w+-0x1\]|test (\w+), \1[^\n]*\n\s+jne f0\$L\d+\s*(; br)?\n/ },
  ],
  'compare-branch': [
    { fn: 'max', proves: /cmp eax, dword \[esp\+0x8\][^\n]*\n\s+mov eax, dword \[esp\+0x4\][^\n]*\n\s+cmovle eax, dword \[esp\+0x8\]/, absent: /^\s+set[a-z]+ /m },
    { fn: 'clamp', proves: /cmp \w+, 0x64\s*(; \S+)?\n\s+jl /, absent: /^\s+set[a-z]+ /m },
    { fn: 'less', proves: /setb \w+/ },
    // An i32.and tested against zero: `test`, a byte immediate on a byte operand; no and, no 0/1.
    { fn: 'masked', proves: /test byte \[esp\+0x4\], 4[^\n]*\n\s+je [\s\S]*test dword \[esp\+0x8\], 0x8000[^\n]*\n\s+jne /, absent: /^\s+(and|set[a-z]+) /m },
    // Two compares or'ed for a branch: their setcc bytes or'ed, the flags of that `or` branch.
    { fn: 'either', proves: /sete (\w+)l[^\n]*\n[\s\S]*sete (\w+)l[^\n]*\n\s+or \1l, \2l[^\n]*\n\s+jne /, absent: /^\s+(movzx|test) /m },
  ],
};

describe('data segments (instantiate.ts packSegments)', () => {
  it('one stream of (gap, length) entries over one blob, 1, 3 or 5 bytes each; UTF-16 text kept as its low bytes; a gap past 0xFFFF is split; gaps of 4 bytes or less are zeros in the blob', async () => {
    const w = await (wabtInit as any)();
    const wat = '(module (memory 2) (data (i32.const 16) "ab") (data (i32.const 20) "c") (data (i32.const 100) "de") (data (i32.const 112) "xyz")' +
      ' (data (i32.const 200) "h\\00e\\00l\\00l\\00o\\00 \\00w\\00o\\00r\\00l\\00d\\00") (data (i32.const 70000) "f"))';
    const m = w.parseWat('data.wat', wat, {});
    let bytes: Uint8Array;
    try { bytes = new Uint8Array(m.toBinary({}).buffer); } finally { m.destroy(); }
    const c = compileModule(bytes, { name: 'data.wat', trapHandler: 'trap', intrinsics: false });
    const at = c.insns.findIndex((i) => i.op === 'label' && i.target === '__data_runs');
    const stream = [...c.insns[at + 1].bytes!];
    // "ab\0\0c" from 16 (gap 0 from the first piece's start, 5 bytes: one byte 0x04); "de" 79
    // bytes after its end (21): 0xF0, gap, length; "xyz" 10 after 102: one byte 0xA2; "hello
    // world" in UTF-16 85 bytes after 115, narrow (bit 7), 11 units; "f" 69778 bytes after 222:
    // 0xF1 and 16-bit words, 65535 + 4243.
    expect(stream).toEqual([0x04, 0xF0, 79, 2, 0xA2, 0xF0, 85, 0x80 | 11, 0xF1, 0xFF, 0xFF, 0, 0, 0xF1, 4243 & 0xFF, 4243 >> 8, 1, 0]);
    const blob = c.insns.slice(c.insns.findIndex((i) => i.op === 'label' && i.target === '__data_blob') + 1).filter((i) => i.op === 'db').map((i) => [...i.bytes!]).flat();
    expect(String.fromCharCode(...blob)).toBe('ab\0\0cdexyzhello worldf');
  });
});

describe('call_indirect (index.ts indirectCall)', () => {
  it('each site calls one routine per table and signature with the index in eax; the routine checks bounds, signature and null, then jumps', async () => {
    const w = await (wabtInit as any)();
    const wat = '(module (type $a (func (param i32) (result i32))) (type $b (func (result i32))) (table 3 funcref)' +
      ' (elem (i32.const 0) $f $g) (func $f (param i32) (result i32) (local.get 0)) (func $g (result i32) (i32.const 1))' +
      ' (func (export "two") (param i32) (result i32) (i32.add (call_indirect (type $a) (i32.const 5) (local.get 0))' +
      '   (call_indirect (type $a) (i32.const 6) (i32.add (local.get 0) (i32.const 1)))))' +
      ' (func (export "other") (param i32) (result i32) (call_indirect (type $b) (local.get 0))))';
    const m = w.parseWat('ci.wat', wat, {});
    let bytes: Uint8Array;
    try { bytes = new Uint8Array(m.toBinary({}).buffer); } finally { m.destroy(); }
    const c = compileModule(bytes, { name: 'ci.wat', trapHandler: 'trap', intrinsics: false });
    const text = c.insns.map((i) => (i.op === 'label' ? formatInsn(i) : `    ${formatInsn(i)}`)).join('\n');
    // Three sites, two routines; each site's index in eax just before the call.
    expect(text.match(/call __rt_callind_0_0\n/g)).toHaveLength(2);
    expect(text.match(/call __rt_callind_0_1\n/g)).toHaveLength(1);
    expect(text).toMatch(/mov eax, [^\n]+\n(\s+push [^\n]+\n)?\s+call __rt_callind_0_0\n/);
    expect(text).not.toMatch(/call dword \[__table/);
    expect(text).toMatch(/__rt_callind_0_0:\n\s+cmp eax, 3\n\s+jae __rt_trap5\n\s+cmp dword \[__table\+eax\*8\+0x4\], 0\n\s+jne (\S+)\n\s+jmp dword \[__table\+eax\*8\]\n\1:\n\s+cmp dword \[__table\+eax\*8\], 0\n\s+je __rt_trap6\n\s+jmp __rt_trap7\n/);
    expect(text).toMatch(/__rt_callind_0_1:\n\s+cmp eax, 3\n\s+jae __rt_trap5\n\s+cmp dword \[__table\+eax\*8\+0x4\], 1\n/);
  });
});

describe('globals (instantiate.ts)', () => {
  it('the cells of globals that start at 0 lie side by side and one rep stosd clears them; the others are set one by one', async () => {
    const w = await (wabtInit as any)();
    const wat = '(module (global $a (mut i32) (i32.const 0)) (global $b (mut i32) (i32.const 7)) (global $c (mut i64) (i64.const 0))' +
      ' (global $d (mut i32) (i32.const 0)) (func (export "f") (result i32) (i32.add (global.get $a) (global.get $d))))';
    const m = w.parseWat('globals.wat', wat, {});
    let bytes: Uint8Array;
    try { bytes = new Uint8Array(m.toBinary({}).buffer); } finally { m.destroy(); }
    const c = compileModule(bytes, { name: 'globals.wat', trapHandler: 'trap', intrinsics: false });
    const at = c.insns.findIndex((i) => i.op === 'label' && i.target === c.instantiate);
    const body = c.insns.slice(at, c.insns.findIndex((i, k) => k > at && i.op === 'ret') + 1);
    // One fill of the three zero globals (2 dwords each), one store of 7.
    const fill = body.findIndex((i) => i.op === 'rep_stosd');
    expect(fill).toBeGreaterThan(0);
    expect(body.slice(0, fill).some((i) => i.op === 'mov' && i.ops![1].k === 'i' && i.ops![1].v === 6)).toBe(true);
    const stores = body.filter((i) => i.op === 'mov' && i.ops![0].k === 'm' && i.ops![0].sym?.startsWith('g'));
    expect(stores.map((i) => (i.ops![1] as { v: number }).v)).toEqual([7]);
    // The cells: a, c, d (zero) side by side, then b.
    const cells = c.insns.filter((i) => i.op === 'label' && /^g\d+$/.test(i.target!)).map((i) => i.target);
    expect(cells).toEqual(['g0', 'g2', 'g3', 'g1']);
  });
});

describe('golden listings (test/wasm2x86/golden)', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.wat')).sort();
  it('every case has its listing and its checks', () => {
    expect(files.map((f) => f.slice(0, -4))).toEqual(Object.keys(CASES).sort());
  });
  for (const f of files) {
    const name = f.slice(0, -4);
    it(name, async () => {
      const text = await listing(f);
      const lst = join(DIR, `${name}.lst`);
      if (process.env.UPDATE_GOLDEN || !existsSync(lst)) writeFileSync(lst, text);
      for (const c of CASES[name] ?? []) {
        const fn = text.split('==== ').find((s) => s.startsWith(c.fn + '\n'));
        expect(fn, `function ${c.fn}`).toBeDefined();
        expect(fn).toMatch(c.proves);
        if (c.absent) expect(fn).not.toMatch(c.absent);
      }
      expect(text).toBe(readFileSync(lst, 'utf8'));
    });
  }
});

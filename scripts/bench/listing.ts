// The benchmark kernels side by side: wasm2x86's translation (disassembled
// with iced-x86, each instruction with the wasm op it came from) and gcc -O2's
// (objdump -d), for reading where the extra instructions come from.
//
//   npx tsx scripts/bench/listing.ts [function ...]     (default: the four kernels)

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { compileAssemblyScript } from '../asc.ts';
import { compileModule } from '../wasm2x86/index.ts';
import { linkKernel } from '../wasm2x86/link.ts';
import { PROGRAM_MEMORY_BASE } from '../testprog.ts';
import { ROOT } from '../build.ts';
import { buildGccReference } from './gcc.ts';

export const BENCH_PROGRAM = join(ROOT, 'test/wasm2x86/programs/bench-kernels.ts');
export const KERNEL_FUNCS = ['crc32', 'copyWords', 'insertionSort', 'fnv1a32', 'compareBytes', 'poolChurn', 'hashLookups', 'copyFill'];

/** wasm2x86's code for the named functions: address, bytes, instruction, wasm op. */
export async function translatedListing(funcs: string[]): Promise<Map<string, string>> {
  const { wasm, wat } = await compileAssemblyScript(BENCH_PROGRAM, ['--memoryBase', String(PROGRAM_MEMORY_BASE), '--use', 'abort=test/wasm2x86/programs/io/progAbort'], true);
  const compiled = compileModule(wasm, {
    name: 'bench-kernels.ts', trapHandler: 'export:trap', stackLimit: '__stack_limit',
    maxMemoryPages: (PROGRAM_MEMORY_BASE + 8 * 1024 * 1024) / 65536, dump: true,
  });
  const linked = linkKernel(compiled, { entryExport: 'main', stackLimitSymbol: '__stack_limit' });
  const iced = await import('iced-x86');
  const fmt = new iced.Formatter(iced.FormatterSyntax.Nasm);
  const asm = linked.assembled;
  const out = new Map<string, string>();
  for (const name of funcs) {
    const exp = compiled.exports.get(name);
    if (!exp) throw new Error(`listing: no export ${name}`);
    const start = linked.insns.findIndex((i) => i.op === 'label' && i.target === exp.label);
    const lines: string[] = [`${name} (${exp.label}):`];
    for (let i = start + 1; i < linked.insns.length; i++) {
      const insn = linked.insns[i];
      if (insn.op === 'align') continue;
      if (insn.op === 'label') {
        if (!insn.target!.startsWith(exp.label + '$')) break; // the next function or routine
        lines.push(`${insn.target}:`);
        continue;
      }
      const span = asm.spans[i];
      if (span.length === 0) continue;
      const addr = asm.origin + span.offset;
      const bytes = asm.code.subarray(span.offset, span.offset + span.length);
      const dec = new iced.Decoder(32, bytes, iced.DecoderOptions.None);
      dec.ip = BigInt(addr);
      const d = dec.decode();
      const text = fmt.format(d);
      d.free(); dec.free();
      lines.push(`  ${addr.toString(16).padStart(8, '0')}  ${text.padEnd(40)}${insn.note ? ' ; ' + insn.note : ''}`);
    }
    out.set(name, lines.join('\n'));
  }
  // The wasm text of the same functions (binaryen's output).
  if (wat) for (const name of funcs) {
    // The kernels live in kernels.ts (bench-kernels.ts re-exports them): any module path.
    const m = wat.search(new RegExp(`\\(func \\$[^ ]*/${name} `));
    if (m >= 0) {
      let depth = 0, e = m;
      for (; e < wat.length; e++) { if (wat[e] === '(') depth++; else if (wat[e] === ')' && --depth === 0) break; }
      out.set(name + '.wat', wat.slice(m, e + 1));
    }
  }
  return out;
}

/** gcc -O2's code for the named functions (objdump -d of the reference ELF). */
export function gccListing(funcs: string[]): Map<string, string> {
  const ref = buildGccReference();
  if ('skip' in ref) throw new Error(ref.skip);
  const text = execFileSync('objdump', ['-d', '--no-show-raw-insn', '-M', 'intel', ref.elf], { encoding: 'utf8' });
  const out = new Map<string, string>();
  for (const name of funcs) {
    const m = text.match(new RegExp(`^[0-9a-f]+ <${name}>:\\n(?:.+\\n)*`, 'm'));
    out.set(name, m ? m[0].trimEnd() : `(no ${name} in objdump output)`);
  }
  return out;
}

async function main() {
  const funcs = process.argv.slice(2).length ? process.argv.slice(2) : KERNEL_FUNCS;
  const ours = await translatedListing(funcs);
  const gcc = gccListing(funcs);
  for (const f of funcs) {
    console.log(`==== ${f}: wasm (binaryen -O3)\n${ours.get(f + '.wat') ?? '(not found)'}\n`);
    console.log(`==== ${f}: wasm2x86\n${ours.get(f)}\n`);
    console.log(`==== ${f}: gcc -O2 -m32\n${gcc.get(f)}\n`);
  }
}

if (process.argv[1]?.endsWith('listing.ts')) main().catch((e) => { console.error(`listing: FAILED: ${e.stack ?? e}`); process.exit(1); });

// The kernel's own functions as wasm2x86 translates them: for reading where a
// hot path's instructions come from (scripts/bench/profile.ts names the
// functions). Translates build/kernel.wasm (run `npm run build` first) with
// the kernel's options, and prints each named function's wasm (binaryen's
// output, from build/kernel.wat) and its x86 with the wasm op per instruction.
//
//   npx tsx scripts/bench/kfunc.ts KiTrapDispatch NtClose     (a name matches the end of a wat name)
//   npx tsx scripts/bench/kfunc.ts --x86 KiTrapDispatch        (x86 only)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModule } from '../wasm2x86/index.ts';
import { linkKernel } from '../wasm2x86/link.ts';
import { ROOT, kernelExportNames, KERNEL_MAX_PAGES } from '../build.ts';

function watNames(wat: string): Map<number, string> {
  const names = new Map<number, string>();
  let index = 0;
  for (const line of wat.split('\n')) {
    if (/^ \(import "[^"]+" "[^"]+" \(func/.test(line)) index++;
    else { const m = /^ \(func \$(\S+)/.exec(line); if (m) { names.set(index, m[1]); index++; } }
  }
  return names;
}

function watText(wat: string, full: string): string {
  const m = wat.indexOf(`(func $${full} `);
  if (m < 0) return '(not found)';
  let depth = 0, e = m;
  for (; e < wat.length; e++) { if (wat[e] === '(') depth++; else if (wat[e] === ')' && --depth === 0) break; }
  return wat.slice(m, e + 1);
}

async function main() {
  const args = process.argv.slice(2);
  const x86Only = args.includes('--x86');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const wasm = new Uint8Array(readFileSync(join(ROOT, 'build/kernel.wasm')));
  const wat = readFileSync(join(ROOT, 'build/kernel.wat'), 'utf8');
  const compiled = compileModule(wasm, {
    name: 'kernel.wasm', trapHandler: 'export:KiWasmTrap', stackLimit: '__stack_limit',
    trapDispatchExport: 'KiTrapDispatch', maxMemoryPages: KERNEL_MAX_PAGES, dump: true,
  });
  const linked = linkKernel(compiled, { entryExport: 'KiSystemStartup', stackLimitSymbol: '__stack_limit', exports: kernelExportNames() });
  const asm = linked.assembled;
  const iced = await import('iced-x86');
  const fmt = new iced.Formatter(iced.FormatterSyntax.Nasm);
  const names = watNames(wat);
  for (const w of wanted) {
    const hits = [...names].filter(([, n]) => n === w || n.endsWith('/' + w));
    if (hits.length === 0) { console.log(`==== ${w}: no such function`); continue; }
    for (const [index, full] of hits) {
      const label = compiled.funcLabels[index];
      if (!x86Only) console.log(`==== ${full}: wasm\n${watText(wat, full)}\n`);
      const start = linked.insns.findIndex((i) => i.op === 'label' && i.target === label);
      const lines: string[] = [`==== ${full}: x86 (${label})`];
      let count = 0, bytes = 0;
      for (let i = start + 1; i < linked.insns.length; i++) {
        const insn = linked.insns[i];
        if (insn.op === 'align') continue;
        if (insn.op === 'label') { if (!insn.target!.startsWith(label + '$')) break; lines.push(`${insn.target}:`); continue; }
        const span = asm.spans[i];
        if (span.length === 0) continue;
        if (insn.op === 'db' || insn.op === 'dd') { lines.push(`  (${span.length} bytes of data)`); continue; }
        const addr = asm.origin + span.offset;
        const code = asm.code.subarray(span.offset, span.offset + span.length);
        const dec = new iced.Decoder(32, code, iced.DecoderOptions.None);
        dec.ip = BigInt(addr);
        const d = dec.decode();
        lines.push(`  ${addr.toString(16).padStart(8, '0')}  ${fmt.format(d).padEnd(40)}${insn.note ? ' ; ' + insn.note : ''}`);
        d.free(); dec.free();
        count++; bytes += span.length;
      }
      lines.push(`(${count} instructions, ${bytes} bytes)`);
      console.log(lines.join('\n') + '\n');
    }
  }
}

main().catch((e) => { console.error(`kfunc: FAILED: ${e.stack ?? e}`); process.exit(1); });

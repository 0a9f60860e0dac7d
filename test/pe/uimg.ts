// A host-side PE loader for tests: today's kernel starts flat UIMG boot
// modules only (scripts/userprog.ts, kernel/ps/psmain.ts), so this maps an
// .exe and the DLLs it imports into one UIMG image the way the NT loader
// would map them into one address space:
//
//   base          the .exe, mapped (sections at their RVAs), relocated to
//                 `base` when it was linked elsewhere; the UIMG header
//                 overwrites its DOS header, which nothing reads at run time
//   next 64 KiB   each DLL, mapped and relocated by its base relocations
//   next page     the start routine and ntdll's int 0x2e stubs
//                 (scripts/services.ts)
//
// Every IAT slot is bound: ntdll.dll!Nt* to its stub, DLL!name to the
// DLL's export. The start routine calls each DLL's DllMain(base,
// DLL_PROCESS_ATTACH, 0), then jumps to the .exe's entry with a PEB pointer
// argument, as the loader's process start would.

import { assemble } from '../../scripts/wasm2x86/emit.ts';
import { imm, type Insn } from '../../scripts/wasm2x86/x86.ts';
import { REL_BASED_HIGHLOW } from '../../scripts/pe/format.ts';
import { type PeImage, peRead } from '../../scripts/pe/reader.ts';
import { SERVICES, SHADOW_SERVICES, serviceStubs } from '../../scripts/services.ts';

const UIMG_MAGIC = 0x474d4955; // 'UIMG'
const PEB_ADDRESS = 0x7ffdf000; // kernel/ps/psmain.ts
const STACK_BYTES = 256 * 1024;

const align = (v: number, a: number) => Math.ceil(v / a) * a;

interface Placed { name: string; img: PeImage; at: number }

/** The mapped image of `img` moved to `at` by its relocations. */
function relocated(img: PeImage, at: number): Uint8Array {
  const out = img.mapped.slice();
  const v = new DataView(out.buffer);
  const delta = (at - img.headers.imageBase) >>> 0;
  for (const r of img.relocations) {
    if (r.type !== REL_BASED_HIGHLOW) throw new Error(`peToUimg: relocation type ${r.type} at RVA ${r.rva.toString(16)}`);
    v.setUint32(r.rva, (v.getUint32(r.rva, true) + delta) >>> 0, true);
  }
  return out;
}

/** One UIMG boot module holding `exe` at `base` and `dlls` after it, bound together. */
export function peToUimg(exe: Uint8Array, dlls: { name: string; bytes: Uint8Array }[] = [], base = 0x00400000): Uint8Array {
  const placed: Placed[] = [];
  let at = base;
  for (const [name, bytes] of [['(exe)', exe] as const, ...dlls.map((d) => [d.name, d.bytes] as const)]) {
    const img = peRead(bytes);
    placed.push({ name, img, at });
    at = align(at + img.headers.sizeOfImage, 0x10000);
  }
  const stubsAt = at;
  const [main, ...libraries] = placed;
  const start: Insn[] = [{ op: 'label', target: '__start' }];
  libraries.forEach((d, k) => {
    start.push({ op: 'push', ops: [imm(0)] }, { op: 'push', ops: [imm(1)] }, { op: 'push', ops: [imm(d.at)] }, { op: 'call', target: `__dllmain${k}` });
  });
  start.push({ op: 'push', ops: [imm(PEB_ADDRESS)] }, { op: 'push', ops: [imm(0)] }, { op: 'jmp', target: '__exe_entry' });
  const externals = new Map<string, number>([['__exe_entry', main.at + main.img.headers.addressOfEntryPoint]]);
  libraries.forEach((d, k) => externals.set(`__dllmain${k}`, d.at + d.img.headers.addressOfEntryPoint));
  const stubs = assemble([...start, ...serviceStubs('__sys_')], stubsAt, externals);
  const services = new Set([...SERVICES, ...SHADOW_SERVICES].map((s) => s.name));

  const out = new Uint8Array(stubsAt + stubs.code.length - base);
  const view = new DataView(out.buffer);
  for (const p of placed) {
    const mapped = relocated(p.img, p.at);
    const mv = new DataView(mapped.buffer);
    for (const d of p.img.imports) {
      const lib = placed.find((x) => x !== main && x.name.toLowerCase() === d.dll.toLowerCase());
      for (const f of d.functions) {
        let target: number | undefined;
        if (d.dll.toLowerCase() === 'ntdll.dll') target = f.name && services.has(f.name) ? stubs.labels.get(`__sys_${f.name}`) : undefined;
        else {
          const e = lib?.img.exports?.functions.find((x) => f.name !== undefined && x.names.includes(f.name));
          if (lib && e?.rva !== undefined) target = lib.at + e.rva;
        }
        if (target === undefined) throw new Error(`peToUimg: ${p.name} imports ${d.dll}!${f.name ?? '#' + f.ordinal}, which nothing here exports`);
        mv.setUint32(f.iatRva, target, true);
      }
    }
    out.set(mapped, p.at - base);
  }
  out.set(stubs.code, stubsAt - base);
  // The UIMG header (kernel/ps/psmain.ts): no separate data region, the images hold their memory.
  [UIMG_MAGIC, base, stubs.labels.get('__start')!, out.length, 0, 0, STACK_BYTES].forEach((v, i) => view.setUint32(4 * i, v >>> 0, true));
  return out;
}

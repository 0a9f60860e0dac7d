// ntdll.dll's loader (images/system32/ntdll/ldr.ts) on the emulated machine:
// the kernel starts \SystemRoot\System32\smss.exe, which on these disks is
// the test launcher (test/pe/programs/launcher.ts, itself loaded by ntdll);
// it starts each program of \launch.txt with RtlCreateUserProcess and
// reports its exit status. The programs are AssemblyScript linked as PE32
// by scripts/pe/link.ts, some patched on the host into the bad cases: an
// import by ordinal, an ordinal that is not there, a DLL whose relocations
// leave the image, a program for another subsystem.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { peRead } from '../../scripts/pe/reader.ts';
import { msg } from './usermode.ts';

const h = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

/** The file offset of an RVA. */
function offsetOf(file: Uint8Array, rva: number): number {
  const s = peRead(file).sections.find((x) => rva >= x.virtualAddress && rva < x.virtualAddress + Math.max(x.virtualSize, x.sizeOfRawData));
  if (!s || rva - s.virtualAddress >= s.sizeOfRawData) throw new Error(`RVA ${h(rva)} has no file bytes`);
  return s.pointerToRawData + rva - s.virtualAddress;
}

/** A copy of `file` with the ILT and IAT entries of dll!fn replaced by `value`. */
function patchThunk(file: Uint8Array, dll: string, fn: string, value: number): Uint8Array {
  const copy = new Uint8Array(file);
  const dv = new DataView(copy.buffer);
  const imp = peRead(file).imports.find((i) => i.dll.toLowerCase() === dll)!;
  const index = imp.functions.findIndex((f) => f.name === fn);
  if (index < 0) throw new Error(`${dll}!${fn} not imported`);
  dv.setUint32(offsetOf(copy, imp.iltRva + index * 4), value, true);
  dv.setUint32(offsetOf(copy, imp.iatRva + index * 4), value, true);
  return copy;
}

/** A copy of `file` with the ASCII text `from` replaced by `to` (same length) once. */
function patchText(file: Uint8Array, from: string, to: string): Uint8Array {
  const copy = new Uint8Array(file);
  const at = Buffer.from(copy).indexOf(Buffer.from(from, 'latin1'));
  if (at < 0 || from.length !== to.length) throw new Error(`cannot patch ${from}`);
  copy.set(Buffer.from(to, 'latin1'), at);
  return copy;
}

describe('the image loader in ntdll.dll', () => {
  let all: string[] = [];
  const of = (name: string) => all.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));
  /** The launcher's reports (it runs as smss.exe: its lines are "smss: launch: ..."). */
  const launched = () => of('smss').filter((l) => l.startsWith('launch: ')).map((l) => l.slice(8));
  const exits = new Map<string, string>();
  let mathlibOrdinal = 0;

  beforeAll(async () => {
    const system32 = await buildSystem32();
    const exe = (name: string) => buildUserImage(`test/pe/programs/${name}.ts`, { name: `${name}.exe` }).then((r) => r.bytes);
    const mathlib = (await buildUserImage('test/pe/programs/mathlib.ts', { kind: 'dll', name: 'mathlib.dll' })).bytes;
    const mathcopy = (await buildUserImage('test/pe/programs/mathlib.ts', { kind: 'dll', name: 'mathcopy.dll' })).bytes;
    const launcher = await exe('launcher');
    const params = await exe('params');
    const twodlls = await exe('twodlls');
    // The export "classify" of mathlib.dll by ordinal; and an ordinal it does not have.
    const exports = peRead(mathlib).exports!;
    mathlibOrdinal = exports.functions.find((f) => f.names.includes('classify'))!.ordinal;
    const ordinal = patchThunk(twodlls, 'mathlib.dll', 'classify', 0x80000000 | mathlibOrdinal);
    const badOrdinal = patchThunk(twodlls, 'mathlib.dll', 'classify', 0x80000000 | 999);
    // mathbadr.dll: mathcopy.dll whose last relocation block points past the image's end (it loads relocated).
    const bad = new Uint8Array(mathcopy);
    const pe = peRead(mathcopy);
    const relocDir = pe.directories[5];
    let block = offsetOf(bad, relocDir.rva), last = block;
    const dv = new DataView(bad.buffer);
    while (block < offsetOf(bad, relocDir.rva) + relocDir.size) { last = block; block += dv.getUint32(block + 4, true); }
    dv.setUint32(last, Math.ceil(pe.headers.sizeOfImage / 4096) * 4096 - 4096, true);
    dv.setUint16(last + 8, 0x3ffe, true); // HIGHLOW at the last page's offset 0xFFE: two bytes past the end
    const badReloc = patchText(twodlls, 'mathcopy.dll', 'mathbadr.dll');
    // mathfwdx.dll: mathcopy.dll whose nameLength forwards to mathlib.dll's classify by ordinal ("mathlib.#N", written over the
    // DLL's own name inside the export directory).
    const fwd = new Uint8Array(mathcopy);
    const fdv = new DataView(fwd.buffer);
    const exportDir = pe.directories[0];
    const nameAt = Buffer.from(fwd).indexOf(Buffer.from('mathcopy.dll\0', 'latin1'));
    const sect = pe.sections.find((x) => nameAt >= x.pointerToRawData && nameAt < x.pointerToRawData + x.sizeOfRawData)!;
    const nameRva = nameAt - sect.pointerToRawData + sect.virtualAddress;
    if (nameRva < exportDir.rva || nameRva >= exportDir.rva + exportDir.size) throw new Error('the DLL name is not in the export directory');
    const forwarder = `mathlib.#${mathlibOrdinal}\0`;
    if (forwarder.length > 13) throw new Error(`${forwarder} does not fit`);
    fwd.set(Buffer.from(forwarder, 'latin1'), nameAt);
    const copyExports = pe.exports!;
    const nameLengthOrdinal = copyExports.functions.find((f) => f.names.includes('nameLength'))!.ordinal;
    const eat = offsetOf(fwd, fdv.getUint32(offsetOf(fwd, exportDir.rva) + 0x1c, true));
    fdv.setUint32(eat + (nameLengthOrdinal - copyExports.ordinalBase) * 4, nameRva, true);
    const forwarded = patchText(twodlls, 'mathcopy.dll', 'mathfwdx.dll');
    // known.exe imports mathknwn.dll, which is not on any DLL path: only \KnownDlls has it (the launcher's knowndll line).
    const known = patchText(twodlls, 'mathcopy.dll', 'mathknwn.dll');
    // mathinit.dll: mathcopy.dll whose entry point answers FALSE (the linker's DllMain ends mov eax, 1; ret 12).
    const init = new Uint8Array(mathcopy);
    const entry = offsetOf(init, pe.headers.addressOfEntryPoint);
    const ret = Buffer.from(init).indexOf(Buffer.from([0xb8, 1, 0, 0, 0, 0xc2, 12, 0]), entry);
    if (ret < 0 || ret - entry > 64) throw new Error('DllMain\'s return not found');
    init[ret + 1] = 0;
    const initFails = patchText(twodlls, 'mathcopy.dll', 'mathinit.dll');
    const notNative = new Uint8Array(params);
    new DataView(notNative.buffer).setUint16(new DataView(notNative.buffer).getUint32(60, true) + 24 + 68, 3, true); // WINDOWS_CUI
    const programs: Array<[string, Uint8Array | undefined, string]> = [
      ['params', params, 'one two'],
      ['usedll', await exe('usedll'), ''],
      ['twodlls', twodlls, ''],
      ['ordinal', ordinal, ''],
      ['badord', badOrdinal, ''],
      ['nodll', await exe('nodll'), ''],
      ['noentry', await exe('noentry'), ''],
      ['badreloc', badReloc, ''],
      ['forward', forwarded, ''],
      ['initfail', initFails, ''],
      ['known', known, ''],
      ['notnative', notNative, ''],
      ['missing', undefined, ''],
      ['deepstack', await exe('deepstack'), ''],
      ['overflow', await exe('deepstack'), 'forever'],
    ];
    const files = new Map<string, Uint8Array>([
      ['\\Windows\\System32\\ntdll.dll', system32.get('ntdll.dll')!],
      ['\\Windows\\System32\\smss.exe', launcher],
      ['\\Windows\\System32\\mathlib.dll', mathlib],
      ['\\Windows\\System32\\mathcopy.dll', mathcopy],
      ['\\Windows\\System32\\mathbadr.dll', bad],
      ['\\Windows\\System32\\mathfwdx.dll', fwd],
      ['\\Windows\\System32\\mathinit.dll', init],
      ['\\Known\\mathknwn.dll', mathcopy],
      ['\\launch.txt', new TextEncoder().encode('knowndll \\??\\C:\\Known\\mathknwn.dll mathknwn.dll\r\n' +
        programs.map(([n, , args]) => `\\??\\C:\\Images\\${n}.exe${args ? ' ' + args : ''}\r\n`).join(''))],
    ]);
    for (const [n, bytes] of programs) if (bytes) files.set(`\\Images\\${n}.exe`, bytes);
    const { kernelImage } = await buildKernel({ write: false });
    const r = await boot({ kernel: kernelImage, disk: buildDisk({ files }), until: 'launch: done', timeoutMs: 90000 });
    all = msg(r.lines);
    expect(r.stop, all.join('\n')).toBeUndefined();
    for (const l of launched()) {
      const m = /^\\\?\?\\C:\\Images\\(\w+)\.exe.* -> (.*)$/.exec(l);
      if (m) exits.set(m[1], m[2]);
    }
  }, 300000);

  it('starts the first process (the launcher as smss.exe) through the loader', () => {
    expect(all.some((l) => /^ps: \\SystemRoot\\System32\\ntdll\.dll: mapped into every image process at 0x7C900000, threads start at LdrInitializeThunk 0x7C9[0-9A-F]{5}$/.test(l)), all.join('\n')).toBe(true);
    expect(launched()).toContain('done');
    expect(launched().length).toBe(17);
  });

  it('gives a program its parameters, environment, heap and module list', () => {
    expect(exits.get('params')).toBe('exit 0x0000600D');
    const p = of('params');
    expect(p).toContain('flags 0x00000001'); // normalized
    expect(p).toContain('image \\??\\C:\\Images\\params.exe');
    expect(p).toContain('command line \\??\\C:\\Images\\params.exe one two');
    expect(p).toContain('current directory C:\\Windows\\');
    expect(p).toContain('dll path C:\\Windows\\System32');
    expect(p).toContain('Path= 0x00000000 C:\\Windows\\System32');
    expect(p).toContain('heap works');
    expect(p).toContain('ldr length 0x00000028 initialized 0x00000001');
    expect(p).toContain('modules params.exe ntdll.dll');
    expect(p).toContain('init order ntdll.dll');
    expect(p).toContain('exe base matches peb yes');
  });

  it('runs a second thread through LdrInitializeThunk without setting the process up again', () => {
    const p = of('params');
    expect(p, all.filter((l) => /params/.test(l)).join('\n')).toContain('thread 0x00005EC0 sees ldr initialized');
    expect(p).toContain('second thread 0x00000000 exit 0x00000077 global 0x00005EC0'); // the same module globals
  });

  it('adjusts a privilege of its token with RtlAdjustPrivilege', () => {
    const p = of('params');
    expect(p).toContain('disable pagefile privilege 0x00000000 was 0x00000001'); // enabled in the System token smss's comes from
    expect(p).toContain('enable pagefile privilege 0x00000000 was 0x00000000');
    expect(p).toContain('thread token 0xC000007C'); // no impersonation: STATUS_NO_TOKEN
  });

  it('answers LdrGetDllHandle, LdrLoadDll and LdrGetProcedureAddress', () => {
    const p = of('params');
    expect(p).toContain('ntdll handle 0x00000000 0x7C900000');
    expect(p).toContain('missing handle 0xC0000135');
    expect(p).toContain('load mathlib 0x00000000');
    expect(p).toContain('add 0x00000000 inside yes');
    expect(p).toContain('ordinal 1 0x00000000');
    expect(p).toContain('ordinal 999 0xC0000138');
    expect(p).toContain('missing procedure 0xC0000139');
    expect(p).toContain('load missing 0xC0000135');
    expect(p).toContain('LDR: nosuch.dll could not be found, status 0xC0000135');
  });

  it('binds an exe to a DLL by name and runs the DLL\'s entry point first', () => {
    const u = of('usedll');
    expect(u).toContain('add 42');
    expect(u).toContain('mul64 1250999894016');
    expect(u).toContain('start 42'); // set by the DLL's start function, which its DllMain ran
    expect(exits.get('usedll')).toBe('exit 0xC000001D'); // its last call traps inside the DLL, on purpose
  });

  it('relocates a DLL that cannot have its base', () => {
    expect(of('twodlls')).toEqual(['mathlib 5 4 5 17 -1 42', 'mathcopy 5 4 5 17 -1 42']);
    expect(exits.get('twodlls')).toBe('exit 0x00000000');
  });

  it('binds an import by ordinal, and refuses an ordinal the DLL lacks', () => {
    expect(of('ordinal')).toEqual(['mathlib 5 4 5 17 -1 42', 'mathcopy 5 4 5 17 -1 42']);
    expect(exits.get('ordinal')).toBe('exit 0x00000000');
    expect(exits.get('badord')).toBe('exit 0xC0000138');
    expect(of('badord')).toContain('LDR: ordinal #999 could not be located in mathlib.dll (imported by badord.exe), status 0xC0000138');
  });

  it('ends a program whose DLL or procedure is missing, naming it', () => {
    expect(exits.get('nodll')).toBe('exit 0xC0000135');
    expect(of('nodll')).toContain('LDR: nosuchlib.dll could not be found (imported by nodll.exe), status 0xC0000135');
    expect(exits.get('noentry')).toBe('exit 0xC0000139');
    expect(of('noentry')).toContain('LDR: procedure subtract could not be located in mathlib.dll (imported by noentry.exe), status 0xC0000139');
    expect(of('nodll').some((l) => !l.startsWith('LDR:'))).toBe(false); // main() never ran
  });

  it('follows a forwarder to another DLL\'s export by ordinal', () => {
    // mathfwdx.dll's nameLength is mathlib.dll's classify: 0 -> 10, 1 -> 11, 2 -> 17.
    expect(of('forward')).toEqual(['mathlib 5 4 5 17 -1 42', 'mathcopy 10 11 17 17 -1 42']);
    expect(exits.get('forward')).toBe('exit 0x00000000');
  });

  it('maps a DLL from its section in \\KnownDlls (found nowhere else)', () => {
    expect(launched()).toContain('knowndll mathknwn.dll -> section 0x00000000');
    expect(of('known'), all.filter((l) => /known/i.test(l)).join('\n')).toEqual(['mathlib 5 4 5 17 -1 42', 'mathcopy 5 4 5 17 -1 42']);
    expect(exits.get('known')).toBe('exit 0x00000000');
  });

  it('ends the process when a DLL\'s entry point answers FALSE', () => {
    expect(exits.get('initfail')).toBe('exit 0xC0000142');
    expect(of('initfail')).toEqual(['LDR: the entry point of mathinit.dll failed (DLL_PROCESS_ATTACH returned FALSE), status 0xC0000142',
      'LDR: process initialization failed for initfail.exe, status 0xC0000142']);
  });

  it('refuses a DLL whose relocations leave the image', () => {
    expect(exits.get('badreloc')).toBe('exit 0xC000007B');
    expect(of('badreloc')).toContain('LDR: mathbadr.dll has a relocation outside the image, status 0xC000007B');
  });

  it('does not run a program for another subsystem, or one that is not there', () => {
    expect(exits.get('notnative')).toBe('not native 0xC000007B');
    expect(of('notnative')).toEqual([]);
    expect(exits.get('missing')).toBe('not started 0xC0000034');
  });

  it('grows user stacks as they are touched, up to their reservation', () => {
    // 4 KiB committed by the image's header; 3000 nested calls need far more.
    expect(of('deepstack'), all.filter((l) => /deepstack|overflow/.test(l)).join('\n')).toEqual(['depth 3000 sum 4501500']);
    expect(exits.get('deepstack')).toBe('exit 0x00000000');
    // Without an end, the recursion reaches the reservation's bottom: STATUS_STACK_OVERFLOW, not a crash.
    expect(exits.get('overflow')).toBe('exit 0xC00000FD');
    expect(all.some((l) => /^ps: process \d+ \(overflow\): unhandled exception 0xC00000FD/.test(l)), all.join('\n')).toBe(true);
    expect(all.filter((l) => /deepstack/.test(l)).some((l) => /exception/.test(l))).toBe(false);
  });
});

// The ntdll sources as the DLL build will take them: images/system32/ntdll/
// index.ts alone compiles, exports only public routines, imports only
// native services (plus the helpers the DLL linker adds), and every
// function translates to i386 with wasm2x86.
import { describe, expect, it } from 'vitest';
import { compileAssemblyScript } from '../../scripts/asc.ts';
import { compileModule } from '../../scripts/wasm2x86/index.ts';
import { SERVICES } from '../../scripts/services.ts';
import { INTERNAL_EXPORTS, NTDLL_HELPERS as LINKER_HELPERS } from '../../scripts/pe/ntdll.ts';

describe('ntdll module', () => {
  it('exports public routines only, imports services only, and translates to x86', async () => {
    const { wasm } = await compileAssemblyScript('images/system32/ntdll/index.ts', ['--memoryBase', String(0x7C900000)]);
    const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
    const exports = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    expect(exports.length).toBeGreaterThan(70);
    for (const name of exports.filter((n) => !INTERNAL_EXPORTS.includes(n))) expect(name, name).toMatch(/^(Rtl[A-Z]|Ldr[A-Z]|Csr[A-Z]|Dbg|vDbg|_vsnprintf$)/);
    // Private routines only where the linker's own code enters the module (not DLL exports).
    expect(exports.filter((n) => n.startsWith('Rtlp') || n.startsWith('Ldrp')).sort()).toEqual([...INTERNAL_EXPORTS].sort());
    for (const routine of ['RtlInitUnicodeString', 'RtlAllocateHeap', 'RtlQueryRegistryValues', 'RtlDosPathNameToNtPathName_U', 'RtlCreateUserProcess', 'DbgPrint'])
      expect(exports).toContain(routine);
    const services = new Set(SERVICES.map((s) => s.name));
    const imports = WebAssembly.Module.imports(module);
    for (const imp of imports) {
      expect(imp.module).toBe('ntdll');
      expect(services.has(imp.name) || LINKER_HELPERS.includes(imp.name), imp.name).toBe(true);
    }
    const compiled = compileModule(wasm, {
      name: 'ntdll', prefix: 'n_', trapHandler: '__trap', stackLimit: 'fs:8',
      resolveImport: (_m, name, kind) => (kind === 'func' ? `__sys_${name}` : undefined),
    });
    expect(compiled.insns.length).toBeGreaterThan(1000);
    for (const name of exports) expect(compiled.exports.get(name)?.kind, name).toBe('func');
  });
});

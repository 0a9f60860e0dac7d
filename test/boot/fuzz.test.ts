// The kernel under fuzzing, a short CI budget (README "Fuzzing the kernel";
// `npm run fuzz` runs the long ones): the ring-3 services fuzzer with a fixed
// seed, and the format fuzzers. The kernel must never bug-check, and the
// fuzzers must have reached what they claim to fuzz.
import { describe, expect, it } from 'vitest';
import { SERVICES, SHADOW_SERVICES } from '../../scripts/services.ts';
import { buildServicesFuzzer, runServicesBoot } from '../../scripts/fuzz/services.ts';
import { fuzzServices, KINDS } from '../../scripts/fuzz/svctable.ts';

/** A service's family: the kernel folder of its routine (ex/obsvc.ts counts as ob), win32k for the shadow table. */
function family(name: string): string {
  const s = SERVICES.find((x) => x.name === name);
  if (!s) return 'win32k';
  return s.file === 'ex/obsvc' ? 'ob' : s.file.split('/')[0];
}

describe('the services fuzzer', () => {
  it('has argument kinds for every service in the service list (new services must be fuzzed too)', () => {
    for (const s of [...SERVICES, ...SHADOW_SERVICES]) expect(KINDS[s.name], s.name).toBeDefined();
    const fuzzed = fuzzServices().map((s) => s.name);
    expect(fuzzed).not.toContain('NtShutdownSystem');
    expect(fuzzed.length).toBe(SERVICES.length + SHADOW_SERVICES.length - 1);
  });

  it('seed 1207, 3000 calls: no bug check, every service family called and answering', async () => {
    const { kernel, disk } = await buildServicesFuzzer();
    const r = await runServicesBoot(kernel, disk, 1207, 3000, { timeoutMs: 240_000 });
    expect(r.what, [r.what, ...r.last].join('\n')).toBe('ok');
    expect(r.calls).toBeGreaterThanOrEqual(3000);
    const families = new Map<string, { calls: number; ok: number; av: number }>();
    for (const c of r.counts) {
      const f = families.get(family(c.name)) ?? { calls: 0, ok: 0, av: 0 };
      f.calls += c.calls; f.ok += c.ok; f.av += c.av;
      families.set(family(c.name), f);
    }
    expect([...families.keys()].sort()).toEqual(['cm', 'ex', 'io', 'ke', 'lpc', 'mm', 'ob', 'ps', 'se', 'win32k']);
    for (const [name, f] of families) {
      expect(f.calls, name).toBeGreaterThan(0);
      // Valid calls got through (win32k: this process has no session console; ke: NtRaiseException and
      // NtContinue get bad pointers only) and bad pointers were refused.
      if (name !== 'win32k' && name !== 'ke') expect(f.ok, name).toBeGreaterThan(0);
    }
    expect(r.counts.reduce((a, c) => a + c.av, 0)).toBeGreaterThan(100);
    expect(r.counts.filter((c) => c.calls > 0).length).toBeGreaterThan(fuzzServices().length * 0.9);
  }, 300_000);
});

// The kernel under fuzzing, a short CI budget (README "Fuzzing the kernel";
// `npm run fuzz` runs the long ones): the ring-3 services fuzzer with a fixed
// seed, and the format fuzzers. The kernel must never bug-check, and the
// fuzzers must have reached what they claim to fuzz.
import { describe, expect, it } from 'vitest';
import { SERVICES, SHADOW_SERVICES } from '../../scripts/services.ts';
import { buildServicesFuzzer, runServicesBoot } from '../../scripts/fuzz/services.ts';
import { fuzzServices, KINDS } from '../../scripts/fuzz/svctable.ts';
import { fuzzAutochk, fuzzFat, fuzzHives, fuzzImages, mutate, Rng } from '../../scripts/fuzz/formats.ts';
import { execFileSync } from 'node:child_process';

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

/** A service's family: the kernel folder of its routine, win32k for the shadow table. */
function family(name: string): string {
  const s = SERVICES.find((x) => x.name === name);
  if (!s) return 'win32k';
  return s.file.split('/')[0];
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

describe('the format fuzzers', () => {
  it('mutations are deterministic: a seed gives the same bytes', () => {
    const a = new Uint8Array(4096).fill(7), b = new Uint8Array(4096).fill(7);
    const regions = [{ start: 100, end: 4000, weight: 1, name: 'x' }];
    expect(mutate(a, new Rng(42), regions, 20)).toEqual(mutate(b, new Rng(42), regions, 20));
    expect(a).toEqual(b);
    expect(a.some((x) => x !== 7)).toBe(true);
  });

  it('hives, seed 1: mutated SOFTWARE, SAM, SECURITY and DEFAULT (their .ALT intact) load or recover, every hive walked and written', async () => {
    const o = await fuzzHives(1);
    expect(o.what, [o.what, ...o.detail, ...o.last].join('\n')).toMatch(/^ok: 5 hives walked/);
    expect(o.mutations).toBeGreaterThan(4);
  }, 400_000);

  it('fat, seed 3: a mutated volume mounts, is walked and written, no bug check', async () => {
    const o = await fuzzFat(3);
    expect(o.ok, [o.what, ...o.detail, ...o.last].join('\n')).toBe(true);
    expect(o.accepted).toBeUndefined();
    expect(o.what).toMatch(/^ok: files [1-9]/);
  }, 400_000);

  it('autochk, seed 2: three mutated volumes reported, repaired and checked again, no hang or bug check, fsck.fat agrees with the repairs', async () => {
    const o = await fuzzAutochk(2);
    expect(o.ok, [o.what, ...o.detail, ...o.last].join('\n')).toBe(true);
    expect(o.mutations).toBeGreaterThanOrEqual(3);
    expect(o.what).toMatch(/^ok: 9 runs, \d+ repaired volumes fsck\.fat agrees with/);
    if (has('fsck.fat')) expect(Number(/^ok: 9 runs, (\d+) repaired/.exec(o.what)![1])).toBeGreaterThan(0);
    else console.log('fuzz autochk: fsck.fat (dosfstools) is missing: the repaired volumes are not compared with it');
  }, 600_000);

  it('images, seed 1: six mutated images and DLLs, each one reported by the launcher, no bug check', async () => {
    const o = await fuzzImages(1, 6);
    expect(o.ok, [o.what, ...o.detail, ...o.last].join('\n')).toBe(true);
    expect(o.mutations).toBeGreaterThanOrEqual(6);
  }, 600_000);
});

// MD4 and the NT hash, both implementations: the host's (images/registry/md4.ts,
// used for SAM.reg) and lsass's AssemblyScript (run here as WebAssembly),
// against RFC 1320's test suite and published NT hashes; and the SAM and
// SOFTWARE hives the image carries, read back by our reader and by hivexsh.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAssemblyScript } from '../../scripts/asc.ts';
import { ROOT, buildDisk, hivePath, openDisk } from '../../images/build.ts';
import { hex, md4, ntHash } from '../../images/registry/md4.ts';
import { RegfReader } from '../../images/registry/regf-reader.ts';

/** RFC 1320, appendix A.5. */
const RFC1320: Array<[string, string]> = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
];
/** Published NT hashes (e.g. the NTLM examples of Samba's and hashcat's documentation). */
const NT_HASHES: Array<[string, string]> = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['password', '8846f7eaee8fb117ad06bdd830b7586c'],
  ['hashcat', 'b4b9b02e6f09a9bd760f388b67351e2b'],
];
const utf16le = (s: string) => new Uint8Array(Buffer.from(s, 'utf16le'));

describe('MD4 on the host (images/registry/md4.ts)', () => {
  it.each(RFC1320)('RFC 1320: MD4("%s")', (text, digest) => {
    expect(hex(md4(new Uint8Array(Buffer.from(text, 'latin1'))))).toBe(digest);
  });
  it.each(NT_HASHES)('NT hash of "%s"', (password, digest) => {
    expect(hex(ntHash(password))).toBe(digest);
  });
});

describe("lsass's MD4 (AssemblyScript, images/system32/lsass/md4.ts)", () => {
  let run: (data: Uint8Array) => string;
  beforeAll(async () => {
    const { wasm } = await compileAssemblyScript(join(ROOT, 'test/images/programs/md4probe.ts'));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(wasm)), { env: { abort() { throw new Error('abort'); } } });
    const e = instance.exports as { memory: WebAssembly.Memory; hash(d: number, l: number, o: number): void; buffer: WebAssembly.Global; out: WebAssembly.Global };
    run = (data) => {
      const mem = new Uint8Array(e.memory.buffer);
      mem.set(data, e.buffer.value);
      e.hash(e.buffer.value, data.length, e.out.value);
      return hex(mem.slice(e.out.value, e.out.value + 16));
    };
  }, 120000);
  it.each(RFC1320)('RFC 1320: MD4("%s")', (text, digest) => {
    expect(run(new Uint8Array(Buffer.from(text, 'latin1')))).toBe(digest);
  });
  it.each(NT_HASHES)('NT hash of "%s"', (password, digest) => {
    expect(run(utf16le(password))).toBe(digest);
  });
  it('agrees with the host on every length from 0 to 200', () => {
    for (let n = 0; n <= 200; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
      expect(run(data), `length ${n}`).toBe(hex(md4(data)));
    }
  });
});

describe('the SAM and SOFTWARE hives of the image', () => {
  const disk = buildDisk();
  const sam = openDisk(disk).readPath(hivePath('SAM'));
  const software = openDisk(disk).readPath(hivePath('SOFTWARE'));
  const tmp = mkdtempSync(join(tmpdir(), 'sam-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const key = (root: ReturnType<RegfReader['tree']>, path: string) =>
    path.split('\\').reduce((k, name) => { const s = k.subkeys.get(name.toUpperCase()); if (!s) throw new Error(`no ${path}`); return s; }, root);

  it("holds the README's default account with the NT hash of its password", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const m = /default account is\s+`([^`]+)`\s+with\s+the\s+password\s+`([^`]*)`/.exec(readme);
    expect(m, 'the README names the default account').not.toBeNull();
    const [, user, password] = m!;
    const users = key(new RegfReader(sam).tree(), 'SAM\\Domains\\Account\\Users');
    const rid = users.subkeys.get('NAMES')!.subkeys.get(user.toUpperCase())!.values.get('')!.type;
    const account = users.subkeys.get(rid.toString(16).toUpperCase().padStart(8, '0'))!;
    expect(hex(account.values.get('NTHASH')!.data)).toBe(hex(ntHash(password)));
    expect(hex(account.values.get('NTHASH')!.data)).not.toBe(hex(ntHash(password + 'x')));
  });

  it('reads the same in hivexsh (SAM: RID as the Names value type, NTHash; SOFTWARE: Winlogon Shell)', (ctx) => {
    try { execFileSync('sh', ['-c', 'command -v hivexsh'], { stdio: 'pipe' }); } catch {
      console.log('skipped: hivexsh (libhivex-bin) is not installed');
      ctx.skip();
    }
    writeFileSync(join(tmp, 'SAM'), sam);
    writeFileSync(join(tmp, 'SOFTWARE'), software);
    const sh = (file: string, cmds: string) => execFileSync('hivexsh', [join(tmp, file)], { input: cmds, encoding: 'utf8' });
    expect(sh('SAM', 'cd \\SAM\\Domains\\Account\\Users\\Names\\Administrator\nlsval\n').trim()).toBe('"@"=hex(500):');
    const admin = sh('SAM', 'cd \\SAM\\Domains\\Account\\Users\\000001F4\nlsval\n');
    expect(admin).toContain(`"NTHash"=hex(3):${[...ntHash('password')].map((b) => b.toString(16).padStart(2, '0')).join(',')}`);
    expect(sh('SAM', 'cd \\SAM\\Domains\\Account\\Users\\000001F5\nlsval\n')).toContain('"Disabled"=dword:00000001');
    expect(sh('SOFTWARE', 'cd \\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\nlsval\n')).toContain('"Shell"="nsh.exe"');
  });
});

// Tests of the registry source parser (images/registry/regfile.ts), the regf
// hive writer and reader, and interop with hivex (hivexsh, hivexregedit).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_SZ, RegError, type RegKey,
  type RegOp, regDwordData, regFindKey, regMultiSzData, regParse, regQwordData, regSzData, utf16le,
} from '../../images/registry/regfile.ts';
import { DEFAULT_FILETIME, regfChecksum, regfNameHash, regfWrite } from '../../images/registry/regf.ts';
import { RegfReader } from '../../images/registry/regf-reader.ts';
import { buildHive, regExport, regTreeFromSources } from '../../images/registry/hive.ts';

const H = 'Windows Registry Editor Version 5.00\r\n\r\n';
const tmp = mkdtempSync(join(tmpdir(), 'reg-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const values = (ops: RegOp[]) => ops.flatMap((o) => (o.kind === 'value' ? [o.value] : []));
const bytes = (...b: number[]) => Uint8Array.from(b);

function errorOf(text: string): RegError {
  try {
    regParse(text, 'test.reg');
  } catch (e) {
    expect(e).toBeInstanceOf(RegError);
    return e as RegError;
  }
  throw new Error('no error');
}

describe('regParse: value types', () => {
  it('parses strings, dword, hex and every hex(N) type', () => {
    const f = regParse(
      H +
        '[HKEY_LOCAL_MACHINE\\SYSTEM\\Test]\r\n' +
        '"Sz"="hello"\r\n' +
        '@="default"\r\n' +
        '"Dw"=dword:0000002a\r\n' +
        '"Bin"=hex:de,ad,BE,ef\r\n' +
        '"Empty"=hex:\r\n' +
        '"None"=hex(0):01\r\n' +
        '"Sz1"=hex(1):41,00,00,00\r\n' +
        '"Exp"=hex(2):25,00,41,00,25,00,00,00\r\n' +
        '"Multi"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n' +
        '"Q"=hex(b):01,00,00,00,00,00,00,80\r\n' +
        '"Res"=hex(8):00\r\n' +
        '"Big"=hex(a):00\r\n',
      't.reg',
    );
    const v = values(f.ops);
    expect(v.map((x) => [x.name, x.type])).toEqual([
      ['Sz', REG_SZ], ['', REG_SZ], ['Dw', REG_DWORD], ['Bin', REG_BINARY], ['Empty', REG_BINARY], ['None', REG_NONE],
      ['Sz1', REG_SZ], ['Exp', REG_EXPAND_SZ], ['Multi', REG_MULTI_SZ], ['Q', REG_QWORD], ['Res', 8], ['Big', 10],
    ]);
    expect(v[0].data).toEqual(regSzData('hello'));
    expect(v[1].data).toEqual(regSzData('default'));
    expect(v[2].data).toEqual(regDwordData(42));
    expect(v[3].data).toEqual(bytes(0xde, 0xad, 0xbe, 0xef));
    expect(v[4].data).toEqual(bytes());
    expect(v[7].data).toEqual(regSzData('%A%'));
    expect(v[8].data).toEqual(regMultiSzData(['a', 'b']));
    expect(v[9].data).toEqual(regQwordData(0x8000000000000001n));
    expect(f.ops[0]).toEqual({ kind: 'key', path: ['HKEY_LOCAL_MACHINE', 'SYSTEM', 'Test'], line: 3 });
  });

  it('handles escapes, continuations, comments and spacing', () => {
    const f = regParse(
      H +
        '; a comment\n' +
        '[HKEY_LOCAL_MACHINE\\SYSTEM\\K] ; trailing comment\n' +
        '"Path"="C:\\\\Windows\\\\"\n' +
        '"Q\\"uote"="say \\"hi\\""\n' +
        '"Nl"="a\\nb"\n' +
        '"Long"=hex(7):61,00,\\\n' +
        '  62,00,00,00,\\\n' +
        '  00,00\n' +
        '  "Spaced" = dword:1 ; one\n',
      't.reg',
    );
    const v = values(f.ops);
    expect(v[0]).toEqual({ name: 'Path', type: REG_SZ, data: regSzData('C:\\Windows\\') });
    expect(v[1]).toEqual({ name: 'Q"uote', type: REG_SZ, data: regSzData('say "hi"') });
    expect(v[2].data).toEqual(regSzData('a\nb'));
    expect(v[3]).toEqual({ name: 'Long', type: REG_MULTI_SZ, data: regMultiSzData(['ab']) });
    expect(v[4]).toEqual({ name: 'Spaced', type: REG_DWORD, data: regDwordData(1) });
    expect(f.ops.at(-1)!.line).toBe(11);
  });

  it('records key and value deletions', () => {
    const f = regParse(H + '[-HKEY_LOCAL_MACHINE\\SYSTEM\\Old]\n[HKEY_LOCAL_MACHINE\\SYSTEM\\K]\n"Gone"=-\n@=-\n', 't.reg');
    expect(f.ops).toEqual([
      { kind: 'deleteKey', path: ['HKEY_LOCAL_MACHINE', 'SYSTEM', 'Old'], line: 3 },
      { kind: 'key', path: ['HKEY_LOCAL_MACHINE', 'SYSTEM', 'K'], line: 4 },
      { kind: 'deleteValue', path: ['HKEY_LOCAL_MACHINE', 'SYSTEM', 'K'], name: 'Gone', line: 5 },
      { kind: 'deleteValue', path: ['HKEY_LOCAL_MACHINE', 'SYSTEM', 'K'], name: '', line: 6 },
    ]);
  });

  it('decodes UTF-16LE with a BOM and UTF-8 with a BOM', () => {
    const text = H + '[HKEY_LOCAL_MACHINE\\SYSTEM\\K]\r\n"Name"="Zürich \u4e2d"\r\n';
    const u16 = new Uint8Array([0xff, 0xfe, ...utf16le(text)]);
    const u8 = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
    for (const input of [u16, u8, new TextEncoder().encode(text)]) {
      expect(values(regParse(input, 't.reg').ops)[0].data).toEqual(regSzData('Zürich \u4e2d'));
    }
  });

  it('applies operations in order to a tree', () => {
    const tree = regTreeFromSources([
      { fileName: 'a.reg', text: H + '[HKEY_LOCAL_MACHINE\\SYSTEM\\A\\B]\n"x"=dword:1\n"y"=dword:2\n[HKEY_LOCAL_MACHINE\\SYSTEM\\C]\n' },
      { fileName: 'b.reg', text: H + '[-HKEY_LOCAL_MACHINE\\SYSTEM\\C]\n[hkey_local_machine\\system\\a\\b]\n"X"=dword:3\n"y"=-\n' },
    ]);
    expect([...tree.subkeys.keys()]).toEqual(['A']);
    const b = regFindKey(tree, ['a', 'B'])!;
    expect([...b.values.values()]).toEqual([{ name: 'X', type: REG_DWORD, data: regDwordData(3) }]);
    expect(() => regTreeFromSources([{ fileName: 'o.reg', text: H + '[HKEY_CURRENT_USER\\X]\n' }])).toThrow(
      'o.reg:3: key "HKEY_CURRENT_USER\\X" is outside the hive root "HKEY_LOCAL_MACHINE\\SYSTEM"',
    );
  });
});

describe('CurrentControlSet in a SYSTEM overlay', () => {
  const base = { fileName: 'SYSTEM.reg', text: H + '[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n"Current"=dword:00000001\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control]\n"Old"=dword:7\n' };

  it('goes to the control set Select\\Current names, as regedit\'s import would; no literal CurrentControlSet key', () => {
    const tree = regTreeFromSources([base, {
      fileName: 'overlay.reg',
      text: H + '[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager]\n"BootExecute"="x"\n[HKEY_LOCAL_MACHINE\\SYSTEM\\currentcontrolset\\Control]\n"Old"=-\n',
    }]);
    expect([...tree.subkeys.keys()].sort()).toEqual(['CONTROLSET001', 'SELECT']);
    expect(regFindKey(tree, ['ControlSet001', 'Control', 'Session Manager'])!.values.get('BOOTEXECUTE')!.data).toEqual(regSzData('x'));
    expect(regFindKey(tree, ['ControlSet001', 'Control'])!.values.has('OLD')).toBe(false);
  });

  it('follows Select\\Current as it is at that line (2: ControlSet002); without it, the line is an error', () => {
    const tree = regTreeFromSources([base, {
      fileName: 'two.reg',
      text: H + '[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n"Current"=dword:00000002\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services]\n',
    }]);
    expect(regFindKey(tree, ['ControlSet002', 'Services'])).not.toBeNull();
    expect(regFindKey(tree, ['CurrentControlSet'])).toBeNull();
    expect(() => regTreeFromSources([{ fileName: 'bare.reg', text: H + '[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\X]\n' }])).toThrow(
      'bare.reg:3: names CurrentControlSet, but the hive has no Select\\Current DWORD to say which control set that is',
    );
    // Other hives keep the name as it is.
    const software = regTreeFromSources([{ fileName: 's.reg', text: H + '[HKEY_LOCAL_MACHINE\\SOFTWARE\\CurrentControlSet]\n' }], 'HKEY_LOCAL_MACHINE\\SOFTWARE');
    expect(regFindKey(software, ['CurrentControlSet'])).not.toBeNull();
  });
});

describe('regParse: errors name the file, line and problem', () => {
  const K = '[HKEY_LOCAL_MACHINE\\SYSTEM\\K]\n';
  it.each([
    ['REGEDIT4\n', 1, 'expected the header'],
    [H + K + '"a"=dword:123456789\n', 4, 'bad dword for value "a"'],
    [H + K + '"a"=dword:xyz\n', 4, 'bad dword'],
    [H + K + '"a"=hex:01,0g\n', 4, 'bad hex for value "a": "0g" at byte 1'],
    [H + K + '"a"=hex:01,,02\n', 4, 'bad hex'],
    [H + K + '"a"=hex(zz):01\n', 4, 'bad type number'],
    [H + K + '"a"=qword:01\n', 4, 'unknown value type "qword"'],
    [H + K + '"a"="open\n', 4, 'unterminated string'],
    [H + K + '"a"="bad \\q"\n', 4, 'unknown escape "\\q"'],
    [H + K + '"a"="x" junk\n', 4, 'unexpected text after the value'],
    [H + K + '"a" dword:1\n', 4, 'expected "="'],
    [H + K + 'garbage\n', 4, 'expected "[key]"'],
    [H + '"a"=dword:1\n', 3, 'value line outside a key'],
    [H + '[HKEY_LOCAL_MACHINE\\SYSTEM\\K\n', 3, 'no closing "]"'],
    [H + '[HKEY_LOCAL_MACHINE\\\\K]\n', 3, 'empty component'],
    [H + K + '@=@\n', 4, 'malformed data for default value'],
    [H + K + '"a"=hex:01,\\', 4, 'continues past the end of the file'],
    [H + K + '"a"=hex:01,\\\n\n', 4, 'continues onto an empty line'],
  ])('%j', (text, line, reason) => {
    const e = errorOf(text);
    expect(e.line).toBe(line);
    expect(e.fileName).toBe('test.reg');
    expect(e.message).toContain(`test.reg:${line}: `);
    expect(e.reason).toContain(reason);
  });
  it('an empty file', () => {
    expect(() => regParse('', 'e.reg')).toThrow('e.reg: empty file');
  });
});

const SAMPLE =
  H +
  '[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\r\n"Current"=dword:00000001\r\n"Default"=dword:00000001\r\n"LastKnownGood"=dword:00000002\r\n\r\n' +
  '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control]\r\n"SystemStartOptions"="DEBUG"\r\n@="root default"\r\n' +
  '"Empty"=""\r\n"Tiny"=hex:aa\r\n"Bin5"=hex:01,02,03,04,05\r\n"Path"=hex(2):25,00,53,00,79,00,73,00,25,00,00,00\r\n' +
  '"Q"=hex(b):ff,ee,dd,cc,bb,aa,99,88\r\n"Unicodé\u4e2d"="v"\r\n"NoneVal"=hex(0):\r\n\r\n' +
  '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager]\r\n' +
  '"BootExecute"=hex(7):61,00,75,00,74,00,6f,00,63,00,68,00,6b,00,20,00,2a,00,00,00,00,00\r\n' +
  '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager\\Subsystems]\r\n"Windows"="csrss.exe"\r\n' +
  '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Ünï\u4e2d]\r\n';

function expectSameTree(a: RegKey, b: RegKey): void {
  expect(a.name).toBe(b.name);
  // Order-insensitive: hivexregedit sorts values by name.
  const vals = (k: RegKey) => [...k.values.values()].map((v) => [v.name, v.type, [...v.data]]).sort((x, y) => (x[0] < y[0] ? -1 : 1));
  expect(vals(a)).toEqual(vals(b));
  expect(new Set(a.subkeys.keys())).toEqual(new Set(b.subkeys.keys()));
  for (const [k, c] of a.subkeys) expectSameTree(c, b.subkeys.get(k)!);
}

describe('regf writer and reader', () => {
  it('base block fields and checksum', () => {
    const hive = buildHive(SAMPLE, 'SYSTEM.reg');
    const r = new RegfReader(hive);
    expect(r.header).toMatchObject({ sequence1: 1, sequence2: 1, major: 1, minor: 5, fileType: 0, fileName: '\\SystemRoot\\System32\\Config\\SYSTEM'.slice(-31) });
    expect(hive.length).toBe(4096 + r.header.binsSize);
    expect(r.header.binsSize % 4096).toBe(0);
    expect(regfChecksum(hive)).toBe(r.header.checksum);
    expect(new DataView(hive.buffer).getBigUint64(0x0c, true)).toBe(DEFAULT_FILETIME);
    hive[0x100] ^= 1;
    expect(() => new RegfReader(hive)).toThrow('checksum');
  });

  it('checksum special cases', () => {
    const b = new Uint8Array(512);
    expect(regfChecksum(b)).toBe(1);
    new DataView(b.buffer).setUint32(0, 0xffffffff, true);
    expect(regfChecksum(b)).toBe(0xfffffffe);
  });

  it('lh hash', () => {
    expect(regfNameHash('ab')).toBe(((0x41 * 37) + 0x42) >>> 0);
    expect(regfNameHash('Select')).toBe(regfNameHash('SELECT'));
  });

  it.each([3, 5] as const)('round trips a tree (format 1.%d)', (minor) => {
    const tree = regTreeFromSources([{ text: SAMPLE, fileName: 's.reg' }]);
    const r = new RegfReader(regfWrite(tree, { minor }));
    expectSameTree(r.tree(), tree);
    const root = r.key(r.header.rootOffset);
    expect(root.flags & 0x2c).toBe(0x2c); // compressed name, hive entry, no delete
  });

  it('round trips big data, many subkeys (ri), many values and class names', () => {
    const tree = regTreeFromSources([{ text: H + '[HKEY_LOCAL_MACHINE\\SYSTEM\\Many]\n', fileName: 'm.reg' }]);
    const many = tree.subkeys.get('MANY')!;
    for (let i = 0; i < 1300; i++) {
      const n = `Key${i.toString().padStart(4, '0')}`;
      many.subkeys.set(n.toUpperCase(), { name: n, values: new Map(), subkeys: new Map() });
    }
    many.className = 'MyClass';
    for (let i = 0; i < 200; i++) many.values.set(`V${i}`, { name: `v${i}`, type: REG_DWORD, data: regDwordData(i) });
    const big = new Uint8Array(40000).map((_, i) => i * 7);
    many.values.set('BIG', { name: 'Big', type: REG_BINARY, data: big });
    for (const minor of [3, 5] as const) {
      const r = new RegfReader(regfWrite(tree, { minor }));
      const t = r.tree();
      expectSameTree(t, tree);
      expect(t.subkeys.get('MANY')!.className).toBe('MyClass');
      expect(t.subkeys.get('MANY')!.values.get('BIG')!.data).toEqual(big);
    }
  });

  it('exports back to .reg text that parses to the same tree', () => {
    const tree = regTreeFromSources([{ text: SAMPLE, fileName: 's.reg' }]);
    const text = regExport(new RegfReader(regfWrite(tree)).tree());
    expectSameTree(regTreeFromSources([{ text, fileName: 'export.reg' }]), tree);
  });
});

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

describe('interop with hivex', () => {
  const hivePath = join(tmp, 'SYSTEM');
  writeFileSync(hivePath, buildHive(SAMPLE, 'SYSTEM.reg'));
  const sh = (cmds: string) => execFileSync('hivexsh', [hivePath], { input: cmds, encoding: 'utf8' });

  it('hivexsh lists keys and values', (ctx) => {
    if (!have('hivexsh')) {
      console.log('skipped: hivexsh not found (apt-get install libhivex-bin)');
      ctx.skip();
    }
    expect(sh('ls\n').trim().split('\n')).toEqual(['ControlSet001', 'Select']);
    expect(sh('cd \\ControlSet001\\Control\nls\n').trim()).toBe('Session Manager');
    expect(sh('cd \\Select\nlsval\n').trim().split('\n')).toEqual(['"Current"=dword:00000001', '"Default"=dword:00000001', '"LastKnownGood"=dword:00000002']);
    const control = sh('cd \\ControlSet001\\Control\nlsval\n');
    expect(control).toContain('"SystemStartOptions"="DEBUG"');
    expect(control).toContain('"@"="root default"');
    expect(control).toContain('"Tiny"=hex(3):aa');
    expect(control).toContain('"Bin5"=hex(3):01,02,03,04,05');
    expect(control).toContain('"Path"=str(2):"%Sys%"'); // hivexsh prints REG_EXPAND_SZ as text
    expect(control).toContain('"Q"=hex(11):ff,ee,dd,cc,bb,aa,99,88'); // hivexsh prints the type in decimal
    expect(control).toContain('"Unicodé\u4e2d"="v"');
    expect(control).toContain('"NoneVal"=hex(0):');
    expect(sh('cd \\ControlSet001\\Control\\Session Manager\\Subsystems\nlsval\n').trim()).toBe('"Windows"="csrss.exe"');
    expect(sh('cd \\ControlSet001\\Services\nls\n').trim()).toBe('Ünï\u4e2d');
  });

  it('hivexsh and hivexget read ri subkey indexes and db big data', (ctx) => {
    if (!have('hivexsh') || !have('hivexget')) {
      console.log('skipped: hivexsh or hivexget not found (apt-get install libhivex-bin)');
      ctx.skip();
    }
    const tree = regTreeFromSources([{ text: H + '[HKEY_LOCAL_MACHINE\\SYSTEM\\Many]\n', fileName: 'm.reg' }]);
    const many = tree.subkeys.get('MANY')!;
    for (let i = 0; i < 1100; i++) many.subkeys.set(`K${i}`, { name: `K${i}`, values: new Map(), subkeys: new Map() });
    const big = new Uint8Array(20000).map((_, i) => i);
    many.values.set('BIG', { name: 'Big', type: REG_BINARY, data: big });
    for (const minor of [3, 5] as const) {
      const path = join(tmp, `many-${minor}`);
      writeFileSync(path, regfWrite(tree, { minor }));
      const ls = execFileSync('hivexsh', [path], { input: 'cd \\Many\nls\n', encoding: 'utf8' }).trim().split('\n');
      expect(ls.length).toBe(1100);
      const got = execFileSync('hivexget', [path, '\\Many', 'Big'], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim();
      expect(got.length).toBeGreaterThan(0);
      const dump = execFileSync('hivexsh', [path], { input: 'cd \\Many\nlsval\n', encoding: 'utf8', maxBuffer: 1 << 20 }).trim();
      expect(dump).toBe(`"Big"=hex(3):${[...big].map((b) => b.toString(16).padStart(2, '0')).join(',')}`);
    }
  });

  it('hivexregedit --export gives back the same tree', (ctx) => {
    if (!have('hivexregedit')) {
      console.log('skipped: hivexregedit not found (apt-get install libwin-hivex-perl)');
      ctx.skip();
    }
    const out = execFileSync('hivexregedit', ['--export', '--prefix', 'HKEY_LOCAL_MACHINE\\SYSTEM', hivePath, '\\'], { encoding: 'utf8' });
    const back = regTreeFromSources([{ text: out, fileName: 'hivexregedit-export.reg' }]);
    expectSameTree(back, regTreeFromSources([{ text: SAMPLE, fileName: 's.reg' }]));
  });
});

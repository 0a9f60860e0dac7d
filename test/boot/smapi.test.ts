// The SM API's remaining requests on the real boot (the real smss, csrss,
// winlogon): a driver run async from BootExecute (programs/smapicli.ts)
// loads a deferred subsystem (SubSystems\Optional = Posix, a test program
// with its own SbApiPort that makes and ends a foreign session), starts and
// stops a session's csrss (StartCsr, StopCsr), sends malformed requests,
// then asks \SmSsWinStationApiPort for a session whose winlogon draws its
// logon screen in that session's own screen buffer, and shows session 1
// again: session 1's screen is what it was.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { msg } from './usermode.ts';

const SM = 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager';
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(',');
const multi = (list: string[]) => `hex(7):${hexBytes(new Uint8Array(Buffer.from(list.map((s) => `${s}\0`).join('') + '\0', 'utf16le')))}`;
const expand = (s: string) => `hex(2):${hexBytes(new Uint8Array(Buffer.from(`${s}\0`, 'utf16le')))}`;

describe('the SM API: LoadDeferedSubsystem, foreign sessions, StartCsr, StopCsr; a new session\'s own screen', () => {
  let lines: string[] = [];
  let cli: string[] = [];
  let sub: string[] = [];
  let screen1: string[] | undefined;
  const screens = new Map<number, string[]>();
  let final: string[] = [];
  let screen2: string[] | undefined;

  beforeAll(async () => {
    const kernel = (await buildKernel({ write: false })).kernelImage;
    const system32 = await buildSystem32();
    const files = new Map<string, Uint8Array>([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b]));
    for (const name of ['smapicli.exe', 'smapisub.exe', 'smapikid.exe']) {
      files.set(`\\Windows\\System32\\${name}`, (await buildUserImage('test/boot/programs/smapicli.ts', { name })).bytes);
    }
    const reg = `[${SM}]\r\n"BootExecute"=${multi(['autocheck autochk *', 'async smapicli'])}\r\n\r\n`
      + `[${SM}\\SubSystems]\r\n"Optional"=${multi(['Posix'])}\r\n"Posix"=${expand('%SystemRoot%\\system32\\smapisub.exe')}\r\n`;
    const disk = buildDisk({ files, overlays: [{ text: `Windows Registry Editor Version 5.00\r\n\r\n${reg}`, fileName: 'smapi-test.reg' }] });
    let machine: { screen(): { rows: string[] } | undefined } | undefined;
    const r = await boot({
      kernel, disk, until: 'smapicli: done', timeoutMs: 600000, memoryMB: 64, screen: true,
      onReady: (m) => { machine = m; },
      onLine: (line) => {
        const text = line.replace(/^\[[ 0-9.]+\] /, '');
        if (text === 'winlogon: session 1: user name:' && !screen1) screen1 = machine?.screen()?.rows;
        const m = /^winlogon: session (\d+): user name:$/.exec(text);
        if (m && !screens.has(+m[1])) screens.set(+m[1], machine?.screen()?.rows ?? []);
      },
    });
    lines = msg(r.lines);
    if (process.env.SMAPI_LOG) console.log(lines.join('\n'));
    expect(r.stop, lines.join('\n')).toBeUndefined();
    expect(r.reached, lines.join('\n')).toBe(true);
    cli = lines.filter((l) => l.startsWith('smapicli: ')).map((l) => l.slice(10));
    sub = lines.filter((l) => l.startsWith('smapisub: ')).map((l) => l.slice(10));
    final = r.screen?.rows ?? [];
    screen2 = screens.get(4);
  }, 900000);


  it('LoadDeferedSubsystem starts an Optional subsystem once; it connects, smss connects back; unknown and malformed names are refused', () => {
    expect(cli.slice(0, 9), lines.join('\n')).toEqual([
      'create event 0x00000000',
      'connect to \\SmApiPort 0x00000000',
      'load Posix 0x00000000',
      'the subsystem\'s foreign sessions are done 0x00000000',
      'load Posix again 0x00000000',
      'load Os2 (not Optional) 0xC0000034',
      'load a name of odd length 0xC000000D',
      'load a name too long 0xC000000D',
      'create foreign session, not a subsystem 0xC000000D',
    ]);
    const started = lines.filter((l) => /^smss: LoadDeferedSubsystem: Posix for process \d+: C:\\Windows\\system32\\smapisub\.exe \(process \d+\), waiting for it to connect$/.test(l));
    expect(started).toHaveLength(1);
    expect(lines.find((l) => /^smss: SM API: the deferred subsystem \(process \d+\) connected; smss connected back to \\SmApiTestSbApiPort$/.test(l)), lines.join('\n')).toBeDefined();
    expect(lines.find((l) => /^smss: LoadDeferedSubsystem: Posix \(for process \d+\): already running$/.test(l))).toBeDefined();
    expect(lines.find((l) => /^smss: LoadDeferedSubsystem: Os2 \(for process \d+\): not an Optional subsystem - Status == 0xC0000034$/.test(l))).toBeDefined();
  });

  it('a subsystem makes a foreign session and ends it: smss tells it with SbForeignSessionComplete on its own SbApiPort', () => {
    expect(sub.filter((l) => !l.startsWith('sb ')), lines.join('\n')).toEqual([
      'create SbApiPort 0x00000000',
      'start its thread 0x00000000',
      'connect to \\SmApiPort as a subsystem 0x00000000',
      'create foreign session 0x00000000',
      'its id 0x00000100',
      'terminate foreign session 0x00000000',
      'terminate it again 0xC000000D',
      'open the driver\'s event 0x00000000',
    ]);
    expect(sub.filter((l) => l.startsWith('sb api '))).toEqual(['sb api 0x00000002 session 0x00000100 status 0x00001234']);
    expect(sub.find((l) => l.startsWith('sb connection from process 0x'))).toBeDefined();
  });

  it('StartCsr makes a session with its csrss and winlogon (or the given initial command); StopCsr ends that csrss; the boot sessions are refused', () => {
    expect(cli.slice(9, 31), lines.join('\n')).toEqual([
      'start csr 0x00000000',
      'session 0x00000002',
      'its csrss is in it 0x00000001',
      'its winlogon is in it 0x00000001',
      'stop csr 0x00000000',
      'its csrss ended 0x00000000',
      'stop csr again 0xC000000D',
      'stop csr of session 1 0xC0000022',
      'stop csr of session 0 0xC0000022',
      'stop csr of a session nobody made 0xC000000D',
      'start csr with an initial command 0x00000000',
      'session 0x00000003',
      'the initial command is in it 0x00000001',
      'start csr, odd length 0xC000000D',
      'start csr, too long 0xC000000D',
      'a short request 0xC000000D',
      'api 7 0xC0000002',
      'connect to \\SmSsWinStationApiPort 0x00000000',
      'winstation 0x00000000',
      'return 0x00000000',
      'session 0x00000004',
      'its winlogon made it the active session 0x00000001',
    ]);
    expect(lines.find((l) => /^smss: session 2: made by StartCsr of process \d+: csrss \(process \d+\), winlogon \(process \d+\)$/.test(l))).toBeDefined();
    expect(lines.find((l) => /^smss: StopCsr: session 2 for process \d+: csrss \(process \d+\) ended$/.test(l))).toBeDefined();
    expect(lines).toContain('smapikid: session 0x00000003 hello');
    expect(lines.find((l) => /^winlogon: session 2: logon screen$/.test(l))).toBeDefined();
    // smss survived everything: it still answers.
    expect(cli.at(-1)).toBe('done');
  });

  it('session 4\'s winlogon draws in session 4\'s screen; session 1\'s screen is unchanged and comes back on VGA', () => {
    expect(cli.slice(31)).toEqual(['switch to session 1 0x00000000', 'done']);
    expect(screen1, 'session 1\'s logon screen was seen').toBeDefined();
    expect(screen1!.join('\n')).toContain('Session: 1');
    expect(screen2, 'session 4\'s logon screen was seen').toBeDefined();
    expect(screen2!.join('\n')).toContain('Session: 4');
    expect(screen2!.join('\n')).not.toContain('Session: 1');
    // Back on session 1: its buffer as it was, nothing of session 4's.
    expect(final.join('\n')).toContain('Session: 1');
    expect(final.join('\n')).not.toContain('Session: 4');
    expect(final.slice(0, 6)).toEqual(screen1!.slice(0, 6));
  });
});

// csrss.exe on the emulated machine: smss starts it from BootExecute (async)
// with the Windows value's command line and a test object directory; a
// client (programs/csrcli.ts, a PE32 importing ntdll) connects with ntdll's
// CsrClientConnectToServer over a port view, calls base server APIs (one
// with a capture buffer), sends hostile messages, and raises hard errors
// that reach csrss through the kernel's default hard error port. A client
// built by MinGW (test/mingw/csrmingw.c, its own C layouts, MinGW's
// libntdll.a) does the same from another toolchain.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { msg } from './usermode.ts';
import { mingwPrograms } from '../mingw/build.ts';

const built = mingwPrograms();
const mingwMissing = 'missing' in built ? built.missing : undefined;

const SM = 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager';
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(',');
const multi = (list: string[]) => `hex(7):${hexBytes(new Uint8Array(Buffer.from(list.map((s) => `${s}\0`).join('') + '\0', 'utf16le')))}`;
const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;

const COMMAND = 'ObjectDirectory=\\CsrTest SharedSection=1024,3072,512 Windows=On SubSystemType=Windows ServerDll=basesrv,1 '
  + 'ServerDll=winsrv:UserServerDllInitialization,3 ProfileControl=Off MaxRequestThreads=16 Bogus MaxRequestThreads=lots';

describe('csrss', () => {
  let lines: string[] = [];
  let csrss: string[] = [];
  let cli: string[] = [];
  let mingw: string[] = [];
  let screen = '';
  let cliSession: string[] = [];
  let csrssPid = 0;
  let cliPid = 0;

  beforeAll(async () => {
    const kernel = (await buildKernel({ write: false })).kernelImage;
    const system32 = await buildSystem32();
    const client = (await buildUserImage('test/boot/programs/csrcli.ts', { name: 'csrcli.exe' })).bytes;
    const files = new Map<string, Uint8Array>([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b]));
    files.set('\\Windows\\System32\\csrcli.exe', client);
    const steps = ['autocheck autochk *', `async csrss ${COMMAND}`, 'csrcli \\CsrTest'];
    if ('images' in built) { files.set('\\Windows\\System32\\csrmingw.exe', built.images.get('csrmingw.exe')!); steps.push('csrmingw'); }
    steps.push('csrcli session');
    const overlay = `[${SM}]\r\n"BootExecute"=${multi(steps)}\r\n`;
    const disk = buildDisk({ files, overlays: [{ text: `Windows Registry Editor Version 5.00\r\n\r\n${overlay}`, fileName: 'csrss-test.reg' }] });
    const r = await boot({ kernel, disk, until: 'csrcli: session done', timeoutMs: 300000, screen: true });
    screen = r.screen?.rows.join('') ?? '';
    lines = msg(r.lines);
    expect(r.stop, lines.join('\n')).toBeUndefined();
    expect(r.reached, lines.join('\n')).toBe(true);
    if (process.env.CSRSS_LOG) console.log(lines.join('\n'));
    csrss = lines.filter((l) => l.startsWith('csrss: ')).map((l) => l.slice(7));
    const all = lines.filter((l) => l.startsWith('csrcli: ')).map((l) => l.slice(8));
    cli = all.slice(0, all.indexOf('done') + 1);
    cliSession = all.slice(all.indexOf('done') + 1);
    mingw = lines.filter((l) => l.startsWith('csrmingw: ')).map((l) => l.slice(10));
    csrssPid = Number(lines.map((l) => /^ps: process (\d+) \(csrss\.exe\) created/.exec(l)).find((m) => m)?.[1]);
    cliPid = Number(lines.map((l) => /^ps: process (\d+) \(csrcli\.exe\) created/.exec(l)).find((m) => m)?.[1]);
  }, 600000);

  it('parses its command line, logs what it skips, makes its directory and both ports, connects to \\SmApiPort as the Windows subsystem', () => {
    expect(csrss).toContain('command line: "Bogus" is not Name=Value - skipped');
    expect(csrss).toContain('command line: MaxRequestThreads "lots" is not 1-256 - skipped');
    expect(csrss).toContain('session 0: command line: 8 parts taken, 2 skipped: ObjectDirectory=\\CsrTest SharedSection=1024,3072,512 Windows=On '
      + 'ServerDll=basesrv (1), winsrv (3) ProfileControl=Off MaxRequestThreads=16');
    expect(csrss).toContain('session 0: ApiPort \\CsrTest\\ApiPort ready, SbApiPort \\CsrTest\\SbApiPort (the directory made)');
    expect(csrss.find((l) => l.startsWith('session 0: connected to \\SmApiPort as the Windows subsystem (SbApiPort \\CsrTest\\SbApiPort): 0x'))).toBeDefined();
    // smss saw the connection: from csrss's process, with SB_CONNECTION_INFO of subsystem type 2.
    expect(lines.find((l) => l.startsWith(`smss: SM API: connection from process ${csrssPid} with connection information (subsystem type 2)`)), lines.join('\n')).toBeDefined();
    expect(lines).toContain(`ex: session 0: default hard error port set by csrss.exe (pid ${csrssPid})`);
    expect(csrss).toContain('session 0: default hard error port: 0x00000000');
  });

  it('a client connects with CsrClientConnectToServer over a port view and gets answers', () => {
    expect(csrss).toContain(`session 0: process ${cliPid} connected, port view of 0x00010000 bytes`);
    expect(cli.slice(0, 24)).toEqual([
      'connect 0x00000000',
      'server to server 0x00000000',
      `csrss process ${hex(csrssPid)}`,
      'connect again, csrsrv 0x00000000',
      'get temp file 0x00000000',
      'get temp file again 0x00000000',
      'the second number follows the first 0x00000001',
      'set shutdown parameters 0x00000000',
      'get shutdown parameters 0x00000000',
      'shutdown level 0x00000280',
      'shutdown flags 0x00000001',
      'define Q: 0x00000000',
      'pointers back to mine 0x00000001',
      'open \\??\\Q: 0x00000000',
      '\\??\\Q: -> \\Device\\Null',
      'remove Q: 0x00000000',
      'open \\??\\Q: after the removal 0xC0000034',
      'a server csrss did not load 0xC00000AF',
      'a base API past the last 0xC00000AF',
      'a base API csrss has not 0xC0000002',
      'raw connect 0x00000000',
      'csrss answered with its process id 0x00000001',
      'capture buffer outside the view 0x00000000 0xC000000D',
      'a captured pointer outside its buffer 0x00000000 0xC000000D',
    ]);
    expect(cli.slice(24, 30)).toEqual([
      'a pointer offset past the message 0x00000000 0xC000000D',
      'a request too short 0x00000000 0x0000DEAD',
      'connect without connection information 0xC0000041',
      'connect without a port view 0x00000000',
      'a capture buffer without a view 0x00000000 0xC000000D',
      'no capture buffer, no view 0x00000000 0x00000000',
    ]);
    expect(csrss).toContain(`session 0: process ${cliPid}: API 1:5 -> 0xC000000D`); // the request too short
    expect(csrss).toContain(`session 0: process ${cliPid} refused: no CSR_API_CONNECTINFO`);
    expect(csrss).toContain(`session 0: process ${cliPid} connected without a port view`);
    expect(csrss).toContain(`session 0: process ${cliPid}: API 0:0 -> 0x00000000`); // CsrpClientConnect for basesrv
    expect(csrss).toContain(`session 0: process ${cliPid}: API 1:23 -> 0x00000000`); // DefineDosDevice
  });

  it('hard errors from a program reach csrss through the kernel and are answered with the default button', () => {
    expect(cli.slice(30)).toEqual([
      'enable SeLoadDriverPrivilege 0x00000000',
      'load win32k.sys 0x00000000',
      'hard error, OptionOk 0x00000000',
      'response 0x00000006',
      'hard error, OptionYesNo 0x00000000',
      'response 0x00000008',
      'done',
    ]);
    expect(csrss).toContain(`session 0: hard error 0xC0000135 from process ${cliPid} (options 1): {Unable To Locate Component} This application has failed to start `
      + 'because missing.dll was not found. Re-installing the application may fix this problem.: ResponseOk');
    expect(csrss).toContain(`session 0: hard error 0xC0000001 from process ${cliPid} (options 4): Unknown Hard Error 0x00000011 0x00000022: ResponseYes`);
    // On the session's screen too (win32k is loaded in session 0 by then).
    expect(screen).toContain('{Unable To Locate Component} This application has failed to start because missing.dll was not found. '
      + 'Re-installing the application may fix this problem.: ResponseOk');
    expect(screen).toContain('Unknown Hard Error 0x00000011 0x00000022: ResponseYes');
    // Sent to csrss, not logged by the kernel as unhandled.
    expect(lines.find((l) => l.startsWith('ex: hard error '))).toBeUndefined();
  });

  it('a client built by MinGW: its own PORT_VIEW and CSR layouts, ntdll\'s Csr* through libntdll.a', (ctx) => {
    if (mingwMissing) { console.log(`skipped: ${mingwMissing}`); ctx.skip(); }
    expect(mingw, lines.join('\n')).toEqual([
      'create section 0x00000000',
      'raw connect with a port view 0x00000000',
      'view size 0x00010000, base set, remote base set, no server view 0x00000000',
      'connection information length 0x00000024, server dlls 0x00000002',
      'CsrClientConnectToServer 0x00000000',
      'csrss is the process that answered the raw connection 0x00000001',
      'GetTempFile 0x00000000',
      'unique id nonzero 0x00000001',
      'DefineDosDevice M: 0x00000000',
      'open \\??\\M: 0x00000000',
      '\\??\\M: -> \\Device\\Null',
      'hard error 0x00000000',
      'response 0x00000006',
    ]);
    const pid = Number(lines.map((l) => /^ps: process (\d+) \(csrmingw\.exe\) created/.exec(l)).find((m) => m)?.[1]);
    expect(csrss).toContain(`session 0: hard error 0xC0000139 from process ${pid} (options 2): {Entry Point Not Found} The procedure entry point `
      + 'MissingEntry could not be located in the dynamic link library mathlib.dll.: ResponseOk');
    expect(lines.find((l) => /^smss: BootExecute: csrmingw \(process \d+, exit 0x00005A5A\)$/.test(l)), lines.join('\n')).toBeDefined();
  });

  it('a csrss in a new session uses \\Sessions\\<n>\\Windows and takes that session\'s hard errors', () => {
    expect(cliSession, lines.join('\n')).toEqual([
      'enable SeLoadDriverPrivilege 0x00000000',
      'create a session 0x00000000',
      'session 0x00000001',
      'process parameters 0x00000000',
      'start csrss 0x00000000',
      'resume 0x00000000',
      'connect to the session\'s csrss 0x00000000',
      'csrss is the one started 0x00000001',
      'get temp file 0x00000000',
      'hard error 0x00000000',
      'response 0x00000006',
      'session done',
    ]);
    const created = (image: string) => lines.map((l) => new RegExp(`^ps: process (\\d+) \\(${image}\\) created .*session (\\d+)$`).exec(l)).filter((m) => m);
    const session1Csrss = Number(created('csrss\\.exe').find((m) => m![2] === '1')?.[1]);
    const sessionClient = Number(created('csrcli\\.exe')[1]?.[1]);
    expect(session1Csrss).toBeGreaterThan(0);
    expect(session1Csrss).not.toBe(csrssPid);
    expect(csrss).toContain('session 1: command line: 2 parts taken, 0 skipped: ObjectDirectory=\\Sessions\\1\\Windows SharedSection=0,0,0 '
      + 'Windows=Off ServerDll=basesrv (1) ProfileControl=Off MaxRequestThreads=16');
    expect(csrss).toContain('session 1: ApiPort \\Sessions\\1\\Windows\\ApiPort ready, SbApiPort \\Sessions\\1\\Windows\\SbApiPort (the directory existed)');
    expect(lines).toContain(`ex: session 1: default hard error port set by csrss.exe (pid ${session1Csrss})`);
    expect(csrss).toContain(`session 1: hard error 0xC0000135 from process ${sessionClient} (options 1): {Unable To Locate Component} This application has `
      + 'failed to start because session.dll was not found. Re-installing the application may fix this problem.: ResponseOk');
    // Session 0's csrss took none of session 1's.
    expect(csrss.filter((l) => l.startsWith('session 0: hard error ') && l.includes('session.dll'))).toEqual([]);
  });
});

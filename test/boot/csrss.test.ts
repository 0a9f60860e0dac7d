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
  + 'ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=winsrv:ConServerDllInitialization,2 ProfileControl=Off MaxRequestThreads=16 Bogus MaxRequestThreads=lots';

describe('csrss', () => {
  let lines: string[] = [];
  let csrss: string[] = [];
  let cli: string[] = [];
  let mingw: string[] = [];
  let screen = '';
  let cliSession: string[] = [];
  let csrssPid = 0;
  let cliPid = 0;
  let sb: string[] = [];
  let rows: string[] = [];
  let attributes: Uint8Array[] = [];
  let kids: string[] = [];

  beforeAll(async () => {
    const kernel = (await buildKernel({ write: false })).kernelImage;
    const system32 = await buildSystem32();
    const client = (await buildUserImage('test/boot/programs/csrcli.ts', { name: 'csrcli.exe' })).bytes;
    const files = new Map<string, Uint8Array>([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b]));
    files.set('\\Windows\\System32\\csrcli.exe', client);
    for (const name of ['csrsb.exe', 'csrsbkid.exe']) files.set(`\\Windows\\System32\\${name}`, (await buildUserImage('test/boot/programs/csrsb.ts', { name })).bytes);
    const steps = ['autocheck autochk *', `async csrss ${COMMAND}`, 'csrcli \\CsrTest'];
    if ('images' in built) { files.set('\\Windows\\System32\\csrmingw.exe', built.images.get('csrmingw.exe')!); steps.push('csrmingw'); }
    steps.push('csrsb \\CsrTest', 'csrcli session', 'csrsb \\Sessions\\1\\Windows', 'csrsb \\CsrTest poweroff');
    const overlay = `[${SM}]\r\n"BootExecute"=${multi(steps)}\r\n`;
    const disk = buildDisk({ files, overlays: [{ text: `Windows Registry Editor Version 5.00\r\n\r\n${overlay}`, fileName: 'csrss-test.reg' }] });
    const r = await boot({ kernel, disk, until: 'ke: power off (NtShutdownSystem)', timeoutMs: 300000, screen: true });
    screen = r.screen?.rows.join('') ?? '';
    rows = r.screen?.rows ?? [];
    attributes = r.screen?.attributes ?? [];
    lines = msg(r.lines);
    expect(r.stop, lines.join('\n')).toBeUndefined();
    expect(r.reached, lines.join('\n')).toBe(true);
    if (process.env.CSRSS_LOG) console.log(lines.join('\n'));
    csrss = lines.filter((l) => l.startsWith('csrss: ')).map((l) => l.slice(7));
    const all = lines.filter((l) => l.startsWith('csrcli: ')).map((l) => l.slice(8));
    cli = all.slice(0, all.indexOf('done') + 1);
    cliSession = all.slice(all.indexOf('done') + 1);
    mingw = lines.filter((l) => l.startsWith('csrmingw: ')).map((l) => l.slice(10));
    sb = lines.filter((l) => l.startsWith('csrsb: ')).map((l) => l.slice(7));
    kids = lines.filter((l) => l.startsWith('csrsbkid: ')).map((l) => l.slice(10));
    csrssPid = Number(lines.map((l) => /^ps: process (\d+) \(csrss\.exe\) created/.exec(l)).find((m) => m)?.[1]);
    cliPid = Number(lines.map((l) => /^ps: process (\d+) \(csrcli\.exe\) created/.exec(l)).find((m) => m)?.[1]);
  }, 600000);

  it('parses its command line, logs what it skips, makes its directory and both ports, connects to \\SmApiPort as the Windows subsystem', () => {
    expect(csrss).toContain('command line: "Bogus" is not Name=Value - skipped');
    expect(csrss).toContain('command line: MaxRequestThreads "lots" is not 1-256 - skipped');
    expect(csrss).toContain('session 0: command line: 9 parts taken, 2 skipped: ObjectDirectory=\\CsrTest SharedSection=1024,3072,512 Windows=On '
      + 'ServerDll=basesrv (1), winsrv (3), winsrv (2) ProfileControl=Off MaxRequestThreads=16');
    expect(csrss).toContain('session 0: ApiPort \\CsrTest\\ApiPort ready, SbApiPort \\CsrTest\\SbApiPort (the directory made)');
    expect(csrss.find((l) => l.startsWith('session 0: connected to \\SmApiPort as the Windows subsystem (SbApiPort \\CsrTest\\SbApiPort): 0x'))).toBeDefined();
    // smss saw the connection: from csrss's process, with SB_CONNECTION_INFO of subsystem type 2.
    expect(lines.find((l) => l.startsWith(`smss: SM API: connection from process ${csrssPid} with connection information (subsystem type 2)`)), lines.join('\n')).toBeDefined();
    expect(lines).toContain(`ex: session 0: default hard error port set by csrss.exe (pid ${csrssPid})`);
    expect(csrss).toContain('session 0: default hard error port: 0x00000000');
  });

  it('a client connects with CsrClientConnectToServer over a port view and gets answers', () => {
    expect(csrss.find((l) => l.startsWith(`session 0: process ${cliPid} connected, port view of 0x00010000 bytes, shared section at 0x`) && l.endsWith(' in it')), csrss.join('\n')).toBeDefined();
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
      'an API below the console server\'s first 0xC00000AF',
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
    expect(csrss.find((l) => l.startsWith(`session 0: process ${cliPid} connected without a port view, shared section at 0x`))).toBeDefined();
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
      'view size 0x00010000, base set, remote base set, server view (csrss\'s shared section) 0x00100000 mapped, csrss\'s base named',
      'connection information length 0x00000024, server dlls 0x00000003',
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
  it('SharedSection=: csrss makes the section, maps it into each client; ntdll names it in the PEB with the base server\'s static data', () => {
    expect(csrss.find((l) => /^session 0: shared section of 1024 KB at 0x[0-9A-F]{8}, Windows directory C:\\Windows$/.test(l)), csrss.join('\n')).toBeDefined();
    expect(sb.slice(0, 10), lines.join('\n')).toEqual([
      'connect 0x00000000',
      'shared section mapped 0x00000001',
      'static server data in it 0x00000001',
      'session 0x00000000',
      'csrss named in it is csrss 0x00000001',
      'size in KB 0x00000400',
      'connections so far at least 2 0x00000001',
      'windows directory C:\\Windows',
      'named objects \\BaseNamedObjects',
      'connect to SbApiPort 0x00000000',
    ]);
    // Session 1's csrss has no SharedSection= on its command line: no section.
    expect(csrss.filter((l) => l.startsWith('session 1: shared section'))).toEqual([]);
  });

  it('the SB API: CreateProcess, CreateSession + TerminateSession, ForeignSessionComplete, and hostile requests refused', () => {
    const pidOf = (image: string) => lines.map((l) => new RegExp(`^ps: process (\\d+) \\(${image}\\) created`).exec(l)).filter((m) => m).map((m) => +m![1]);
    expect(sb.slice(10, sb.indexOf('done') + 1), lines.join('\n')).toEqual([
      'create process 0x00000000',
      'the process handle is ours and names the ClientId 0x00000001',
      'subsystem type 0x00000001',
      'a thread handle 0x00000001',
      'it runs 0x00000102',
      'end it with our handle 0x00000000',
      'its exit status 0x00001234',
      'open csrss 0x00000000',
      'start suspended 0x00000000',
      'create session 77 0x00000000',
      'resumed by csrss: it runs 0x00000102',
      'terminate session 77 0x00000000',
      'wait 0x00000000',
      'its exit status 0xC00002EB',
      'terminate session 77 again 0xC000000D',
      'start suspended 0x00000000',
      'create session 78 0x00000000',
      'foreign session complete 78 0x00000000',
      'terminate session 78 after it 0xC000000D',
      'its process still runs 0x00000102',
      'an image name nobody maps 0xC0000005',
      'an odd length 0xC000000D',
      'no image name 0xC000000D',
      'an image not on the disk 0xC0000034',
      'debug flag 0xC00000BB',
      'create session with handles csrss has not 0xC0000008',
      'a short create process 0xC000000D',
      'a request without ApiNumber 0xC000000D',
      'api 9 0xC0000002',
      'after all that, create process 0x00000000',
      'done',
    ]);
    expect(sb.slice(sb.indexOf('winsrv done') + 1)).toEqual([
      'connect to SbApiPort 0x00000000',
      'my session 0x00000000',
      'create process 0x00000000',
      'its session 0x00000001',
      'connect to its ApiPort 0x00000000',
      'a console API of a csrss without the console server 0xC00000AF',
      'session done',
      'connect 0x00000000',
      'power off without SeShutdownPrivilege enabled 0xC0000061', // ExitWindowsEx's rule, checked by csrss in the caller's token
      'enable SeShutdownPrivilege 0x00000000',
    ]);
    // The processes ran: csrss started them (their parent) or resumed them.
    expect(kids).toContain('started running');
    expect(kids.filter((l) => l === 'handed running')).toHaveLength(2);
    expect(kids).toContain('other running');
    const kidPids = pidOf('csrsbkid\\.exe');
    const started = lines.find((l) => new RegExp(`^ps: process ${kidPids[0]} \\(csrsbkid\\.exe\\) created .*parent ${csrssPid},`).test(l));
    expect(started, lines.join('\n')).toBeDefined();
    expect(csrss).toContain(`session 0: SB API: CreateSession 77: process ${kidPids[1]} registered and resumed`);
    expect(csrss).toContain('session 0: SB API: TerminateSession 77: 1 of 1 processes ended');
    expect(csrss).toContain('session 0: SB API: ForeignSessionComplete 78: 1 processes forgotten');
    expect(csrss).toContain('session 0: SB API: unknown ApiNumber 9: 0xC0000002');
    expect(csrss.find((l) => l.startsWith('session 1: SB API: CreateProcess for process ') && l.includes('csrsbkid.exe started as process ') && l.endsWith(' in session 1'))).toBeDefined();
  });

  it('winsrv\'s console server writes to the session\'s screen; the user server logs off a session\'s clients but its logon process, and powers off', () => {
    const at = sb.indexOf('done');
    expect(sb.slice(at + 1, sb.indexOf('winsrv done') + 1), lines.join('\n')).toEqual([
      'write console 0x00000000',
      'bytes written 0x00000010',
      'set attribute 0x00000000',
      'set cursor 0x00000000',
      'write console, captured 0x00000000',
      'set attribute back 0x00000000',
      'a cursor off the screen 0xC000000D',
      'an attribute too big 0xC000000D',
      'more than the static buffer 0xC000000D',
      'an odd Unicode length 0xC000000D',
      'more than was captured 0xC000000D',
      'set title 0x00000000',
      'get title 0x00000000',
      'title csrsb title',
      'read console 0xC0000002',
      'a console API past the last 0xC00000AF',
      'a user API below the first 0xC00000AF',
      'both kids connected 0x00000001',
      'start suspended 0x00000000',
      'tell csrss of it 0x00000000',
      'a ClientId that is not its 0xC000000B',
      'a handle this process has not 0xC0000008',
      'register me as the logon process while the kid is 0xC0000022',
      'register another process 0xC000000D',
      'log off 0x00000000',
      'success 0x00000001',
      'the console kid ended 0x00000000',
      'its exit status 0xC00002EB',
      'the logon kid did not 0x00000102',
      'the process csrss was told of ended 0x00000000',
      'its exit status 0xC00002EB',
      'winsrv done',
    ]);
    // On the session's screen: the text at the cursor set, in the attribute set.
    expect(screen).toContain('hello from csrsb');
    expect(rows[20]?.slice(10, 28)).toBe('WIDE TEXT AT 10,20');
    expect(attributes[20]?.[10]).toBe(0x1E);
    const sbPid = Number(lines.map((l) => /^ps: process (\d+) \(csrsb\.exe\) created/.exec(l)).find((m) => m)?.[1]);
    expect(csrss).toContain(`session 0: console (process ${sbPid}): hello from csrsb`);
    expect(kids).toContain('console connect 0x00000000');
    expect(kids).toContain('register as the logon process 0x00000000');
    expect(csrss).toContain(`session 0: ExitWindowsEx (log-off) from process ${sbPid}: 2 processes ended`);
    expect(csrss.find((l) => l.startsWith(`session 0: process ${sbPid} created process `))).toBeDefined();
    // The last csrsb asks for a power off: csrss calls NtShutdownSystem.
    // First without SeShutdownPrivilege enabled: refused (csrss asks the kernel for the caller's token's privileges).
    expect(csrss.find((l) => /^session 0: ExitWindowsEx from process \d+ refused: its token does not have SeShutdownPrivilege enabled$/.test(l))).toBeDefined();
    expect(csrss.find((l) => /^session 0: ExitWindowsEx from process \d+: power off$/.test(l))).toBeDefined();
    expect(lines).toContain(`ke: shutdown: power off requested by process ${csrssPid} (csrss.exe)`);
  });
});

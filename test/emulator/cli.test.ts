import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyKernel } from './tinykernel.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'emulator', 'node', 'cli.ts');

const tmp = mkdtempSync(join(tmpdir(), 'cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function kernelFile(name: string, body: Parameters<typeof tinyKernel>[0]): string {
  const path = join(tmp, name);
  writeFileSync(path, tinyKernel(body));
  return path;
}

const LOG = '[    0.000100] ke: hello\n[    0.000200] ke: idle loop\n';
const kernels = {
  idle: kernelFile('idle.bin', (a) => a.serial(LOG).spin()),
  stop: kernelFile('stop.bin', (a) =>
    a.serial(LOG + '*** STOP: 0x0000007F (0x00000008, 0x00000000, 0x00000000, 0x00000000)\nUNEXPECTED_KERNEL_MODE_TRAP\n').halt(),
  ),
  exit0: kernelFile('exit0.bin', (a) => a.serial('bye\n').exit(0)),
  exit3: kernelFile('exit3.bin', (a) => a.serial('bye\n').exit(3)),
  crash: kernelFile('crash.bin', (a) => a.serial('hi\n').raw(0x0f, 0x0b)),
  silent: kernelFile('silent.bin', (a) => a.spin()),
  // says "one", then echoes one byte typed into COM1 after "got " and powers off
  echo: kernelFile('echo.bin', (a) => a.serial('[    0.000100] ke: one\n').serial('got ').serialEcho().serial('\n').exit(0)),
};

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return cliWith({}, ...args);
}

/** Runs the CLI with `stdin` as its input (a pipe), or sends SIGINT once stdout shows `interruptAfter`. */
function cliWith(how: { stdin?: string; interruptAfter?: string }, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    // as `npm start` runs it: node itself gets the signals (no tsx parent relaying them)
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: [how.stdin !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    if (how.stdin !== undefined) child.stdin!.end(how.stdin);
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout!.on('data', (d) => {
      stdout += d;
      if (how.interruptAfter && !interrupted && stdout.includes(how.interruptAfter)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe.concurrent('cli (emulator/node/cli.ts)', () => {
  it('exit 0 when the --until marker is reached; the log goes to stdout', async () => {
    const r = await cli('--kernel', kernels.idle, '--until', 'idle loop', '--no-disk');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(LOG);
    expect(r.stderr).toMatch(/boot: reached "idle loop" after \d+\.\d\d s, \d+\.\d M instructions/);
  });

  it('exit 1 on timeout without the marker', async () => {
    const r = await cli('--kernel', kernels.idle, '--until', 'winlogon', '--timeout', '0.5', '--quiet', '--no-disk');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/boot: timed out after 0\.5 s/);
  });

  it('exit 2 on a bug check, with the STOP code', async () => {
    const r = await cli('--kernel', kernels.stop, '--until', 'winlogon', '--no-disk');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('UNEXPECTED_KERNEL_MODE_TRAP\n');
    expect(r.stderr).toContain('boot: STOP 0x0000007F (0x00000008, 0x00000000, 0x00000000, 0x00000000) UNEXPECTED_KERNEL_MODE_TRAP');
  });

  it('exit 3 on an emulator crash', async () => {
    const r = await cli('--kernel', kernels.crash, '--no-disk');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/boot: emulator crashed .*RuntimeError/);
  });

  it('guest exit port: 0 -> 0, 3 -> 1', async () => {
    const [zero, three] = await Promise.all([
      cli('--kernel', kernels.exit0, '--no-disk'),
      cli('--kernel', kernels.exit3, '--no-disk'),
    ]);
    expect(zero.code).toBe(0);
    expect(zero.stderr).toContain('guest powered off');
    expect(three.code).toBe(1);
    expect(three.stderr).toContain('guest exit code 3');
  });

  it('without --until: timeout after some output is 0, silence is 1', async () => {
    const [talk, silent] = await Promise.all([
      cli('--kernel', kernels.idle, '--timeout', '3', '--no-disk'), // long enough for the first line on a busy machine
      cli('--kernel', kernels.silent, '--timeout', '0.3', '--no-disk'),
    ]);
    expect(talk.code).toBe(0);
    expect(silent.code).toBe(1);
  });

  it('usage errors are 4; --help documents options and exit codes', async () => {
    const [bad, missing, help] = await Promise.all([
      cli('--frobnicate'),
      cli('--kernel', join(tmp, 'nope.bin')),
      cli('--help'),
    ]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('unknown option');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('kernel not found');
    expect(help.code).toBe(0);
    for (const opt of ['--kernel', '--disk', '--until', '--timeout', '--memory', '--save-disk', '--quiet', '--build', 'Exit codes']) {
      expect(help.stdout).toContain(opt);
    }
  });

  it('--log writes the serial log as received; --json prints one object per line', async () => {
    const logFile = join(tmp, 'idle.log');
    const r = await cli('--kernel', kernels.idle, '--until', 'idle loop', '--no-disk', '--json', '--log', logFile);
    expect(r.code).toBe(0);
    expect(readFileSync(logFile, 'latin1')).toBe(LOG);
    const objects = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects).toEqual([
      { time: 0.0001, component: 'ke', message: 'hello' },
      { time: 0.0002, component: 'ke', message: 'idle loop' },
    ]);
  });

  it('--json turns a bug check block into one object with the STOP decoded', async () => {
    const r = await cli('--kernel', kernels.stop, '--no-disk', '--json', '--timeout', '20');
    expect(r.code).toBe(2);
    const objects = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects.slice(0, 2).map((o) => o.message)).toEqual(['hello', 'idle loop']);
    expect(objects).toHaveLength(3);
    const stop = objects[2].stop;
    expect(stop.code).toBe(0x7f);
    expect(stop.name).toBe('UNEXPECTED_KERNEL_MODE_TRAP');
    expect(stop.params[0]).toEqual({ value: 8, meaning: 'trap vector (8 = double fault)' });
    expect(r.stderr).toContain('boot:   p1 0x00000008 trap vector (8 = double fault)');
  });

  it('without --until a run goes on until the guest powers off, or Ctrl+C, naming the last milestone', async () => {
    const [off, interrupted] = await Promise.all([
      cli('--kernel', kernels.exit0, '--no-disk'),
      cliWith({ interruptAfter: 'idle loop' }, '--kernel', kernels.idle, '--no-disk', '--no-interactive'),
    ]);
    expect(off.code).toBe(0);
    expect(off.stderr).toContain('boot: guest powered off (port 0xF4 = 0)');
    expect(interrupted.code).toBe(0);
    expect(interrupted.stderr).toMatch(/^boot: stopped \(Ctrl\+C\) after .*; last milestone: phase 1 done \(idle loop\) at 0\.000200 s\n$/);
    expect(interrupted.stderr).not.toContain('timed out');
  });

  it('--snapshot saves the state at --until; --restore goes on from it; --interactive types stdin into COM1', async () => {
    const state = join(tmp, 'echo.state');
    const disk = join(tmp, 'zero.img'); // v86 cannot restore a machine without a disk
    writeFileSync(disk, new Uint8Array(1 << 20));
    const first = await cli('--kernel', kernels.echo, '--disk', disk, '--until', 'ke: one', '--snapshot', state);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`boot: machine state saved to ${state}`);
    expect(statSync(state).size).toBeGreaterThan(1 << 20); // the guest's RAM (v86 leaves out what is zero)
    expect(first.stdout).toBe('[    0.000100] ke: one\n');
    // from the state: no "one" again ("got " went out before the save), the machine waits for its byte
    const second = await cliWith({ stdin: 'Q' }, '--kernel', kernels.echo, '--disk', disk, '--restore', state, '--interactive', '--timeout', '30');
    expect(second.stdout).toBe('Q\n');
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('guest powered off');
  }, 180_000);

  it('bad arguments and unreadable files: one line, exit 4', async () => {
    const badReg = join(tmp, 'bad.reg');
    writeFileSync(badReg, 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\X]\r\n"a"=dword:zz\r\n');
    const runs = await Promise.all([
      // a disk named, so the runs do not depend on build/disk.img (a clean clone has none)
      cli('--kernel', kernels.idle, '--disk', kernels.idle, '--reg', join(tmp, 'none.reg')),
      cli('--kernel', kernels.idle, '--disk', kernels.idle, '--reg', badReg),
      cli('--kernel', kernels.idle, '--disk', kernels.idle, '--add', 'x.exe'),
      cli('--kernel', kernels.idle, '--disk', kernels.idle, '--add', `${join(tmp, 'none.exe')}=\\Windows\\x.exe`),
      cli('--kernel', kernels.idle, '--disk', kernels.idle, '--restore', join(tmp, 'none.state')),
      cli('--kernel', kernels.idle, '--no-disk', '--log', join(tmp, 'no', 'such', 'dir.log')),
      cli('--kernel', kernels.idle, '--no-disk', '--snapshot', join(tmp, 's.state')),
      cli('--kernel', kernels.idle, '--no-disk', '--until', 'x', '--snapshot', join(tmp, 's.state')),
      cli('--kernel', kernels.idle, '--no-disk', '--reg', badReg),
      cli('--kernel', kernels.idle, '--screeen'),
    ]);
    const messages = [
      /^boot: --reg: cannot read .*none\.reg: no such file$/,
      /^boot: --reg: .*bad\.reg:4: bad dword for value "a"/,
      /^boot: --add: expected HOST=\\PATH\\IN\\IMAGE/,
      /^boot: --add: cannot read .*none\.exe: no such file$/,
      /^boot: --restore: cannot read .*none\.state: no such file$/,
      /^boot: --log: cannot write .*dir\.log: no such directory$/,
      /^boot: --snapshot needs --until/,
      /^boot: --snapshot and --restore need a disk image/,
      /^boot: --reg and --add need a disk image/,
      /^boot: unknown option: --screeen/,
    ];
    runs.forEach((r, i) => {
      expect(r.code, String(messages[i])).toBe(4);
      expect(r.stderr.split('\n').filter(Boolean), String(messages[i])).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(messages[i]);
    });
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyKernel } from './tinykernel.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
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
};

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
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
});

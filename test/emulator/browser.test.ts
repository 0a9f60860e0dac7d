// The page in a real browser, end to end: Debian's Chromium (headless) driven
// by playwright-core loads the page from `npm run serve`, watches the boot
// (terminal, timeline, process tree), puts a file in and edits the registry
// (a rename pair in PendingFileRenameOperations), reboots, saves the disk and
// finds the renamed file in it with our FAT reader, types into the terminal,
// and judges the VGA screen by its pixels, the blue screen too. Screenshots
// are kept in build/test-output/.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { buildDisk, openDisk } from '../../images/build.ts';
import { system32Files } from '../../images/system32.ts';
import { readPng, share } from './png.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = join(ROOT, 'build', 'test-output');
const have = existsSync(CHROMIUM);

let dir = '';
let server: ChildProcess | undefined;
let url = '';

beforeAll(async () => {
  if (!have) return;
  dir = mkdtempSync(join(tmpdir(), 'web-e2e-'));
  const { kernelImage } = await buildKernel({ write: false }); // this tree's kernel, not whatever build/ holds
  writeFileSync(join(dir, 'ntoskrnl.bin'), kernelImage);
  writeFileSync(join(dir, 'disk.img'), buildDisk({ files: await system32Files() }));
  // npm run serve, as a person would start it (its own process group, so it can be stopped whole)
  server = spawn('npm', ['run', 'serve', '--', '--port', '0', '--kernel', join(dir, 'ntoskrnl.bin'), '--disk', join(dir, 'disk.img'), '--out', join(dir, 'web')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  url = await new Promise<string>((done, fail) => {
    let out = '';
    server!.stdout!.on('data', (d) => {
      out += d;
      const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) done(m[1]);
    });
    server!.on('exit', (code) => fail(new Error(`npm run serve exited with ${code}: ${out}`)));
  });
  // The blue-screen page needs a kernel that can be made to bug-check on
  // purpose: the self-test kernel (the product kernel carries no self-tests),
  // served beside the page and named by ?kernel=.
  const { kernelImage: selfTest } = await buildKernel({ write: false, selfTest: true });
  writeFileSync(join(dir, 'web', 'ntoskrnl-selftest.bin'), selfTest);
}, 900_000);

afterAll(() => {
  if (server?.pid) {
    try { process.kill(-server.pid, 'SIGINT'); } catch { /* gone */ }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** REG_MULTI_SZ as .reg hex(7) text. */
function multiSz(strings: string[]): string {
  const bytes: number[] = [];
  for (const s of [...strings, '']) {
    for (const ch of s + '\0') bytes.push(ch.charCodeAt(0) & 0xff, ch.charCodeAt(0) >> 8);
  }
  return 'hex(7):' + bytes.map((b) => b.toString(16).padStart(2, '0')).join(',');
}

describe('browser page (npm run serve, Chromium)', () => {
  it('boots, shows the boot, edits the registry, reboots, saves the disk; colours by pixels', async (ctx) => {
    if (!have) {
      console.log(`skipped: ${CHROMIUM} not installed (Debian package chromium)`);
      ctx.skip();
    }
    mkdirSync(OUTPUT, { recursive: true });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true });
      await page.goto(url);
      // smss has made its subsystems' sessions; the boot goes on to csrss and winlogon's logon screen meanwhile
      await page.waitForFunction(() => (window as any).ntPage?.serial.includes('smss: subsystems: '), undefined, { timeout: 240_000 });
      expect(await page.textContent('#status')).toMatch(/^running · last milestone: (subsystems|csrss running|logon screen|phase 1 done \(idle loop\)) at \d+\.\d{3} s$/);
      expect(await page.evaluate(() => (window as any).ntPage.terminalText())).toContain('smss: subsystems: ');

      // the timeline: kernel phases, smss steps, processes with their session; hover shows the lines
      const kinds = await page.$$eval('#timeline .tl-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.kind));
      expect(kinds.filter((k) => k === 'phase').length).toBeGreaterThan(8);
      const labels = await page.$$eval('#timeline .tl-label', (ls) => ls.map((l) => l.textContent));
      expect(labels).toContain('smss: BootExecute');
      expect(labels).toContain('process: smss.exe (8) · session 0');
      await page.hover('#timeline .tl-row[data-kind="smss"] >> text=smss: renames');
      expect(await page.textContent('#tl-hover')).toMatch(/\] smss: renames: none pending/);

      // the process tree
      await page.click('nav button[data-panel="processes"]');
      const tree = await page.textContent('#processes');
      expect(tree).toMatch(/^System \(pid 4, critical\)/);
      expect(tree).toContain('\\SystemRoot\\System32\\smss.exe (pid 8, parent 4, session 0, critical) running since');

      // the kernel debugger (COM2) answers the page: its own process list and the object namespace
      // (the page polls the debugger from the start of the boot: a first answer may predate smss, so wait for one that has it)
      await page.waitForFunction(() => (window as any).ntPage?.kdView?.processes !== undefined
        && /smss\.exe \(pid 8, parent 4, session 0, critical, \d+ threads/.test(document.querySelector('#processes')?.textContent ?? ''), undefined, { timeout: 120_000 });
      const kdTree = await page.textContent('#processes');
      expect(kdTree).toContain('from the kernel debugger (COM2)');
      expect(kdTree).toMatch(/\n\s*smss\.exe \(pid 8, parent 4, session 0, critical, \d+ threads, \d+ handles\)/);
      await page.click('nav button[data-panel="objects"]');
      const objects = await page.textContent('#objects');
      expect(objects).toMatch(/KnownDlls {2}\[Directory\]/);
      expect(objects).toMatch(/SystemRoot {2}\[SymbolicLink\] -> \\Device\\Harddisk0\\Partition1\\Windows/);
      const answer = await page.evaluate(() => (window as any).ntPage.kd('object', { path: '\\ObjectTypes' }));
      expect(answer.entries.map((e: { name: string }) => e.name)).toContain('Process');

      // the VGA screen by its pixels, once winlogon shows session 1's logon screen there (win32k.sys):
      // its title bar white on blue, the text light grey and the prompt bright white on black
      await page.waitForFunction(() => (window as any).ntPage?.serial.includes('winlogon: session 1: logon screen'), undefined, { timeout: 240_000 });
      await page.waitForTimeout(500); // the next animation frame paints it
      const shot = readPng(await page.locator('#screen').screenshot({ path: join(OUTPUT, 'browser-screen.png') }));
      const bannerRows = [0, Math.floor(shot.height / 25)] as const;
      expect(share(shot, [0, 0, 170], ...bannerRows)).toBeGreaterThan(0.5);
      expect(share(shot, [0, 0, 170], bannerRows[1] + 2)).toBeLessThan(0.01);
      expect(share(shot, [170, 170, 170], bannerRows[1] + 2)).toBeGreaterThan(0.001);
      expect(share(shot, [255, 255, 255], bannerRows[1] + 2)).toBeGreaterThan(0.0002);
      expect(share(shot, [0, 0, 0], bannerRows[1] + 2)).toBeGreaterThan(0.9);

      // a file in, and a rename pair for smss
      await page.click('nav button[data-panel="files"]');
      await page.fill('#drop-path', '\\Windows\\');
      await page.setInputFiles('#drop-input', { name: 'before.txt', mimeType: 'text/plain', buffer: Buffer.from('renamed by smss\r\n') });
      // the page reads the file asynchronously (File.arrayBuffer): wait for its line
      await page.waitForFunction((want) => document.querySelector('#pending-files')?.textContent?.includes(want), '\\Windows\\before.txt (17 bytes)', { timeout: 10_000 });
      expect(await page.textContent('#pending-files')).toContain('\\Windows\\before.txt (17 bytes)');
      await page.click('nav button[data-panel="registry"]');
      const original = await page.inputValue('#reg-text');
      expect(original).toContain('[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager]');
      // a syntax error is shown at its line
      const broken = original.trimEnd() + '\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Broken]\r\n"x"=dword:nothex\r\n';
      await page.fill('#reg-text', broken);
      expect(await page.textContent('#reg-error')).toMatch(new RegExp(`^line ${broken.split(/\r?\n/).length - 1}: `));
      const pair = multiSz(['\\??\\C:\\Windows\\before.txt', '\\??\\C:\\Windows\\after.txt']);
      await page.fill('#reg-text', `${original.trimEnd()}\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager]\r\n"PendingFileRenameOperations"=${pair}\r\n`);
      expect(await page.textContent('#reg-error')).toBe('');
      await page.click('#reg-apply');
      // the new boot: smss renames the file, deletes the value and flushes the hive
      await page.waitForFunction(() => /smss: renames: 1 renamed/.test((window as any).ntPage?.serial), undefined, { timeout: 240_000 });
      await page.waitForFunction(() => (window as any).ntPage?.serial.includes('smss: subsystems: '), undefined, { timeout: 240_000 });
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-disk')]);
      const saved = new Uint8Array(readFileSync((await download.path())!));
      const volume = openDisk(saved);
      expect(new TextDecoder().decode(volume.readPath('\\Windows\\after.txt'))).toBe('renamed by smss\r\n');
      expect(volume.lookup('\\Windows\\before.txt')).toBeNull();

      await logOnSaveRestoreRestart(page);
      await page.screenshot({ path: join(OUTPUT, 'browser.png') });

      // a bug check: the status decodes it and the blue screen is blue
      const bsod = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      await bsod.goto(`${url}?kernel=ntoskrnl-selftest.bin&disk=none&cmdline=${encodeURIComponent('selftest selftest-double-free')}`);
      await bsod.waitForFunction(() => document.getElementById('status')?.className === 'stop', undefined, { timeout: 120_000 });
      expect(await bsod.textContent('#status')).toMatch(/^STOP 0x000000C2 BAD_POOL_CALLER: .* · p1 0x00000007 what the caller did wrong \(7 = double free\)/);
      await bsod.waitForTimeout(500); // the screen is drawn on the next animation frame
      const blue = readPng(await bsod.locator('#screen').screenshot({ path: join(OUTPUT, 'browser-bluescreen.png') }));
      expect(share(blue, [0, 0, 170])).toBeGreaterThan(0.6);
      expect(share(blue, [255, 255, 255], 16, 32)).toBeGreaterThan(0.02); // row 1: the STOP line, white on blue
    } finally {
      await browser.close();
    }
  }, 1_500_000);
});

type Page = import('playwright-core').Page;
const serialHas = (page: Page, text: string, timeout = 240_000) =>
  page.waitForFunction((t) => (window as any).ntPage?.serial.includes(t), text, { timeout });
const count = (text: string, part: string) => text.split(part).length - 1;

/**
 * The state buttons and a logon, as a person does them in the page: at the
 * logon screen save the machine state; log on by typing on the VGA screen
 * (the PS/2 keyboard) and reach the shell that SOFTWARE's Winlogon\Shell
 * names; run `dir` from the terminal (COM1); restore the saved state (back at
 * the logon screen, its log with it) and log on again from the terminal;
 * restart (a new boot from the disk as the guest left it). What is checked
 * is what a person sees: the VGA screen's text and pixels, the terminal, the
 * status line.
 */
async function logOnSaveRestoreRestart(page: Page): Promise<void> {
  const W = 'winlogon: session 1: ';
  const shellPrompt = 'nsh: session 1: prompt';
  await serialHas(page, `${W}user name:`);

  // save state at the logon screen: the file is the page's (the log, then v86's state)
  const [saving] = await Promise.all([page.waitForEvent('download'), page.click('#save-state')]);
  const statePath = join(dir, 'logon.state');
  await saving.saveAs(statePath);
  const saved = readFileSync(statePath);
  expect(saved.subarray(0, 8).toString('latin1')).toBe('NTSTATE1');
  const savedLog = saved.subarray(12, 12 + saved.readUInt32LE(8)).toString('latin1');
  expect(savedLog).toContain(`${W}user name:`);
  expect(saved.length).toBeGreaterThan(32 << 20); // the guest's memory is in it

  // log on at the VGA screen: click it, type on the keyboard
  await page.waitForFunction(() => (window as any).ntPage.screenText().some((r: string) => r.includes('User name:')), undefined, { timeout: 120_000 });
  await page.click('#screen');
  await page.keyboard.type('Administrator');
  await page.keyboard.press('Enter');
  await serialHas(page, `${W}password:`);
  await page.keyboard.type('password');
  await page.keyboard.press('Enter');
  await serialHas(page, shellPrompt);
  const serial1: string = await page.evaluate(() => (window as any).ntPage.serial);
  // (the keyboard path gives the letters without Shift today: the name arrives as "administrator"; SAM names ignore case)
  expect(serial1).toMatch(/winlogon: session 1: administrator logged on \(logon id 0x[0-9A-F]{8}\)/i);
  expect(serial1).toMatch(/winlogon: session 1: shell nsh\.exe \(process \d+\) started for administrator/i);
  expect(await page.evaluate(() => (window as any).ntPage.typed)).toBe(''); // the keys went to the screen, not COM1
  // the shell's prompt on the VGA screen, light grey on black
  await page.waitForFunction(() => (window as any).ntPage.screenText().some((r: string) => r.startsWith('C:\\Windows\\System32>')), undefined, { timeout: 120_000 });
  await page.waitForTimeout(500); // the next animation frame paints it
  const shell = readPng(await page.locator('#screen').screenshot({ path: join(OUTPUT, 'browser-shell.png') }));
  expect(share(shell, [170, 170, 170])).toBeGreaterThan(0.001);
  expect(share(shell, [0, 0, 0])).toBeGreaterThan(0.8);

  // the terminal types into COM1: nsh reads the line there and answers on the screen and the terminal
  await page.click('#terminal');
  await page.keyboard.type('dir\r');
  expect(await page.evaluate(() => (window as any).ntPage.typed)).toBe('dir\r');
  await page.waitForFunction(() => /nsh: +\d+ File\(s\)/.test((window as any).ntPage.serial), undefined, { timeout: 120_000 });
  const term = await page.evaluate(() => (window as any).ntPage.terminalText());
  expect(term).toContain('nsh: C:\\Windows\\System32> dir');
  expect(term).toContain(' Directory of C:\\Windows\\System32');
  expect(term).toMatch(/ nsh\.exe/);
  await page.waitForFunction(() => (window as any).ntPage.screenText().some((r: string) => r.includes('Directory of C:\\Windows\\System32')), undefined, { timeout: 120_000 });
  expect((await page.evaluate(() => (window as any).ntPage.screenText())).join('\n')).toMatch(/ntdll\.dll/);

  // restore state: back at the logon screen, with the log that came before it
  await page.setInputFiles('#restore-state', statePath);
  await page.waitForFunction(() => (window as any).ntPage.startedBy === 'restore', undefined, { timeout: 120_000 });
  const restored: string = await page.evaluate(() => (window as any).ntPage.serial);
  expect(restored.startsWith(savedLog)).toBe(true);
  expect(restored).not.toContain(shellPrompt);
  // the status names the restored log's last milestone (the logon screen, or a later line smss said meanwhile)
  await page.waitForFunction(() => /^running \(restored\) · last milestone: /.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 120_000 });
  const milestone: string = await page.evaluate(() => (window as any).ntPage.log.lastMilestone.label);
  expect(await page.textContent('#status')).toContain(`last milestone: ${milestone} at `);
  expect(await page.evaluate(() => (window as any).ntPage.terminalText())).toContain(`${W}user name:`);
  await page.waitForFunction(() => (window as any).ntPage.screenText()[0].includes('Log On to Windows'), undefined, { timeout: 120_000 });
  const labels = await page.$$eval('#timeline .tl-label', (ls) => ls.map((l) => l.textContent));
  expect(labels).toContain('smss: BootExecute'); // the panels are drawn from the restored log
  // the restored machine runs: log on from the terminal this time
  await page.click('#terminal');
  await page.keyboard.type('Administrator\r');
  await serialHas(page, `${W}password:`);
  await page.keyboard.type('password\r');
  await serialHas(page, shellPrompt);
  const after: string = await page.evaluate(() => (window as any).ntPage.serial);
  expect(count(after, `${W}user name:`)).toBe(count(savedLog, `${W}user name:`)); // no new boot: the same logon screen
  expect(count(after, 'ps: session manager started')).toBe(1);

  // restart: a new boot from the disk as the guest left it (the rename of the boot before stays done)
  await page.click('#restart');
  await page.waitForFunction(() => (window as any).ntPage.startedBy === 'restart', undefined, { timeout: 120_000 });
  await serialHas(page, 'smss: renames: ');
  const again: string = await page.evaluate(() => (window as any).ntPage.serial);
  expect(again).toContain('smss: renames: none pending');
  expect(again).not.toContain(shellPrompt);
  expect(count(again, 'ps: session manager started')).toBe(1);
  expect(await page.evaluate(() => (window as any).ntPage.terminalText())).not.toContain('nsh: ');
}

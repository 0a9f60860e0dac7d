// The browser page, in a real browser: Debian's Chromium (headless) driven by
// playwright-core loads the bundled page from a local HTTP server and boots the
// kernel; the COM1 console and the VGA text screen must show the boot.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { buildWeb } from '../../emulator/browser/build.ts';
import { buildDisk } from '../../images/build.ts';
import { sleepingSmssImage } from '../pe/tiny.ts';

const CHROMIUM = '/usr/bin/chromium';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

let dir = '';
let server: Server | undefined;
let port = 0;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  const { kernelImage } = await buildKernel({ write: false });
  dir = mkdtempSync(join(tmpdir(), 'web-boot-'));
  await buildWeb(dir);
  writeFileSync(join(dir, 'ntoskrnl.bin'), kernelImage); // this build's kernel, not whatever build/ holds
  // and a disk of its own whose stand-in smss.exe sleeps (a disk without one stops with 0x6D)
  writeFileSync(join(dir, 'disk.img'), buildDisk({ files: new Map([['\\Windows\\System32\\smss.exe', sleepingSmssImage()]]) }));
  server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html');
    if (!path.startsWith(dir) || !existsSync(path)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as { port: number }).port;
}, 60000);

afterAll(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('browser', () => {
  it('boots the kernel in a browser tab: COM1 console and VGA screen', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      console.log(`skipped: ${CHROMIUM} not installed (Debian package chromium)`);
      ctx.skip();
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/index.html?until=${encodeURIComponent('ke: idle loop')}`);
      await page.waitForFunction(() => document.getElementById('status')?.className === 'ok' || document.getElementById('status')?.className === 'stop', undefined, { timeout: 30000 });
      const status = await page.textContent('#status');
      expect(status).toMatch(/^reached .*ke: idle loop/);
      const serial = await page.$eval('#serial', (e) => (e as HTMLTextAreaElement).value);
      expect(serial).toMatch(/\] ke: NT-style kernel 0\.1 \(wasm2x86\) starting/);
      expect(serial).toMatch(/\] ke: idle loop/);
      const screen = await page.textContent('#screen');
      expect(screen).toContain('NT-style kernel 0.1 (wasm2x86) booting');
    } finally {
      await browser.close();
    }
  }, 60000);
});

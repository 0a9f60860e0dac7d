// `npm run serve`: builds the browser page (emulator/browser/build.ts) into
// build/web with this build's kernel and disk, and serves it on 127.0.0.1.
//
//   npm run serve [-- --port 8086] [--kernel FILE] [--disk FILE] [--no-build]
//
// Prints `serving http://127.0.0.1:PORT/` once it listens (--port 0 takes any
// free port). Everything the page needs is in build/web: it works offline and
// from any static file server.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from '../browser/build.ts';
import { ROOT } from './index.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
};

export async function serve(argv: string[]): Promise<number> {
  let port = 8086;
  let kernel: string | undefined;
  let disk: string | undefined;
  let build = true;
  let dir = join(ROOT, 'build', 'web');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--port') { port = Number(value()); if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number`); }
      else if (a === '--kernel') kernel = resolve(value());
      else if (a === '--disk') disk = resolve(value());
      else if (a === '--out') dir = resolve(value());
      else if (a === '--no-build') build = false;
      else if (a === '--help') { process.stdout.write('npm run serve [-- --port 8086] [--kernel FILE] [--disk FILE] [--out DIR] [--no-build]\n'); return 0; }
      else throw new Error(`unknown option: ${a} (see --help)`);
      for (const [flag, f] of [['--kernel', kernel], ['--disk', disk]] as const) {
        if (f !== undefined && !existsSync(f)) throw new Error(`${flag}: cannot read ${f}: no such file`);
      }
    } catch (e) {
      process.stderr.write(`serve: ${(e as Error).message}\n`);
      return 4;
    }
  }
  if (build && kernel === undefined && (!existsSync(join(ROOT, 'build', 'ntoskrnl.bin')) || !existsSync(join(ROOT, 'build', 'disk.img')))) {
    process.stderr.write('serve: building the kernel and disk (npm run build)\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build.ts')], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) return 4;
  }
  await buildWeb(dir, { kernel, disk });
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = resolve(join(dir, path));
    if (!(file + sep).startsWith(resolve(dir) + sep) && file !== resolve(dir) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((done, fail) => { server.once('error', fail); server.listen(port, '127.0.0.1', () => done()); });
  const actual = (server.address() as { port: number }).port;
  process.stdout.write(`serving http://127.0.0.1:${actual}/ (${dir}); Ctrl+C stops\n`);
  await new Promise<void>((done) => process.once('SIGINT', () => { server.close(); done(); }));
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  serve(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => { process.stderr.write(`serve: ${(e as Error).message}\n`); process.exit(4); },
  );
}

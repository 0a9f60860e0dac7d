// Browser page: boots the kernel in v86 with the VGA text screen and a COM1
// console. Bundled by emulator/browser/build.ts; served with v86.wasm and the
// images next to it. URL parameters: ?kernel=ntoskrnl.bin&disk=disk.img
// &until=TEXT&memory=32&cmdline=TEXT

import { V86 } from 'v86';
import { formatStop, hex32 } from '../core/log.ts';
import { SerialMonitor, describeMarker } from '../core/monitor.ts';
import { toArrayBuffer, v86Config } from '../core/options.ts';

const params = new URLSearchParams(location.search);
const status = document.getElementById('status') as HTMLElement;
const t0 = performance.now();

function show(text: string, cls = ''): void {
  status.textContent = text;
  status.className = cls;
}

function elapsed(): string {
  return `${((performance.now() - t0) / 1000).toFixed(2)} s`;
}

async function fetchBytes(url: string, optional: boolean): Promise<ArrayBuffer | undefined> {
  const res = await fetch(url);
  if (!res.ok) {
    if (optional) return undefined;
    throw new Error(`${url}: HTTP ${res.status}`);
  }
  return toArrayBuffer(new Uint8Array(await res.arrayBuffer()));
}

async function main(): Promise<void> {
  const kernelUrl = params.get('kernel') ?? 'ntoskrnl.bin';
  const diskUrl = params.get('disk') ?? 'disk.img';
  const until = params.get('until') ?? undefined;
  show(`loading ${kernelUrl}...`);
  const [kernel, disk] = await Promise.all([fetchBytes(kernelUrl, false), fetchBytes(diskUrl, true)]);

  const emulator = new V86(
    v86Config({
      kernel: kernel!,
      disk,
      memoryMB: params.has('memory') ? Number(params.get('memory')) : undefined,
      cmdline: params.get('cmdline') ?? undefined,
      wasmPath: 'v86.wasm',
      screenContainer: document.getElementById('screen'),
      serialContainer: document.getElementById('serial'),
      interactive: true,
    }) as any,
  ) as any;

  const monitor = new SerialMonitor(until);
  let ended = false;
  const end = (text: string, cls: string): void => {
    if (ended) return;
    ended = true;
    monitor.end();
    show(text, cls);
  };

  emulator.add_listener('emulator-ready', () => {
    show(`running${until ? `, waiting for ${describeMarker(until)}` : ''}...`);
    // v86 throws on guest writes to port 0xF4 while a multiboot kernel is
    // loaded; make it the guest's power-off with an exit code
    const onExit = (v: number) => {
      end(`guest powered off with ${hex32(v)} after ${elapsed()}`, v === 0 ? 'ok' : 'stop');
      void emulator.stop();
    };
    emulator.v86.cpu.io.register_write(0xf4, { name: 'page-exit' }, onExit, onExit, onExit);
  });
  emulator.add_listener('serial0-output-byte', (b: number) => {
    if (ended) return;
    const line = monitor.pushByte(b);
    if (line === undefined) return;
    if (monitor.stopComplete && monitor.stop) end(`bug check: ${formatStop(monitor.stop)} after ${elapsed()}`, 'stop');
    else if (monitor.reached) end(`reached ${describeMarker(until!)} after ${elapsed()}`, 'ok');
  });
  emulator.add_listener('cpu-event-halt', () => {
    monitor.end();
    if (monitor.stop) end(`bug check: ${formatStop(monitor.stop)} after ${elapsed()}`, 'stop');
    else end(`halted with interrupts off after ${elapsed()}`, 'stop');
  });
}

main().catch((err) => show(`error: ${err instanceof Error ? err.message : err}`, 'stop'));

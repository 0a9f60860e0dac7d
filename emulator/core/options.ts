// Harness options -> v86 constructor options, shared by Node and the browser.
// See ../shared/V86.md: a multiboot kernel boots without any BIOS image.

export const DEFAULT_MEMORY_MB = 32;
export const DEFAULT_TIMEOUT_MS = 10_000;
/** v86's VGA needs some memory; 2 MiB is plenty for text mode. */
export const VGA_MEMORY_BYTES = 2 * 1024 * 1024;

export interface MachineOptions {
  /** multiboot kernel image */
  kernel: ArrayBuffer;
  /** IDE primary master disk image (v86 reads and writes this very buffer) */
  disk?: ArrayBuffer;
  memoryMB?: number;
  /** multiboot command line */
  cmdline?: string;
  /** Interpret every instruction (exact instruction counts; slower). */
  disableJit?: boolean;
  /** where v86.wasm is (required in Node) */
  wasmPath?: string;
  /** browser only: element holding the VGA text screen */
  screenContainer?: unknown;
  /** browser only: textarea element for the COM1 console */
  serialContainer?: unknown;
  /** keep v86's keyboard and mouse adapters (a page someone looks at) */
  interactive?: boolean;
}

/** The options object for `new V86(...)`. */
export function v86Config(m: MachineOptions): Record<string, unknown> {
  const memoryMB = m.memoryMB ?? DEFAULT_MEMORY_MB;
  if (!(memoryMB >= 2 && memoryMB <= 2047 && Number.isInteger(memoryMB))) {
    throw new RangeError(`memory size must be a whole number of MiB in 2..2047, got ${memoryMB}`);
  }
  const config: Record<string, unknown> = {
    memory_size: memoryMB * 1024 * 1024,
    vga_memory_size: VGA_MEMORY_BYTES,
    multiboot: { buffer: m.kernel },
    autostart: true,
    // nothing that costs boot time or needs the host: no BIOS, no NIC, no
    // speaker, and no keyboard/mouse adapters unless someone is watching
    net_device: { type: 'none' },
    disable_keyboard: !m.interactive,
    disable_mouse: !m.interactive,
    disable_speaker: true,
    // COM2 (0x2F8, IRQ 3): the kernel debugger's port (emulator/core/kd.ts). Always
    // there, so a machine state saved without a debugger attached can be queried later.
    uart1: true,
  };
  if (m.wasmPath) config.wasm_path = m.wasmPath;
  if (m.disk) config.hda = { buffer: m.disk };
  if (m.cmdline !== undefined) config.cmdline = m.cmdline;
  if (m.disableJit) config.disable_jit = true;
  if (m.screenContainer) config.screen = { container: m.screenContainer };
  if (m.serialContainer) config.serial_console = { type: 'textarea', container: m.serialContainer };
  return config;
}

/**
 * A fresh ArrayBuffer holding exactly these bytes. v86 only accepts a real
 * ArrayBuffer, and a Node Buffer's `.buffer` is often a shared pool.
 */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const ab = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(ab).set(bytes);
  return ab;
}

/** v86 emulates a disk of whole 512-byte sectors; pad an image to that. */
export function padToSectors(bytes: Uint8Array): Uint8Array {
  const rem = bytes.byteLength % 512;
  if (rem === 0) return bytes;
  const out = new Uint8Array(bytes.byteLength + 512 - rem);
  out.set(bytes);
  return out;
}

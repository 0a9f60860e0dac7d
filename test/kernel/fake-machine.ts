// A fake PC for running the kernel's WebAssembly in Node, before the
// translator exists: JavaScript versions of every `kernel.*` intrinsic over a
// few modelled devices.
//
//   COM1     bytes written to 0x3F8 (with LCR.DLAB clear) are the serial log;
//            LSR always says "transmitter empty" (0x60)
//   8259A x2 ICW sequence, masks, IRR/ISR reads, non-specific EOI
//   8254     channel 0 mode 2 on a virtual clock: each port access costs
//            1 us, `hlt` skips to the next timer wrap
//   CPU      IF (cli/sti/read_eflags), cpuid with fixed answers, cr2, lidt
//   0xF4     a write ends the run (PowerOff), like QEMU's isa-debug-exit
//
// Interrupts are delivered between intrinsic calls: when IF is set and IRQ 0
// is due, unmasked and not in service, the machine writes a trap frame into
// wasm memory and calls the module's KiTrapDispatch from inside the
// intrinsic, as the entry stub would. `hlt` with IF clear, or in the idle loop
// after a few ticks, throws Halted to end the run.

/** What `trap_entry(v)` returns: a fake stub address per vector. */
export const TRAP_ENTRY_BASE = 0x80200000;
export const TRAP_ENTRY_STRIDE = 16;
/** Where the machine builds the frames of the interrupts it delivers (physical 0x90000). */
export const FRAME_ADDRESS = 0x80090000;
/** Virtual address of physical 0 in the kernel. */
export const KSEG0 = 0x80000000;
/** Where test multiboot information goes (physical), like v86's. */
export const MULTIBOOT_INFO = 0x7c00;
export const MULTIBOOT_MAGIC = 0x2badb002;
export const VGA_TEXT = 0x800b8000;

const PIT_HZ = 1193182;
const EFLAGS_IF = 0x200;

/** `hlt` ended the run: with interrupts off (a bug check) or from the idle loop. */
export class Halted extends Error {
  constructor(readonly interruptsOn: boolean) {
    super(interruptsOn ? 'halted in the idle loop' : 'halted with interrupts off');
  }
}

/**
 * Phase 0 handed the processor to the scheduler (swap_context onto the idle
 * thread). Switching stacks has no JavaScript equivalent, so the fake PC
 * stops here; threads and phase 1 are tested in v86 (test/boot).
 */
export class SchedulerStarted extends Error {
  constructor() { super('phase 0 done: switched to the idle thread'); }
}

/** The guest wrote to port 0xF4. */
export class PowerOff extends Error {
  constructor(readonly value: number) {
    super(`power off (${value})`);
  }
}

export interface Range { base: number; length: number; type: number }

export interface BootInfo {
  /** Multiboot command line (flags bit 2); undefined: no command line. */
  cmdline?: string;
  /** Memory map (flags bit 6); undefined: none. */
  mmap?: Range[];
  /** mem_lower/mem_upper in KiB (flags bit 0). */
  memLowerUpper?: [number, number];
}

/** v86 with 32 MiB, as the brief describes it: conventional memory and 1-32 MiB usable. */
export const V86_MMAP: Range[] = [
  { base: 0, length: 0xa0000, type: 1 },
  { base: 0xf0000, length: 0x10000, type: 2 },
  { base: 0x100000, length: 0x1f00000, type: 1 },
];

export interface KernelExports {
  memory: WebAssembly.Memory;
  KiSystemStartup(magic: number, info: number): void;
  KiTrapDispatch(frame: number): void;
  KiWasmTrap(code: number, address: number): void;
}

export interface TrapFrame {
  vector: number;
  errorCode?: number;
  eip?: number;
  cs?: number;
  eflags?: number;
  eax?: number; ebx?: number; ecx?: number; edx?: number; esi?: number; edi?: number; ebp?: number;
}

export class FakeMachine {
  exports!: KernelExports;
  /** Every byte sent to COM1's transmitter. */
  readonly serial: number[] = [];
  /** The CMOS clock: 2026-01-02 03:04:05 in BCD, 24-hour (status B 0x02), century 0x20 at 0x32. */
  readonly cmos: Record<number, number> = { 0x00: 0x05, 0x02: 0x04, 0x04: 0x03, 0x07: 0x02, 0x08: 0x01, 0x09: 0x26, 0x0a: 0x26, 0x0b: 0x02, 0x32: 0x20 };
  cmosIndex = 0;
  /** Every port write, in order. */
  readonly portWrites: Array<{ port: number; value: number; size: number }> = [];
  interruptsOn = false;
  /** Virtual time in microseconds. */
  now = 0;
  cr2 = 0;
  lidtAddress = 0;
  /** IRQ 0 interrupts delivered. */
  ticksDelivered = 0;
  /** `hlt`s in the idle loop before the run is ended. */
  idleHalts = 3;

  // COM1
  private lcr = 0;
  readonly uartDivisor = [0, 0];
  readonly uartRegisters = new Map<number, number>();
  // 8259A: index 0 master, 1 slave
  readonly picVectorBase = [0x08, 0x70];
  readonly picMask = [0x00, 0x00];
  readonly eoiCount = [0, 0];
  private picIcwStep = [0, 0];
  private picReadIsr = [false, false];
  private isr = [0, 0];
  // 8254 channel 0
  pitReload = 0;
  pitMode = -1;
  private pitStart = 0;
  private pitLowByteNext = true;
  private pitLowByte = 0;
  private pitLatch: number[] = [];
  private wrapsServiced = 0;
  // VGA
  readonly vgaGraphics = new Map<number, number>();
  private vgaGraphicsIndex = 0;

  private delivering = false;
  private idleCount = 0;

  /** The `kernel` import object. */
  readonly imports: Record<string, (...args: any[]) => any> = {
    inb: (port: number) => this.portRead(port, 1),
    inw: (port: number) => this.portRead(port, 2),
    inl: (port: number) => this.portRead(port, 4),
    outb: (port: number, value: number) => this.portWrite(port, value & 0xff, 1),
    outw: (port: number, value: number) => this.portWrite(port, value & 0xffff, 2),
    outl: (port: number, value: number) => this.portWrite(port, value >>> 0, 4),
    cli: () => { this.interruptsOn = false; },
    sti: () => { this.poll(); this.interruptsOn = true; },
    hlt: () => this.halt(),
    pause: () => { this.now += 1; this.poll(); },
    read_eflags: () => { this.poll(); return 0x2 | (this.interruptsOn ? EFLAGS_IF : 0); },
    lgdt: () => {},
    lidt: (address: number) => { this.lidtAddress = address >>> 0; },
    ltr: () => {},
    read_cr0: () => 0x80010011,
    read_cr2: () => this.cr2 | 0,
    read_cr3: () => 0x00101000,
    read_cr4: () => 0x10,
    write_cr0: () => {},
    write_cr3: () => {},
    write_cr4: () => {},
    invlpg: () => {},
    rdtsc: () => BigInt(Math.round(this.now * 1000)),
    cpuid: (leaf: number, _subleaf: number, out: number) => this.cpuid(leaf >>> 0, out >>> 0),
    trap_entry: (vector: number) => (TRAP_ENTRY_BASE + (vector & 0xff) * TRAP_ENTRY_STRIDE) | 0,
    func_address: (index: number) => (0x80100000 + index * 0x40) | 0,
    swap_context: () => { throw new SchedulerStarted(); },
    trap_exit: () => 0x80100FF0 | 0,
    boot_modules: () => { throw new Error('boot_modules is phase 1: not reachable in the fake PC'); },
    wrmsr: (index: number, low: number) => { this.msrs.set(index >>> 0, low >>> 0); },
    sysenter_entry: () => 0x80100FE0 | 0,
    user_copy: (destination: number, source: number, length: number) => {
      const bytes = new Uint8Array(this.exports.memory.buffer);
      bytes.copyWithin(destination >>> 0, source >>> 0, (source >>> 0) + (length >>> 0));
      return 0;
    },
    user_store32: (address: number, value: number) => { new DataView(this.exports.memory.buffer).setUint32(address >>> 0, value >>> 0, true); return 0; },
    exception_table: () => 0,
    call_address: () => { throw new Error('call_address (a driver routine) is phase 1: not reachable in the fake PC'); },
    export_table: () => 0,
  };
  /** Model-specific registers the kernel wrote (wrmsr). */
  readonly msrs = new Map<number, number>();

  async instantiate(module: WebAssembly.Module): Promise<KernelExports> {
    const instance = await WebAssembly.instantiate(module, { kernel: this.imports });
    this.exports = instance.exports as unknown as KernelExports;
    // The kernel reaches all of RAM through KSEG0 (page frames, pool): make the
    // wasm memory cover 0x80000000 + 32 MiB.
    const want = (0x80000000 + 32 * 1024 * 1024) / 65536;
    const have = this.exports.memory.buffer.byteLength / 65536;
    if (have < want) this.exports.memory.grow(want - have);
    return this.exports;
  }

  get memory(): DataView {
    return new DataView(this.exports.memory.buffer);
  }

  /** Writes a multiboot information block at physical MULTIBOOT_INFO (and its parts after it). */
  writeBootInfo(info: BootInfo): void {
    const m = this.memory;
    const base = KSEG0 + MULTIBOOT_INFO;
    let flags = 0;
    for (let i = 0; i < 0x300; i++) m.setUint8(base + i, 0);
    if (info.memLowerUpper) {
      flags |= 1 << 0;
      m.setUint32(base + 4, info.memLowerUpper[0], true);
      m.setUint32(base + 8, info.memLowerUpper[1], true);
    }
    if (info.cmdline !== undefined) {
      flags |= 1 << 2;
      const physical = MULTIBOOT_INFO + 0x200;
      for (let i = 0; i < info.cmdline.length; i++) m.setUint8(KSEG0 + physical + i, info.cmdline.charCodeAt(i));
      m.setUint8(KSEG0 + physical + info.cmdline.length, 0);
      m.setUint32(base + 16, physical, true);
    }
    if (info.mmap) {
      flags |= 1 << 6;
      const physical = MULTIBOOT_INFO + 0x100;
      info.mmap.forEach((r, i) => {
        const e = KSEG0 + physical + i * 24;
        m.setUint32(e, 20, true);
        m.setUint32(e + 4, r.base >>> 0, true);
        m.setUint32(e + 8, Math.floor(r.base / 2 ** 32), true);
        m.setUint32(e + 12, r.length >>> 0, true);
        m.setUint32(e + 16, Math.floor(r.length / 2 ** 32), true);
        m.setUint32(e + 20, r.type, true);
      });
      m.setUint32(base + 44, info.mmap.length * 24, true);
      m.setUint32(base + 48, physical, true);
    }
    m.setUint32(base, flags, true);
  }

  /** Runs f; returns the Halted/PowerOff/SchedulerStarted that ended it (rethrows anything else). */
  run(f: () => void): Halted | PowerOff | SchedulerStarted {
    try {
      f();
    } catch (e) {
      if (e instanceof Halted || e instanceof PowerOff || e instanceof SchedulerStarted) return e;
      throw e;
    }
    throw new Error('the kernel returned');
  }

  /** Boots with `info` and returns what ended the run. */
  boot(info: BootInfo, magic = MULTIBOOT_MAGIC): Halted | PowerOff | SchedulerStarted {
    this.writeBootInfo(info);
    return this.run(() => this.exports.KiSystemStartup(magic, MULTIBOOT_INFO));
  }

  /** Writes a trap frame at FRAME_ADDRESS (layout of the contract) and returns its address. */
  writeFrame(f: TrapFrame): number {
    const m = this.memory;
    const words = [
      0x10, 0x10, 0x10, 0x10, // gs fs es ds
      f.edi ?? 0, f.esi ?? 0, f.ebp ?? 0, 0, f.ebx ?? 0, f.edx ?? 0, f.ecx ?? 0, f.eax ?? 0,
      f.vector, f.errorCode ?? 0, f.eip ?? 0x80101000, f.cs ?? 0x08, f.eflags ?? 0x202, 0, 0,
    ];
    words.forEach((w, i) => m.setUint32(FRAME_ADDRESS + i * 4, w >>> 0, true));
    return FRAME_ADDRESS;
  }

  /** The serial output as text (Latin-1). */
  get serialText(): string {
    return String.fromCharCode(...this.serial);
  }

  /** One VGA text row: its characters and its attributes. */
  screenRow(row: number): { text: string; attributes: number[] } {
    const m = this.memory;
    let text = '';
    const attributes: number[] = [];
    for (let c = 0; c < 80; c++) {
      text += String.fromCharCode(m.getUint8(VGA_TEXT + (row * 80 + c) * 2));
      attributes.push(m.getUint8(VGA_TEXT + (row * 80 + c) * 2 + 1));
    }
    return { text, attributes };
  }

  screenText(): string {
    const rows: string[] = [];
    for (let r = 0; r < 25; r++) rows.push(this.screenRow(r).text.trimEnd());
    return rows.join('\n');
  }

  // ---- devices ----

  private pitClocks(): number {
    return Math.floor(((this.now - this.pitStart) * PIT_HZ) / 1e6);
  }

  /** Timer wraps (IRQ 0 edges) so far. */
  private pitWraps(): number {
    return this.pitReload ? Math.floor(this.pitClocks() / this.pitReload) : 0;
  }

  private irq0Pending(): boolean {
    return this.pitWraps() > this.wrapsServiced;
  }

  /** Delivers IRQ 0 if it is due and the CPU and PIC let it through. */
  private poll(): void {
    if (this.delivering || !this.interruptsOn) return;
    if (!this.irq0Pending() || (this.picMask[0] & 1) !== 0 || (this.isr[0] & 1) !== 0) return;
    const vector = this.picVectorBase[0];
    this.wrapsServiced = this.pitWraps();
    this.isr[0] |= 1;
    this.ticksDelivered++;
    this.delivering = true;
    this.interruptsOn = false;
    try {
      this.exports.KiTrapDispatch(this.writeFrame({ vector, eip: 0x80101000, eflags: 0x202 }));
    } finally {
      this.delivering = false;
    }
    this.interruptsOn = true; // iretd restores EFLAGS.IF
  }

  private halt(): void {
    if (!this.interruptsOn) throw new Halted(false);
    if (this.serialText.includes('ke: idle loop') && ++this.idleCount > this.idleHalts) throw new Halted(true);
    if (!this.pitReload || (this.picMask[0] & 1) !== 0) throw new Halted(true); // nothing would wake it
    // Sleep until just past the next wrap.
    const nextWrap = this.pitWraps() + 1;
    this.now = this.pitStart + Math.ceil((nextWrap * this.pitReload * 1e6) / PIT_HZ) + 1;
    this.poll();
  }

  private cpuid(leaf: number, out: number): void {
    const str = (s: string) => [0, 4, 8, 12].map((i) => s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24));
    const brand = 'Intel(R) Core(TM) i5-3570 CPU @ 3.40GHz'.padStart(47, ' ').padEnd(48, '\0');
    let regs: number[];
    switch (leaf) {
      case 0: regs = [0x0d, 0x756e6547, 0x6c65746e, 0x49656e69]; break; // "Genu" "ntel" "ineI" as ebx ecx edx
      case 1: regs = [0x000306a9, 0x00010800, 0x7fbae3ff, 0xbfebfbff]; break; // family 6, model 0x3A, stepping 9
      case 0x80000000: regs = [0x80000008, 0, 0, 0]; break;
      case 0x80000002: regs = str(brand.slice(0, 16)); break;
      case 0x80000003: regs = str(brand.slice(16, 32)); break;
      case 0x80000004: regs = str(brand.slice(32, 48)); break;
      default: regs = [0, 0, 0, 0];
    }
    const m = this.memory;
    regs.forEach((r, i) => m.setUint32(out + i * 4, r >>> 0, true));
  }

  portRead(port: number, _size: number): number {
    port &= 0xffff;
    this.now += 1;
    this.poll();
    switch (port) {
      case 0x3fd: return 0x60; // LSR: transmitter empty
      case 0x40: {
        if (this.pitLatch.length === 0) return 0;
        return this.pitLatch.shift()!;
      }
      case 0x20: case 0xa0: {
        const c = port === 0x20 ? 0 : 1;
        if (this.picReadIsr[c]) return this.isr[c];
        return c === 0 && this.irq0Pending() ? 1 : 0;
      }
      case 0x21: return this.picMask[0];
      case 0xa1: return this.picMask[1];
      case 0x71: return this.cmos[this.cmosIndex & 0x7f] ?? 0;
    }
    return 0xff;
  }

  portWrite(port: number, value: number, size: number): void {
    port &= 0xffff;
    this.now += 1;
    this.poll();
    this.portWrites.push({ port, value, size });
    if (port === 0xf4) throw new PowerOff(value);
    if (port >= 0x3f8 && port <= 0x3ff) return this.uartWrite(port - 0x3f8, value);
    switch (port) {
      case 0x20: case 0xa0: return this.picCommand(port === 0x20 ? 0 : 1, value);
      case 0x21: case 0xa1: return this.picData(port === 0x21 ? 0 : 1, value);
      case 0x43: return this.pitCommand(value);
      case 0x40: return this.pitData(value);
      case 0x70: this.cmosIndex = value; return;
      case 0x3ce: this.vgaGraphicsIndex = value; return;
      case 0x3cf: this.vgaGraphics.set(this.vgaGraphicsIndex, value); return;
    }
  }

  private uartWrite(register: number, value: number): void {
    const dlab = (this.lcr & 0x80) !== 0;
    if (register === 0 && !dlab) { this.serial.push(value); return; }
    if (register <= 1 && dlab) { this.uartDivisor[register] = value; return; }
    if (register === 3) this.lcr = value;
    this.uartRegisters.set(register, value);
  }

  private picCommand(c: number, value: number): void {
    if (value & 0x10) { // ICW1
      this.picIcwStep[c] = 1;
      this.picMask[c] = 0;
      this.isr[c] = 0;
      return;
    }
    if ((value & 0x18) === 0x08) { // OCW3
      if ((value & 3) === 2) this.picReadIsr[c] = false;
      if ((value & 3) === 3) this.picReadIsr[c] = true;
      return;
    }
    if (value === 0x20) { // non-specific EOI: the highest priority in-service bit
      this.eoiCount[c]++;
      const isr = this.isr[c];
      if (isr) this.isr[c] = isr & (isr - 1);
    }
  }

  private picData(c: number, value: number): void {
    switch (this.picIcwStep[c]) {
      case 1: this.picVectorBase[c] = value & 0xf8; this.picIcwStep[c] = 2; return;
      case 2: this.picIcwStep[c] = 3; return; // ICW3
      case 3: this.picIcwStep[c] = 0; return; // ICW4
    }
    this.picMask[c] = value;
  }

  private pitCommand(value: number): void {
    const channel = value >> 6;
    if (channel !== 0) return;
    if (((value >> 4) & 3) === 0) { // latch
      const count = this.pitReload ? this.pitReload - (this.pitClocks() % this.pitReload) : 0;
      this.pitLatch = [count & 0xff, (count >> 8) & 0xff];
      return;
    }
    this.pitMode = (value >> 1) & 7;
    this.pitLowByteNext = true;
  }

  private pitData(value: number): void {
    if (this.pitLowByteNext) {
      this.pitLowByte = value;
      this.pitLowByteNext = false;
    } else {
      this.pitReload = this.pitLowByte | (value << 8);
      this.pitLowByteNext = true;
      this.pitStart = this.now;
      this.wrapsServiced = 0;
    }
  }
}

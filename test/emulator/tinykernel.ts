// Hand-assembled multiboot v1 kernels for the emulator harness tests.
//
// The image is loaded at 0x100000 through the multiboot "address fields"
// (flags bit 16), so no ELF is needed: the file is the 32-byte header
// followed by flat 32-bit code.

export const LOAD_ADDR = 0x100000;
const HEADER_SIZE = 32;
const MULTIBOOT_MAGIC = 0x1badb002;

/** A tiny i386 code emitter with just the instructions the tests need. */
export class TinyAsm {
  readonly code: number[] = [];

  private u8(...b: number[]): this {
    for (const x of b) this.code.push(x & 0xff);
    return this;
  }

  private u16(v: number): this {
    return this.u8(v, v >>> 8);
  }

  private u32(v: number): this {
    return this.u8(v, v >>> 8, v >>> 16, v >>> 24);
  }

  /** mov dx, imm16 */
  movDx(port: number): this {
    return this.u8(0x66, 0xba).u16(port);
  }

  /** mov al, imm8 */
  movAl(v: number): this {
    return this.u8(0xb0, v);
  }

  /** mov eax, imm32 */
  movEax(v: number): this {
    return this.u8(0xb8).u32(v);
  }

  /** out dx, al */
  outDxAl(): this {
    return this.u8(0xee);
  }

  /** out dx, eax */
  outDxEax(): this {
    return this.u8(0xef);
  }

  /** out imm8, al */
  outImmAl(port: number): this {
    return this.u8(0xe6, port);
  }

  /** Writes every byte of `text` (Latin-1) to COM1 (0x3F8). */
  serial(text: string): this {
    this.movDx(0x3f8);
    for (let i = 0; i < text.length; i++) this.movAl(text.charCodeAt(i)).outDxAl();
    return this;
  }

  /** Writes `value` to the exit port 0xF4 with a 32-bit `out dx, eax`. */
  exit(value: number): this {
    return this.movDx(0xf4).movEax(value).outDxEax();
  }

  /** Writes `value` to the exit port 0xF4 with an 8-bit `out 0xF4, al`. */
  exit8(value: number): this {
    return this.movAl(value).outImmAl(0xf4);
  }

  /** Raw bytes of an instruction the helpers do not cover. */
  raw(...b: number[]): this {
    return this.u8(...b);
  }

  /** Sets up an LBA28 one-sector PIO command on the primary IDE master. */
  private ideCommand(lba: number, command: number): this {
    this.movDx(0x1f6).movAl(0xe0 | ((lba >>> 24) & 0x0f)).outDxAl();
    this.movDx(0x1f2).movAl(1).outDxAl();
    this.movDx(0x1f3).movAl(lba).outDxAl();
    this.movDx(0x1f4).movAl(lba >>> 8).outDxAl();
    this.movDx(0x1f5).movAl(lba >>> 16).outDxAl();
    this.movDx(0x1f7).movAl(command).outDxAl();
    // wait for DRQ: in al, dx; test al, 8; jz back
    return this.u8(0xec, 0xa8, 0x08, 0x74, 0xfb);
  }

  /** Fills sector `lba` with the 16-bit word `fill` (WRITE SECTORS, 0x30). */
  ideWriteSector(lba: number, fill: number): this {
    this.ideCommand(lba, 0x30);
    this.movDx(0x1f0);
    this.u8(0x66, 0xb8).u16(fill); // mov ax, fill
    this.u8(0xb9).u32(256); // mov ecx, 256
    this.u8(0x66, 0xef, 0xe2, 0xfc); // out dx, ax; loop back
    // wait until not busy: in al, dx; test al, 0x80; jnz back
    return this.movDx(0x1f7).u8(0xec, 0xa8, 0x80, 0x75, 0xfb);
  }

  /** Reads sector `lba` (READ SECTORS, 0x20) and prints its first two bytes to COM1. */
  ideReadSectorPrint2(lba: number): this {
    this.ideCommand(lba, 0x20);
    this.movDx(0x1f0).u8(0x66, 0xed); // in ax, dx
    this.u8(0x66, 0x89, 0xc3); // mov bx, ax
    this.movDx(0x3f8);
    this.u8(0x88, 0xd8).outDxAl(); // mov al, bl; out
    return this.u8(0x88, 0xf8).outDxAl(); // mov al, bh; out
  }

  /** Waits for a byte on COM1 (polling LSR bit 0) and writes it back to COM1. */
  serialEcho(): this {
    // mov dx, 0x3FD; in al, dx; test al, 1; jz back (9 bytes)
    this.movDx(0x3fd).u8(0xec, 0xa8, 0x01, 0x74, 0xf7);
    return this.movDx(0x3f8).u8(0xec).outDxAl(); // in al, dx; out dx, al
  }

  cli(): this {
    return this.u8(0xfa);
  }

  hlt(): this {
    return this.u8(0xf4);
  }

  /** jmp $ (a busy loop with no output) */
  spin(): this {
    return this.u8(0xeb, 0xfe);
  }

  /** cli; hlt; jmp back to the hlt (a machine that is stopped for good) */
  halt(): this {
    return this.cli().hlt().u8(0xeb, 0xfd);
  }
}

/**
 * Builds a multiboot kernel image: header (flags 0x00010003: page-aligned
 * modules, memory info, address fields) then the code emitted by `body`.
 * A trailing `jmp $` guards against running off the end.
 */
export function tinyKernel(body: (a: TinyAsm) => void): Uint8Array {
  const asm = new TinyAsm();
  body(asm);
  asm.spin();
  const size = HEADER_SIZE + asm.code.length;
  const image = new Uint8Array(size);
  const dv = new DataView(image.buffer);
  const flags = 0x00010003;
  dv.setUint32(0, MULTIBOOT_MAGIC, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, (-(MULTIBOOT_MAGIC + flags)) >>> 0, true);
  dv.setUint32(12, LOAD_ADDR, true); // header_addr (header at file offset 0)
  dv.setUint32(16, LOAD_ADDR, true); // load_addr
  dv.setUint32(20, LOAD_ADDR + size, true); // load_end_addr
  dv.setUint32(24, LOAD_ADDR + size, true); // bss_end_addr
  dv.setUint32(28, LOAD_ADDR + HEADER_SIZE, true); // entry_addr
  image.set(asm.code, HEADER_SIZE);
  return image;
}

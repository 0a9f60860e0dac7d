// Reader of `regf` hive files: enough to walk keys and values, for tests of
// the writer and for checking the hive the kernel writes back. It checks what
// it relies on (signatures, allocated cells, bounds, the base block checksum)
// and throws an Error naming the offset of what is wrong.

import { type RegKey, type RegValue, regFold, regNewKey } from './regfile.ts';
import {
  BASE_BLOCK_SIZE, DATA_INLINE, DB_SIG, HBIN_SIGNATURE, KEY_COMP_NAME, LF_SIG, LH_SIG, LI_SIG, NIL,
  NK_HEADER_SIZE, NK_SIG, REGF_CHECKSUM_OFFSET, REGF_SIGNATURE, RI_SIG, SK_SIG, VALUE_COMP_NAME,
  VK_HEADER_SIZE, VK_SIG, regfChecksum,
} from './regf.ts';

export interface RegfHeader {
  sequence1: number;
  sequence2: number;
  major: number;
  minor: number;
  fileType: number;
  rootOffset: number;
  binsSize: number;
  fileName: string;
  checksum: number;
}

export class RegfReader {
  readonly dv: DataView;
  readonly header: RegfHeader;

  constructor(readonly file: Uint8Array) {
    this.dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
    if (file.length < BASE_BLOCK_SIZE + 4096) throw new Error(`hive too small (${file.length} bytes)`);
    if (this.dv.getUint32(0, true) !== REGF_SIGNATURE) throw new Error('no "regf" signature');
    const nameBytes = file.subarray(0x30, 0x70);
    let fileName = new TextDecoder('utf-16le').decode(nameBytes);
    fileName = fileName.slice(0, fileName.indexOf('\0') >= 0 ? fileName.indexOf('\0') : fileName.length);
    this.header = {
      sequence1: this.dv.getUint32(4, true),
      sequence2: this.dv.getUint32(8, true),
      major: this.dv.getUint32(0x14, true),
      minor: this.dv.getUint32(0x18, true),
      fileType: this.dv.getUint32(0x1c, true),
      rootOffset: this.dv.getUint32(0x24, true),
      binsSize: this.dv.getUint32(0x28, true),
      fileName,
      checksum: this.dv.getUint32(REGF_CHECKSUM_OFFSET, true),
    };
    const want = regfChecksum(file);
    if (want !== this.header.checksum) throw new Error(`base block checksum ${hex(this.header.checksum)}, computed ${hex(want)}`);
    if (BASE_BLOCK_SIZE + this.header.binsSize > file.length) throw new Error('hive bins data size past the end of the file');
    this.checkBins();
  }

  /** Walks the bins: each "hbin" at its stated offset, cells tiling it. */
  checkBins(): void {
    let off = 0;
    while (off < this.header.binsSize) {
      const at = BASE_BLOCK_SIZE + off;
      if (this.dv.getUint32(at, true) !== HBIN_SIGNATURE) throw new Error(`no "hbin" at ${hex(off)}`);
      if (this.dv.getUint32(at + 4, true) !== off) throw new Error(`hbin at ${hex(off)} gives a wrong offset`);
      const size = this.dv.getUint32(at + 8, true);
      if (size === 0 || size % 4096 !== 0) throw new Error(`hbin at ${hex(off)} has size ${hex(size)}`);
      let c = off + 32;
      while (c < off + size) {
        const cs = Math.abs(this.dv.getInt32(BASE_BLOCK_SIZE + c, true));
        if (cs < 8 || cs % 8 !== 0 || c + cs > off + size) throw new Error(`bad cell size ${cs} at ${hex(c)}`);
        c += cs;
      }
      off += size;
    }
  }

  /** The payload of an allocated cell: [file offset, payload size]. */
  cell(off: number): [number, number] {
    if (off === NIL || off + 4 > this.header.binsSize) throw new Error(`cell offset ${hex(off)} out of range`);
    const size = this.dv.getInt32(BASE_BLOCK_SIZE + off, true);
    if (size >= 0) throw new Error(`cell at ${hex(off)} is free (size ${size})`);
    return [BASE_BLOCK_SIZE + off + 4, -size - 4];
  }

  private sig(off: number, want: number, what: string): number {
    const [p] = this.cell(off);
    const s = this.dv.getUint16(p, true);
    if (s !== want) throw new Error(`expected ${what} at ${hex(off)}, found signature ${hex(s)}`);
    return p;
  }

  private name(p: number, len: number, compressed: boolean): string {
    const b = this.file.subarray(p, p + len);
    return compressed ? String.fromCharCode(...b) : new TextDecoder('utf-16le').decode(b);
  }

  /** Offsets of the nk cells in a subkey list (lf, lh, li or ri). */
  subkeyOffsets(list: number): number[] {
    const [p] = this.cell(list);
    const s = this.dv.getUint16(p, true);
    const n = this.dv.getUint16(p + 2, true);
    const out: number[] = [];
    if (s === LF_SIG || s === LH_SIG) for (let i = 0; i < n; i++) out.push(this.dv.getUint32(p + 4 + i * 8, true));
    else if (s === LI_SIG) for (let i = 0; i < n; i++) out.push(this.dv.getUint32(p + 4 + i * 4, true));
    else if (s === RI_SIG) for (let i = 0; i < n; i++) out.push(...this.subkeyOffsets(this.dv.getUint32(p + 4 + i * 4, true)));
    else throw new Error(`unknown subkey list signature ${hex(s)} at ${hex(list)}`);
    return out;
  }

  /** Reads one nk: name, flags, class, security cell, values, subkey offsets. */
  key(off: number): { name: string; flags: number; className?: string; security: number; values: RegValue[]; subkeys: number[] } {
    const p = this.sig(off, NK_SIG, 'nk');
    const flags = this.dv.getUint16(p + 2, true);
    const nSub = this.dv.getUint32(p + 0x14, true);
    const subList = this.dv.getUint32(p + 0x1c, true);
    const nVal = this.dv.getUint32(p + 0x24, true);
    const valList = this.dv.getUint32(p + 0x28, true);
    const security = this.dv.getUint32(p + 0x2c, true);
    const classOff = this.dv.getUint32(p + 0x30, true);
    const nameLen = this.dv.getUint16(p + 0x48, true);
    const classLen = this.dv.getUint16(p + 0x4a, true);
    const name = this.name(p + NK_HEADER_SIZE, nameLen, (flags & KEY_COMP_NAME) !== 0);
    const subkeys = nSub > 0 ? this.subkeyOffsets(subList) : [];
    if (subkeys.length !== nSub) throw new Error(`nk ${hex(off)} counts ${nSub} subkeys, its list has ${subkeys.length}`);
    const values: RegValue[] = [];
    if (nVal > 0) {
      const [lp] = this.cell(valList);
      for (let i = 0; i < nVal; i++) values.push(this.value(this.dv.getUint32(lp + i * 4, true)));
    }
    let className: string | undefined;
    if (classOff !== NIL) {
      const [cp] = this.cell(classOff);
      className = this.name(cp, classLen, false);
    }
    this.sig(security, SK_SIG, 'sk');
    return { name, flags, className, security, values, subkeys };
  }

  value(off: number): RegValue {
    const p = this.sig(off, VK_SIG, 'vk');
    const nameLen = this.dv.getUint16(p + 2, true);
    const size = this.dv.getUint32(p + 4, true);
    const dataOff = this.dv.getUint32(p + 8, true);
    const type = this.dv.getUint32(p + 0x0c, true);
    const flags = this.dv.getUint16(p + 0x10, true);
    const name = this.name(p + VK_HEADER_SIZE, nameLen, (flags & VALUE_COMP_NAME) !== 0);
    let data: Uint8Array;
    if (size & DATA_INLINE) {
      const n = size & ~DATA_INLINE;
      if (n > 4) throw new Error(`vk ${hex(off)} has ${n} bytes inline`);
      data = this.file.slice(p + 8, p + 8 + n);
    } else {
      const [dp, cap] = this.cell(dataOff);
      if (this.header.minor >= 4 && size > 16344 && this.dv.getUint16(dp, true) === DB_SIG) {
        const segs = this.dv.getUint16(dp + 2, true);
        const [lp] = this.cell(this.dv.getUint32(dp + 4, true));
        data = new Uint8Array(size);
        let at = 0;
        for (let i = 0; i < segs && at < size; i++) {
          const [sp, scap] = this.cell(this.dv.getUint32(lp + i * 4, true));
          const n = Math.min(scap, 16344, size - at);
          data.set(this.file.subarray(sp, sp + n), at);
          at += n;
        }
        if (at !== size) throw new Error(`vk ${hex(off)}: db segments hold ${at} of ${size} bytes`);
      } else {
        if (size > cap) throw new Error(`vk ${hex(off)}: ${size} bytes of data in a ${cap}-byte cell`);
        data = this.file.slice(dp, dp + size);
      }
    }
    return { name, type, data };
  }

  /** The whole hive as a RegKey tree (root named as stored). */
  tree(off = this.header.rootOffset): RegKey {
    const k = this.key(off);
    const out = regNewKey(k.name);
    if (k.className !== undefined) out.className = k.className;
    for (const v of k.values) out.values.set(regFold(v.name), v);
    for (const s of k.subkeys) {
      const c = this.tree(s);
      out.subkeys.set(regFold(c.name), c);
    }
    return out;
  }
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

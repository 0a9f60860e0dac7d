// Writer of `regf` hive files, the on-disk registry format that Windows,
// hivex and our kernel's cm/ read. The reader is in regf-reader.ts.
//
// Layout (offsets in the hive bins data are relative to file offset 4096):
//
//   +0      base block, 4096 bytes: "regf", sequence numbers, version,
//           root cell offset, hive bins data size, file name, checksum
//   +4096   hbin 0: "hbin" header (32 bytes), then cells
//   ...     hbin N: each bin a multiple of 4096 bytes
//
//   cell:   i32 size (negative = allocated, includes these 4 bytes,
//           multiple of 8), then the record: nk, vk, sk, lf/lh/li/ri,
//           value list, data or db (big data, version 1.4+)
//
// The writer lays cells out in tree order: the shared sk, then each key's
// nk, its values, its subkeys (recursively), its subkey list. Cells never
// span bins; the unused tail of a bin becomes one free cell.

import { type RegKey, type RegValue, utf16le } from './regfile.ts';

export const REGF_SIGNATURE = 0x66676572; // "regf"
export const HBIN_SIGNATURE = 0x6e696268; // "hbin"
export const BASE_BLOCK_SIZE = 4096; // bytes before the first hbin
export const HBIN_HEADER_SIZE = 32; // "hbin", offset, size, reserved, timestamp, spare
export const HBIN_UNIT = 4096; // bins are multiples of this
export const REGF_CHECKSUM_OFFSET = 0x1fc; // XOR of the 127 dwords before it
export const NIL = 0xffffffff; // "no cell" offset

export const NK_SIG = 0x6b6e; // "nk"
export const VK_SIG = 0x6b76; // "vk"
export const SK_SIG = 0x6b73; // "sk"
export const LF_SIG = 0x666c; // "lf": offsets + 4-char name hints
export const LH_SIG = 0x686c; // "lh": offsets + name hashes
export const LI_SIG = 0x696c; // "li": offsets only
export const RI_SIG = 0x6972; // "ri": offsets of leaf lists
export const DB_SIG = 0x6264; // "db": big data segment list

export const KEY_HIVE_EXIT = 0x0002; // mount point of another hive
export const KEY_HIVE_ENTRY = 0x0004; // root key of the hive
export const KEY_NO_DELETE = 0x0008; // cannot be deleted
export const KEY_COMP_NAME = 0x0020; // name stored as Latin-1 bytes
export const VALUE_COMP_NAME = 0x0001; // vk name stored as Latin-1 bytes

export const NK_HEADER_SIZE = 0x4c; // nk fields before the name
export const VK_HEADER_SIZE = 0x14; // vk fields before the name
export const SK_HEADER_SIZE = 0x14; // sk fields before the descriptor
export const DATA_INLINE = 0x80000000; // vk data size flag: data in the offset field
export const BIG_DATA_SEGMENT = 16344; // max bytes per db segment
export const LEAF_MAX = 512; // subkeys per leaf before an ri index is used

/** 2000-01-01T00:00:00Z as a FILETIME: a fixed time keeps builds reproducible. */
export const DEFAULT_FILETIME = 125911584000000000n;

export interface RegfOptions {
  minor?: 3 | 5; // format 1.3 (lf, one cell per datum) or 1.5 (lh, db)
  fileName?: string; // stored in the base block (last 31 chars)
  timestamp?: bigint; // FILETIME for the base block, bins and keys
  rootName?: string; // root key name; Windows uses e.g. "ROOT" / "CMI-CreateHive{...}"
  security?: Uint8Array; // the self-relative descriptor of every key (default regfDefaultSecurity())
}

/** The base block checksum: XOR of dwords 0..126, with NT's two special cases. */
export function regfChecksum(base: Uint8Array): number {
  const dv = new DataView(base.buffer, base.byteOffset, 512);
  let x = 0;
  for (let i = 0; i < REGF_CHECKSUM_OFFSET; i += 4) x ^= dv.getUint32(i, true);
  x >>>= 0;
  if (x === 0xffffffff) return 0xfffffffe;
  if (x === 0) return 1;
  return x;
}

/** The lh hash: h = h*37 + upcase(c) over the UTF-16 code units. */
export function regfNameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 37) + upcaseUnit(name.charCodeAt(i))) >>> 0;
  return h;
}

function upcaseUnit(c: number): number {
  if (c < 0x61) return c;
  if (c <= 0x7a) return c - 0x20;
  const u = String.fromCharCode(c).toUpperCase();
  return u.length === 1 ? u.charCodeAt(0) : c;
}

/** Orders names as Windows does: by upper-cased UTF-16 code units. */
export function regfCompareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = upcaseUnit(a.charCodeAt(i)) - upcaseUnit(b.charCodeAt(i));
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

function latin1(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function sid(auth: number, ...subs: number[]): number[] {
  const b = [1, subs.length, 0, 0, 0, 0, 0, auth];
  for (const s of subs) b.push(s & 0xff, (s >>> 8) & 0xff, (s >>> 16) & 0xff, s >>> 24);
  return b;
}

/**
 * A minimal self-relative security descriptor: owner Administrators, group
 * SYSTEM, a DACL granting SYSTEM and Administrators KEY_ALL_ACCESS and
 * Everyone KEY_READ, inherited by subkeys.
 */
export function regfDefaultSecurity(): Uint8Array {
  return regfSecurity(false);
}

/**
 * The SAM hive's descriptor: owner Administrators, group SYSTEM, a DACL
 * granting SYSTEM KEY_ALL_ACCESS only (NT's SAM\SAM key: nobody else, not
 * even Administrators, may open it; the kernel checks it on every open).
 */
export function regfSystemOnlySecurity(): Uint8Array {
  return regfSecurity(true);
}

function regfSecurity(systemOnly: boolean): Uint8Array {
  const SE_DACL_PRESENT = 0x0004; // Dacl field is valid
  const SE_SELF_RELATIVE = 0x8000; // offsets, not pointers
  const KEY_ALL_ACCESS = 0xf003f; // every key right
  const KEY_READ = 0x20019; // query, enumerate, notify, read control
  const INHERIT = 0x03; // OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE
  const system = sid(5, 18); // S-1-5-18
  const admins = sid(5, 32, 544); // S-1-5-32-544
  const everyone = sid(1, 0); // S-1-1-0
  const ace = (mask: number, who: number[]): number[] => {
    const size = 8 + who.length;
    return [0 /* ACCESS_ALLOWED_ACE_TYPE */, INHERIT, size & 0xff, size >> 8, ...le32(mask), ...who];
  };
  const aces = systemOnly ? [...ace(KEY_ALL_ACCESS, system)]
    : [...ace(KEY_ALL_ACCESS, system), ...ace(KEY_ALL_ACCESS, admins), ...ace(KEY_READ, everyone)];
  const aclSize = 8 + aces.length;
  const acl = [2 /* ACL_REVISION */, 0, aclSize & 0xff, aclSize >> 8, systemOnly ? 1 : 3, 0, 0, 0, ...aces];
  const ownerOff = 20;
  const groupOff = ownerOff + admins.length;
  const daclOff = groupOff + system.length;
  const head = [1, 0, ...le16(SE_DACL_PRESENT | SE_SELF_RELATIVE), ...le32(ownerOff), ...le32(groupOff), ...le32(0), ...le32(daclOff)];
  return Uint8Array.from([...head, ...admins, ...system, ...acl]);
}

function le16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}
function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

/** Bump allocator over the hive bins data; cells never cross a bin. */
class CellAllocator {
  buf = new Uint8Array(64 * 1024);
  dv = new DataView(this.buf.buffer);
  binStart = 0;
  end = 0; // end of the last bin
  pos = 0; // next free byte in the last bin

  constructor(readonly timestamp: bigint) {}

  private ensure(n: number): void {
    if (n <= this.buf.length) return;
    let size = this.buf.length;
    while (size < n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf);
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }

  private closeBin(): void {
    const rest = this.end - this.pos;
    if (rest > 0) this.dv.setInt32(this.pos, rest, true); // one free cell
    this.pos = this.end;
  }

  private openBin(minCell: number): void {
    const size = Math.ceil((minCell + HBIN_HEADER_SIZE) / HBIN_UNIT) * HBIN_UNIT;
    const at = this.end;
    this.ensure(at + size);
    this.dv.setUint32(at, HBIN_SIGNATURE, true);
    this.dv.setUint32(at + 4, at, true); // this bin's offset
    this.dv.setUint32(at + 8, size, true);
    this.dv.setBigUint64(at + 0x14, this.timestamp, true);
    this.binStart = at;
    this.end = at + size;
    this.pos = at + HBIN_HEADER_SIZE;
  }

  /** Allocates a cell for `size` payload bytes; returns its offset. */
  alloc(size: number): number {
    const cell = (size + 4 + 7) & ~7;
    if (this.end === 0 || this.pos + cell > this.end) {
      this.closeBin();
      this.openBin(cell);
    }
    const at = this.pos;
    this.dv.setInt32(at, -cell, true);
    this.pos += cell;
    return at;
  }

  /** Allocates a cell holding `bytes`. */
  put(bytes: Uint8Array): number {
    const at = this.alloc(bytes.length);
    this.buf.set(bytes, at + 4);
    return at;
  }

  finish(): Uint8Array {
    if (this.end === 0) this.openBin(0);
    this.closeBin();
    return this.buf.slice(0, this.end);
  }
}

/** Builds a complete hive file from a key tree. */
export function regfWrite(root: RegKey, opts: RegfOptions = {}): Uint8Array {
  const minor = opts.minor ?? 5;
  const ts = opts.timestamp ?? DEFAULT_FILETIME;
  const a = new CellAllocator(ts);

  // One shared sk for every key: a circular list of one.
  const sd = opts.security ?? regfDefaultSecurity();
  const sk = a.alloc(SK_HEADER_SIZE + sd.length);
  let keyCount = 0;

  const writeData = (data: Uint8Array): number => {
    if (minor < 4 || data.length <= BIG_DATA_SEGMENT) return a.put(data);
    const segs: number[] = [];
    for (let o = 0; o < data.length; o += BIG_DATA_SEGMENT) segs.push(a.put(data.subarray(o, o + BIG_DATA_SEGMENT)));
    const list = a.alloc(segs.length * 4);
    segs.forEach((s, i) => a.dv.setUint32(list + 4 + i * 4, s, true));
    const db = a.alloc(8);
    a.dv.setUint16(db + 4, DB_SIG, true);
    a.dv.setUint16(db + 6, segs.length, true);
    a.dv.setUint32(db + 8, list, true);
    return db;
  };

  const writeValue = (v: RegValue): number => {
    const comp = isLatin1(v.name);
    const nameBytes = comp ? latin1(v.name) : utf16le(v.name);
    const vk = a.alloc(VK_HEADER_SIZE + nameBytes.length);
    const p = vk + 4;
    a.dv.setUint16(p, VK_SIG, true);
    a.dv.setUint16(p + 2, nameBytes.length, true);
    a.dv.setUint32(p + 0x0c, v.type >>> 0, true);
    a.dv.setUint16(p + 0x10, comp && v.name.length > 0 ? VALUE_COMP_NAME : 0, true);
    a.buf.set(nameBytes, p + VK_HEADER_SIZE);
    if (v.data.length <= 4) {
      // Small data lives in the offset field itself.
      a.dv.setUint32(p + 4, (DATA_INLINE | v.data.length) >>> 0, true);
      a.buf.set(v.data, p + 8);
    } else {
      const d = writeData(v.data);
      a.dv.setUint32(p + 4, v.data.length, true);
      a.dv.setUint32(p + 8, d, true);
    }
    return vk;
  };

  const writeLeaf = (kids: { off: number; name: string }[]): number => {
    const lf = a.alloc(4 + kids.length * 8);
    a.dv.setUint16(lf + 4, minor >= 5 ? LH_SIG : LF_SIG, true);
    a.dv.setUint16(lf + 6, kids.length, true);
    kids.forEach((k, i) => {
      const e = lf + 8 + i * 8;
      a.dv.setUint32(e, k.off, true);
      if (minor >= 5) a.dv.setUint32(e + 4, regfNameHash(k.name), true);
      else for (let j = 0; j < 4 && j < k.name.length; j++) a.buf[e + 4 + j] = k.name.charCodeAt(j) & 0xff;
    });
    return lf;
  };

  const writeKey = (key: RegKey, parent: number, isRoot: boolean): number => {
    keyCount++;
    const comp = isLatin1(key.name);
    const nameBytes = comp ? latin1(key.name) : utf16le(key.name);
    const nk = a.alloc(NK_HEADER_SIZE + nameBytes.length);
    const p = nk + 4;
    let flags = comp ? KEY_COMP_NAME : 0;
    if (isRoot) flags |= KEY_HIVE_ENTRY | KEY_NO_DELETE;
    a.dv.setUint16(p, NK_SIG, true);
    a.dv.setUint16(p + 2, flags, true);
    a.dv.setBigUint64(p + 4, ts, true);
    a.dv.setUint32(p + 0x10, parent, true);
    a.dv.setUint32(p + 0x1c, NIL, true);
    a.dv.setUint32(p + 0x20, NIL, true); // no volatile subkeys on disk
    a.dv.setUint32(p + 0x28, NIL, true);
    a.dv.setUint32(p + 0x2c, sk, true);
    a.dv.setUint32(p + 0x30, NIL, true);
    a.dv.setUint16(p + 0x48, nameBytes.length, true);
    a.buf.set(nameBytes, p + NK_HEADER_SIZE);

    if (key.className !== undefined) {
      const cls = utf16le(key.className);
      a.dv.setUint32(p + 0x30, a.put(cls), true);
      a.dv.setUint16(p + 0x4a, cls.length, true);
    }

    const values = [...key.values.values()];
    if (values.length > 0) {
      const offs = values.map(writeValue);
      const list = a.alloc(offs.length * 4);
      offs.forEach((o, i) => a.dv.setUint32(list + 4 + i * 4, o, true));
      a.dv.setUint32(p + 0x24, values.length, true);
      a.dv.setUint32(p + 0x28, list, true);
      a.dv.setUint32(p + 0x3c, Math.max(...values.map((v) => v.name.length * 2)), true);
      a.dv.setUint32(p + 0x40, Math.max(...values.map((v) => v.data.length)), true);
    }

    const subs = [...key.subkeys.values()].sort((x, y) => regfCompareNames(x.name, y.name));
    if (subs.length > 0) {
      const kids = subs.map((s) => ({ off: writeKey(s, nk, false), name: s.name }));
      let list: number;
      if (kids.length <= LEAF_MAX) list = writeLeaf(kids);
      else {
        const leaves: number[] = [];
        for (let i = 0; i < kids.length; i += LEAF_MAX) leaves.push(writeLeaf(kids.slice(i, i + LEAF_MAX)));
        list = a.alloc(4 + leaves.length * 4);
        a.dv.setUint16(list + 4, RI_SIG, true);
        a.dv.setUint16(list + 6, leaves.length, true);
        leaves.forEach((l, i) => a.dv.setUint32(list + 8 + i * 4, l, true));
      }
      a.dv.setUint32(p + 0x14, subs.length, true);
      a.dv.setUint32(p + 0x1c, list, true);
      a.dv.setUint32(p + 0x34, Math.max(...subs.map((s) => s.name.length * 2)), true);
      a.dv.setUint32(p + 0x38, Math.max(...subs.map((s) => (s.className ?? '').length * 2)), true);
    }
    return nk;
  };

  const rootOff = writeKey({ ...root, name: opts.rootName ?? root.name }, NIL, true);

  // The sk now that the number of keys sharing it is known.
  const q = sk + 4;
  a.dv.setUint16(q, SK_SIG, true);
  a.dv.setUint32(q + 4, sk, true); // flink: itself
  a.dv.setUint32(q + 8, sk, true); // blink: itself
  a.dv.setUint32(q + 0x0c, keyCount, true);
  a.dv.setUint32(q + 0x10, sd.length, true);
  a.buf.set(sd, q + SK_HEADER_SIZE);

  const bins = a.finish();
  const file = new Uint8Array(BASE_BLOCK_SIZE + bins.length);
  const dv = new DataView(file.buffer);
  dv.setUint32(0x00, REGF_SIGNATURE, true);
  dv.setUint32(0x04, 1, true); // primary sequence number
  dv.setUint32(0x08, 1, true); // secondary: equal means consistent
  dv.setBigUint64(0x0c, ts, true);
  dv.setUint32(0x14, 1, true); // major version
  dv.setUint32(0x18, minor, true);
  dv.setUint32(0x1c, 0, true); // file type: primary
  dv.setUint32(0x20, 1, true); // file format: direct memory load
  dv.setUint32(0x24, rootOff, true);
  dv.setUint32(0x28, bins.length, true);
  dv.setUint32(0x2c, 1, true); // clustering factor
  const fname = utf16le((opts.fileName ?? '').slice(-31));
  file.set(fname, 0x30);
  dv.setUint32(REGF_CHECKSUM_OFFSET, regfChecksum(file), true);
  file.set(bins, BASE_BLOCK_SIZE);
  return file;
}

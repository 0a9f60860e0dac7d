// FAT directory names: 8.3 short names, the NT lowercase flags, and VFAT long
// file name (LFN) entries. Facts from Microsoft's FAT32 File System
// Specification (fatgen103): the short-name character set, the LFN entry
// layout and its checksum, the numeric-tail ("~1") short names that stand
// in for long names.
//
// A short name is 11 bytes: 8 of base and 3 of extension, space padded, no
// dot. A name that fits 8.3 but is all lowercase in the base and/or the
// extension is stored uppercase with NT's flag bits in DIR_NTRes (what
// Windows NT does), so it needs no LFN. Any other name gets a generated short
// name plus LFN entries in front of it:
//
//   [ord 0x40|n][ord n-1] ... [ord 1][short entry]
//
// each LFN entry holding 13 UTF-16 code units, the name ending in 0x0000 and
// padded with 0xFFFF.

/** Longest long name in UTF-16 code units. */
export const LFN_MAX_CHARS = 255;
/** UTF-16 code units per LFN entry. */
export const LFN_CHARS_PER_ENTRY = 13;
/** DIR_Attr value marking an LFN entry (read-only|hidden|system|volume). */
export const ATTR_LONG_NAME = 0x0f;
/** LDIR_Ord flag on the LFN entry stored first (the last piece of the name). */
export const LFN_LAST_FLAG = 0x40;
/** DIR_NTRes bit: the base name is lowercase. */
export const NTRES_LOWER_BASE = 0x08;
/** DIR_NTRes bit: the extension is lowercase. */
export const NTRES_LOWER_EXT = 0x10;

/** Characters allowed in a short name besides A-Z and 0-9 (fatgen103 §6.1). */
const SHORT_EXTRA = "!#$%&'()-@^_`{}~";
/** Characters a long name may contain that a short name may not. */
const LONG_ONLY = '+,;=[] .';
/** Characters never allowed in any name. */
const FORBIDDEN = '"*/:<>?\\|';

/** What a directory entry needs to record a name. */
export interface FatName {
  short: Uint8Array; // 11 bytes, space padded
  ntRes: number; // NTRES_LOWER_* bits
  long: string | null; // set when LFN entries are needed
}

/** Throws unless `name` is a legal long file name; `path` names it in the error. */
export function FatCheckLongName(name: string, path: string): void {
  if (name.length === 0) throw new Error(`FAT: empty name in ${path}`);
  if (name === '.' || name === '..') throw new Error(`FAT: reserved name "${name}" at ${path}`);
  if (name.length > LFN_MAX_CHARS)
    throw new Error(`FAT: name too long (${name.length} > ${LFN_MAX_CHARS} UTF-16 units): ${path}`);
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || FORBIDDEN.includes(ch)) throw new Error(`FAT: invalid character ${JSON.stringify(ch)} in name: ${path}`);
  }
  if (/[ .]$/.test(name)) throw new Error(`FAT: name ends in a space or a period: ${path}`);
}

function isShortChar(ch: string): boolean {
  return /^[A-Za-z0-9]$/.test(ch) || SHORT_EXTRA.includes(ch);
}

/** 'upper' | 'lower' | 'none' (no letters) | 'mixed' */
function letterCase(s: string): 'upper' | 'lower' | 'none' | 'mixed' {
  const up = /[A-Z]/.test(s);
  const low = /[a-z]/.test(s);
  return up && low ? 'mixed' : up ? 'upper' : low ? 'lower' : 'none';
}

function pack83(base: string, ext: string): Uint8Array {
  const out = new Uint8Array(11).fill(0x20);
  for (let i = 0; i < base.length; i++) out[i] = base.charCodeAt(i);
  for (let i = 0; i < ext.length; i++) out[8 + i] = ext.charCodeAt(i);
  if (out[0] === 0xe5) out[0] = 0x05; // 0xE5 would mean "deleted"
  return out;
}

/** The name as a plain 8.3 entry when it fits one (maybe with NT lowercase flags), else null. */
function asShortName(name: string): FatName | null {
  const dot = name.lastIndexOf('.');
  const base = dot < 0 ? name : name.slice(0, dot);
  const ext = dot < 0 ? '' : name.slice(dot + 1);
  if (base.length < 1 || base.length > 8 || ext.length > 3) return null;
  if (![...base, ...ext].every(isShortChar)) return null;
  const bc = letterCase(base);
  const ec = letterCase(ext);
  if (bc === 'mixed' || ec === 'mixed') return null;
  const ntRes = (bc === 'lower' ? NTRES_LOWER_BASE : 0) | (ec === 'lower' ? NTRES_LOWER_EXT : 0);
  return { short: pack83(base.toUpperCase(), ext.toUpperCase()), ntRes, long: null };
}

/**
 * Short-name basis of a long name (fatgen103's algorithm): uppercase, spaces
 * and extra periods dropped, other illegal characters turned to '_', cut to
 * 8.3. `lossy` says whether anything but case was lost; only a lossy basis
 * needs a numeric tail ("Windows" keeps WINDOWS, "Program Files" is PROGRA~1).
 */
function basis(name: string): { base: string; ext: string; lossy: boolean } {
  let lossy = false;
  const clean = (s: string) =>
    [...s.toUpperCase()]
      .filter((ch) => (ch === ' ' || ch === '.' ? ((lossy = true), false) : true))
      .map((ch) => (isShortChar(ch) ? ch : ((lossy = true), '_')))
      .join('');
  const trimmed = name.replace(/^\.+/, '');
  if (trimmed !== name) lossy = true;
  const dot = trimmed.lastIndexOf('.');
  const fullBase = clean(dot < 0 ? trimmed : trimmed.slice(0, dot));
  const fullExt = dot < 0 ? '' : clean(trimmed.slice(dot + 1));
  if (fullBase.length > 8 || fullExt.length > 3 || fullBase.length === 0) lossy = true;
  return { base: fullBase.slice(0, 8) || '_', ext: fullExt.slice(0, 3), lossy };
}

/**
 * Chooses the directory-entry name for `name`. `taken` holds the 11-byte short
 * names (as latin1 strings) already used in the directory; the result's short
 * name is added to it.
 */
export function FatMakeName(name: string, taken: Set<string>): FatName {
  const plain = asShortName(name);
  if (plain) {
    const key = latin1(plain.short);
    if (!taken.has(key)) {
      taken.add(key);
      return plain;
    }
  }
  const { base, ext, lossy } = basis(name);
  if (!lossy) {
    const short = pack83(base, ext);
    const key = latin1(short);
    if (!taken.has(key)) {
      taken.add(key);
      return { short, ntRes: 0, long: name };
    }
  }
  for (let n = 1; n < 1_000_000; n++) {
    const tail = `~${n}`;
    const short = pack83(base.slice(0, 8 - tail.length) + tail, ext);
    const key = latin1(short);
    if (!taken.has(key)) {
      taken.add(key);
      return { short, ntRes: 0, long: name };
    }
  }
  throw new Error(`FAT: no free short name for ${name}`);
}

export function latin1(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** The LFN checksum of an 11-byte short name (fatgen103 §7, ChkSum). */
export function FatLfnChecksum(short: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + short[i]) & 0xff;
  return sum;
}

/** Number of LFN entries a long name takes. */
export function FatLfnCount(long: string): number {
  return Math.ceil(long.length / LFN_CHARS_PER_ENTRY);
}

/** Byte offsets in an LFN entry of its 13 UTF-16 units (Name1, Name2, Name3). */
export const LFN_CHAR_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/** The LFN entries (32 bytes each, in on-disk order) for `long` in front of `short`. */
export function FatLfnEntries(long: string, short: Uint8Array): Uint8Array[] {
  const count = FatLfnCount(long);
  const sum = FatLfnChecksum(short);
  const out: Uint8Array[] = [];
  for (let ord = count; ord >= 1; ord--) {
    const e = new Uint8Array(32);
    const dv = new DataView(e.buffer);
    e[0] = ord | (ord === count ? LFN_LAST_FLAG : 0);
    e[11] = ATTR_LONG_NAME;
    e[12] = 0; // LDIR_Type
    e[13] = sum;
    // LDIR_FstClusLO (26) stays 0.
    for (let i = 0; i < LFN_CHARS_PER_ENTRY; i++) {
      const k = (ord - 1) * LFN_CHARS_PER_ENTRY + i;
      const unit = k < long.length ? long.charCodeAt(k) : k === long.length ? 0x0000 : 0xffff;
      dv.setUint16(LFN_CHAR_OFFSETS[i], unit, true);
    }
    out.push(e);
  }
  return out;
}

/** Display form of an 11-byte short name with NT lowercase flags applied ("readme.TXT"). */
export function FatShortToString(short: Uint8Array, ntRes: number): string {
  const raw = latin1(short);
  let base = raw.slice(0, 8).trimEnd();
  let ext = raw.slice(8).trimEnd();
  if (base.charCodeAt(0) === 0x05) base = '\xe5' + base.slice(1);
  if (ntRes & NTRES_LOWER_BASE) base = base.toLowerCase();
  if (ntRes & NTRES_LOWER_EXT) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}

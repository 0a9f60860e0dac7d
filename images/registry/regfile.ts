// Parser for the Windows `.reg` export format ("Windows Registry Editor
// Version 5.00"), the text source of the SYSTEM hive.
//
// The input is UTF-16LE with a BOM (what regedit writes) or UTF-8/ASCII.
// Parsing yields an ordered list of operations (create key, delete key, set
// value, delete value), each with its source line, so that applying them to a
// RegKey tree (regApply) reproduces what regedit's import would do. Every line
// is either understood or reported as an error naming the file, the line and
// what is wrong: nothing is silently dropped.

/** Value types (winnt.h), as written in hex(N) forms. */
export const REG_NONE = 0; // no type
export const REG_SZ = 1; // UTF-16LE string, NUL-terminated
export const REG_EXPAND_SZ = 2; // string with %VARIABLE% references
export const REG_BINARY = 3; // raw bytes
export const REG_DWORD = 4; // 32-bit little-endian
export const REG_DWORD_BIG_ENDIAN = 5; // 32-bit big-endian
export const REG_LINK = 6; // symbolic link target (UTF-16LE, no NUL)
export const REG_MULTI_SZ = 7; // strings, each NUL-terminated, then NUL
export const REG_RESOURCE_LIST = 8; // CM_RESOURCE_LIST
export const REG_FULL_RESOURCE_DESCRIPTOR = 9; // CM_FULL_RESOURCE_DESCRIPTOR
export const REG_RESOURCE_REQUIREMENTS_LIST = 10; // IO_RESOURCE_REQUIREMENTS_LIST
export const REG_QWORD = 11; // 64-bit little-endian

export const REG_HEADER = 'Windows Registry Editor Version 5.00';

/** One value: name '' is the key's default value (`@=`). */
export interface RegValue {
  name: string;
  type: number;
  data: Uint8Array;
}

export type RegOp =
  | { kind: 'key'; path: string[]; line: number }
  | { kind: 'deleteKey'; path: string[]; line: number }
  | { kind: 'value'; path: string[]; value: RegValue; line: number }
  | { kind: 'deleteValue'; path: string[]; name: string; line: number };

export interface RegFile {
  fileName: string;
  ops: RegOp[];
}

/** A parse or apply error; `line` is 1-based (0 when not tied to a line). */
export class RegError extends Error {
  constructor(
    readonly fileName: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${fileName}:${line}: ${reason}` : `${fileName}: ${reason}`);
    this.name = 'RegError';
  }
}

/** Decodes file bytes: UTF-16LE (BOM or NUL-interleaved) or UTF-8. */
export function regDecodeText(bytes: Uint8Array, fileName: string): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    if ((bytes.length & 1) !== 0) throw new RegError(fileName, 0, 'UTF-16LE file has an odd number of bytes');
    return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    throw new RegError(fileName, 0, 'UTF-16BE input is not supported (regedit writes UTF-16LE)');
  }
  if (bytes.length >= 4 && bytes[1] === 0 && bytes[3] === 0 && bytes[0] !== 0) {
    return new TextDecoder('utf-16le').decode(bytes.subarray(0, bytes.length & ~1));
  }
  let start = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start));
  } catch {
    throw new RegError(fileName, 0, 'not valid UTF-8 and no UTF-16LE byte order mark');
  }
}

/** Encodes a JS string as UTF-16LE bytes. */
export function utf16le(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

/** REG_SZ / REG_EXPAND_SZ data for a string: UTF-16LE plus a NUL. */
export function regSzData(s: string): Uint8Array {
  return utf16le(s + '\0');
}

/** REG_MULTI_SZ data: each string NUL-terminated, then a final NUL. */
export function regMultiSzData(list: string[]): Uint8Array {
  return utf16le(list.map((s) => s + '\0').join('') + '\0');
}

export function regDwordData(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

export function regQwordData(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

/** Splits a key path at backslashes, rejecting empty components. */
export function regSplitPath(path: string): string[] | null {
  const parts = path.split('\\');
  if (parts.some((p) => p.length === 0)) return null;
  return parts;
}

/**
 * Parses `.reg` text (already decoded, or raw bytes). Throws RegError on the
 * first problem.
 */
export function regParse(input: string | Uint8Array, fileName: string): RegFile {
  const text = typeof input === 'string' ? input.replace(/^\uFEFF/, '') : regDecodeText(input, fileName);
  const lines = text.split(/\r\n|\n|\r/);
  const ops: RegOp[] = [];
  let current: string[] | null = null;
  let sawHeader = false;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fail = (reason: string): never => {
      throw new RegError(fileName, lineNo, reason);
    };
    const line = lines[i].trim();
    if (line === '') continue;
    if (!sawHeader) {
      if (line !== REG_HEADER) fail(`expected the header "${REG_HEADER}", found "${clip(line)}"`);
      sawHeader = true;
      continue;
    }
    if (line.startsWith(';')) continue;

    if (line.startsWith('[')) {
      const close = line.lastIndexOf(']');
      if (close < 0) fail('key line has no closing "]"');
      const rest = line.slice(close + 1).trim();
      if (rest !== '' && !rest.startsWith(';')) fail(`unexpected text after "]": "${clip(rest)}"`);
      const del = line[1] === '-';
      const body = line.slice(del ? 2 : 1, close);
      // hivexregedit writes the root as "[PREFIX\]": one trailing backslash is allowed.
      const path = regSplitPath(body.endsWith('\\') ? body.slice(0, -1) : body);
      if (!path) fail(`malformed key path "${clip(body)}" (empty component)`);
      if (del) {
        ops.push({ kind: 'deleteKey', path: path!, line: lineNo });
        current = null; // values after a deletion have no key to go to
      } else {
        ops.push({ kind: 'key', path: path!, line: lineNo });
        current = path!;
      }
      continue;
    }

    // A value line: "name"=data or @=data.
    let name: string;
    let pos: number;
    if (line.startsWith('@')) {
      name = '';
      pos = 1;
    } else if (line.startsWith('"')) {
      const s = readQuoted(line, 0, fail);
      name = s.value;
      pos = s.end;
    } else {
      fail(`expected "[key]", "name"=value, @=value or a ";" comment, found "${clip(line)}"`);
    }
    while (line[pos!] === ' ' || line[pos!] === '\t') pos!++;
    if (line[pos!] !== '=') fail(`expected "=" after the value name`);
    pos!++;
    while (line[pos!] === ' ' || line[pos!] === '\t') pos!++;
    if (!current) fail('value line outside a key (no [key] line before it, or after a [-key] deletion)');
    const what = name! === '' ? 'default value' : `value "${name!}"`;
    let rest = line.slice(pos!);

    if (rest === '-' || /^-\s*(;.*)?$/.test(rest)) {
      ops.push({ kind: 'deleteValue', path: current!, name: name!, line: lineNo });
      continue;
    }
    if (rest.startsWith('"')) {
      const s = readQuoted(rest, 0, fail);
      expectEnd(rest.slice(s.end), fail);
      ops.push({ kind: 'value', path: current!, line: lineNo, value: { name: name!, type: REG_SZ, data: regSzData(s.value) } });
      continue;
    }
    const m = /^([a-zA-Z]+)(?:\(([^)]*)\))?:/.exec(rest);
    if (!m) fail(`malformed data for ${what}: "${clip(rest)}"`);
    const word = m![1].toLowerCase();
    rest = rest.slice(m![0].length);
    if (word === 'dword' && m![2] === undefined) {
      const dm = /^([0-9a-fA-F]{1,8})\s*(;.*)?$/.exec(rest);
      if (!dm) fail(`bad dword for ${what}: "${clip(rest)}" (want 1-8 hex digits)`);
      const v = parseInt(dm![1], 16);
      ops.push({ kind: 'value', path: current!, line: lineNo, value: { name: name!, type: REG_DWORD, data: regDwordData(v) } });
      continue;
    }
    if (word !== 'hex') fail(`unknown value type "${m![0].slice(0, -1)}" for ${what}`);
    let type = REG_BINARY;
    if (m![2] !== undefined) {
      if (!/^[0-9a-fA-F]{1,8}$/.test(m![2])) fail(`bad type number in "hex(${m![2]})" for ${what}`);
      type = parseInt(m![2], 16);
    }
    // Hex data may continue on the following lines after a trailing "\".
    let hex = stripComment(rest);
    while (hex.endsWith('\\')) {
      hex = hex.slice(0, -1);
      i++;
      if (i >= lines.length) fail(`hex data for ${what} continues past the end of the file`);
      const next = stripComment(lines[i].trim());
      if (next === '') fail(`hex data for ${what} continues onto an empty line ${i + 1}`);
      hex += next;
    }
    const data = parseHexBytes(hex, (why) => fail(`bad hex for ${what}: ${why}`));
    ops.push({ kind: 'value', path: current!, line: lineNo, value: { name: name!, type, data } });
  }
  if (!sawHeader) throw new RegError(fileName, 0, `empty file (no "${REG_HEADER}" header)`);
  return { fileName, ops };
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Reads a "quoted" string starting at `start`; regedit escapes \\ and \". */
function readQuoted(s: string, start: number, fail: (r: string) => never): { value: string; end: number } {
  let out = '';
  let i = start + 1;
  for (;;) {
    if (i >= s.length) fail('unterminated string (missing closing ")');
    const c = s[i];
    if (c === '"') return { value: out, end: i + 1 };
    if (c === '\\') {
      const e = s[i + 1];
      if (e === '\\' || e === '"') out += e;
      else if (e === 'n') out += '\n';
      else if (e === 'r') out += '\r';
      else if (e === '0') out += '\0';
      else fail(`unknown escape "\\${e ?? ''}" in string (known: \\\\ \\" \\n \\r \\0)`);
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
}

function stripComment(s: string): string {
  const k = s.indexOf(';');
  return (k >= 0 ? s.slice(0, k) : s).trim();
}

function expectEnd(rest: string, fail: (r: string) => never): void {
  const t = rest.trim();
  if (t !== '' && !t.startsWith(';')) fail(`unexpected text after the value: "${clip(t)}"`);
}

/** Parses "01,ab, 2f" (empty allowed) into bytes. */
function parseHexBytes(s: string, fail: (why: string) => never): Uint8Array {
  const t = s.replace(/\s+/g, '');
  if (t === '') return new Uint8Array(0);
  const parts = t.split(',');
  if (parts[parts.length - 1] === '') parts.pop(); // a trailing comma is harmless
  const out = new Uint8Array(parts.length);
  parts.forEach((p, k) => {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) fail(`"${clip(p)}" at byte ${k} is not a hex byte`);
    out[k] = parseInt(p, 16);
  });
  return out;
}

// ---- The key tree that operations apply to ----

/** A key: names compare case-insensitively, as in the registry. */
export interface RegKey {
  name: string;
  className?: string;
  values: Map<string, RegValue>; // by upper-cased name
  subkeys: Map<string, RegKey>; // by upper-cased name
}

export function regNewKey(name: string): RegKey {
  return { name, values: new Map(), subkeys: new Map() };
}

export function regFold(name: string): string {
  return name.toUpperCase();
}

/** Finds a key by path components below `root`, or null. */
export function regFindKey(root: RegKey, path: string[]): RegKey | null {
  let k: RegKey | undefined = root;
  for (const p of path) {
    k = k.subkeys.get(regFold(p));
    if (!k) return null;
  }
  return k;
}

/**
 * Applies the operations of `file` to `root`. Key paths must start with
 * `rootPath` (e.g. ["HKEY_LOCAL_MACHINE", "SYSTEM"]), which names `root`
 * itself; a key outside it is an error, not skipped. `mapPath` may rewrite
 * each key path (relative to the root) before it applies, from the tree as
 * it is at that operation (the SYSTEM hive's CurrentControlSet, hive.ts).
 */
export function regApply(root: RegKey, file: RegFile, rootPath: string[],
                         mapPath?: (rel: string[], root: RegKey, fail: (reason: string) => never) => string[]): RegKey {
  for (const op of file.ops) {
    let rel = relativePath(op.path, rootPath);
    if (!rel) {
      throw new RegError(file.fileName, op.line, `key "${op.path.join('\\')}" is outside the hive root "${rootPath.join('\\')}"`);
    }
    if (mapPath) rel = mapPath(rel, root, (reason) => { throw new RegError(file.fileName, op.line, reason); });
    switch (op.kind) {
      case 'key': {
        let k = root;
        for (const p of rel) {
          let c = k.subkeys.get(regFold(p));
          if (!c) k.subkeys.set(regFold(p), (c = regNewKey(p)));
          k = c;
        }
        break;
      }
      case 'deleteKey': {
        if (rel.length === 0) throw new RegError(file.fileName, op.line, 'cannot delete the hive root key');
        const parent = regFindKey(root, rel.slice(0, -1));
        parent?.subkeys.delete(regFold(rel[rel.length - 1]));
        break;
      }
      case 'value': {
        const k = regFindKey(root, rel)!; // created by the key op before it
        k.values.set(regFold(op.value.name), op.value);
        break;
      }
      case 'deleteValue':
        regFindKey(root, rel)?.values.delete(regFold(op.name));
        break;
    }
  }
  return root;
}

function relativePath(path: string[], rootPath: string[]): string[] | null {
  if (path.length < rootPath.length) return null;
  for (let i = 0; i < rootPath.length; i++) if (regFold(path[i]) !== regFold(rootPath[i])) return null;
  return path.slice(rootPath.length);
}

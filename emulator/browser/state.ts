// The page's machine-state files (the "save state" and "restore state"
// buttons). A saved file carries the serial log received so far with v86's
// state, so a restored machine comes back with its terminal, timeline and
// process tree as they were:
//
//   +0  'NTSTATE1'   magic (8 bytes)
//   +8  u32 LE       log length in bytes (Latin-1, one byte per serial byte)
//   +12 log bytes, then v86's state (what V86.save_state() returns) to the end
//
// A bare v86 state (e.g. `npm start -- --snapshot FILE`) is accepted too, and
// restores without a log.

const MAGIC = 'NTSTATE1';

/** A saved machine: v86's state and the serial log before it. */
export interface PageState { state: ArrayBuffer; log: string }

export function packState(s: PageState): Uint8Array {
  const out = new Uint8Array(12 + s.log.length + s.state.byteLength);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  new DataView(out.buffer).setUint32(8, s.log.length, true);
  for (let i = 0; i < s.log.length; i++) out[12 + i] = s.log.charCodeAt(i) & 0xff;
  out.set(new Uint8Array(s.state), 12 + s.log.length);
  return out;
}

export function unpackState(bytes: ArrayBuffer): PageState {
  const b = new Uint8Array(bytes);
  const magic = b.length >= 12 ? String.fromCharCode(...b.subarray(0, 8)) : '';
  if (magic !== MAGIC) return { state: bytes, log: '' };
  const n = new DataView(bytes).getUint32(8, true);
  if (12 + n > b.length) throw new Error('the state file is cut short');
  let log = '';
  for (let i = 0; i < n; i += 8192) log += String.fromCharCode(...b.subarray(12 + i, 12 + Math.min(n, i + 8192)));
  return { state: bytes.slice(12 + n), log };
}

// Pass 3, allocate: where each wasm local lives.
//
// The hottest 32-bit locals are pinned in the callee-saved registers esi, edi
// and ebx (ebx last: it is the only one of the three with a byte form, which
// stores of 8-bit values need). A local must be used at least twice to earn a
// register (a parameter four: PARAM_MIN_WEIGHT). Functions with 64-bit values keep one more register free for
// register pairs. Every other local gets a frame slot below ebp; parameters
// stay where the caller pushed them (stdcall: [ebp+8] is the first).
//
//   [ebp+8+..]  parameters            [ebp-4*k]  saved callee registers
//   [ebp+4]     return address        then       local slots, spill slots
//   [ebp]       caller's ebp

import { ECX, EDX, EBX, ESI, EDI } from './x86.ts';
import type { LoweredFunc } from './lower.ts';

export interface LocalHome {
  /** A register number, or -1 when the local lives in memory at [ebp+disp]. */
  reg: number;
  disp: number;
}

export interface FrameLayout {
  homes: LocalHome[];
  /** Registers holding pinned locals. */
  pinned: number[];
  /** Bytes below ebp used by the three callee-saved register save slots and the locals. */
  localsBytes: number;
  /** Offsets of the save slot for ebx, esi, edi. */
  saveSlot: Map<number, number>;
  /** Sum of parameter sizes in bytes (the `ret N` operand). */
  paramBytes: number;
}

const PIN_ORDER = [ESI, EDI, EBX];
/**
 * A parameter already has a home (the caller's slot, usable as an operand): pinning
 * it costs a load and the register's save and restore, so it takes more uses than a
 * declared local (whose every write would otherwise be a store): a use inside a loop,
 * or four outside.
 */
const PARAM_MIN_WEIGHT = 4;

export function allocateFrame(lf: LoweredFunc): FrameLayout {
  const homes: LocalHome[] = [];
  // Parameters: caller's slots.
  let argOff = 8;
  for (let i = 0; i < lf.numParams; i++) {
    const wide = lf.localTypes[i] === 'i64' || lf.localTypes[i] === 'f64';
    homes.push({ reg: -1, disp: argOff });
    argOff += wide ? 8 : 4;
  }
  // Choose pinned locals by weight. A leaf function may also keep one in edx (or
  // ecx), leaving two temporaries (vstack.ts: address expressions then own at most one).
  const spare = lf.spareRegs.edx ? EDX : lf.spareRegs.ecx ? ECX : -1;
  const order = spare >= 0 ? [...PIN_ORDER, spare] : PIN_ORDER;
  const maxPins = lf.usesI64 ? 2 : order.length;
  const candidates = lf.localTypes
    .map((t, i) => ({ i, t, w: lf.weight[i] }))
    .filter((c) => (c.t === 'i32' || c.t === 'f32') && c.w >= (c.i < lf.numParams ? PARAM_MIN_WEIGHT : 2))
    .sort((a, b) => b.w - a.w || a.i - b.i)
    .slice(0, maxPins);
  const pinReg = new Map<number, number>();
  candidates.forEach((c, k) => pinReg.set(c.i, order[k]));
  // Save slots for the callee-saved registers come first below ebp; then a slot for
  // each declared local that is not pinned (a pinned one never needs its slot).
  const saveSlot = new Map<number, number>([[EBX, -4], [ESI, -8], [EDI, -12]]);
  let off = -12;
  for (let i = lf.numParams; i < lf.localTypes.length; i++) {
    const wide = lf.localTypes[i] === 'i64' || lf.localTypes[i] === 'f64';
    if (pinReg.has(i)) { homes.push({ reg: -1, disp: 0 }); continue; }
    off -= wide ? 8 : 4;
    homes.push({ reg: -1, disp: off });
  }
  const pinned: number[] = [];
  for (const [i, r] of pinReg) {
    homes[i] = { reg: r, disp: homes[i].disp };
    pinned.push(r);
  }
  return { homes, pinned, localsBytes: -off, saveSlot, paramBytes: argOff - 8 };
}

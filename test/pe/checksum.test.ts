// The PE CheckSum (scripts/pe/checksum.ts) against an independent
// implementation written here from the definition, against hand-computed
// values, and (in interop.test.ts) against the value GNU ld stores.

import { describe, expect, it } from 'vitest';
import { peChecksum, peChecksumOffset, peStoreChecksum, peVerifyChecksum } from '../../scripts/pe/checksum.ts';
import { STATUS_IMAGE_CHECKSUM_MISMATCH } from '../../scripts/pe/format.ts';
import { peRead } from '../../scripts/pe/reader.ts';
import { sampleDll, sampleExe } from './samples.ts';

/**
 * Independent definition: the end-around-carry sum of the 16-bit words is
 * the plain sum S reduced modulo 0xFFFF into 1..0xFFFF (0 only when S is 0),
 * computed here in one step with BigInt on a copy whose CheckSum field is 0.
 */
function referenceChecksum(file: Uint8Array): number {
  const copy = file.slice();
  const field = peChecksumOffset(copy);
  if (field >= 0) copy.fill(0, field, field + 4);
  let sum = 0n;
  for (let i = 0; i < copy.length; i += 2) sum += BigInt(copy[i] | ((copy[i + 1] ?? 0) << 8));
  const folded = sum === 0n ? 0n : ((sum - 1n) % 0xffffn) + 1n;
  return Number((folded + BigInt(copy.length)) & 0xffffffffn);
}

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe('PE checksum', () => {
  it('matches hand-computed values', () => {
    expect(peChecksum(new Uint8Array([]))).toBe(0);
    expect(peChecksum(new Uint8Array([0x01]))).toBe(1 + 1); // odd byte as a word, plus length 1
    expect(peChecksum(new Uint8Array([0xff, 0xff, 0x01, 0x00]))).toBe(1 + 4); // 0xFFFF + 1 folds to 1
    expect(peChecksum(new Uint8Array([0xff, 0xff, 0x00, 0x00]))).toBe(0xffff + 4); // 0xFFFF stays (one's complement -0)
    expect(peChecksum(new Uint8Array([0x34, 0x12, 0xcd, 0xab]))).toBe(((0x1234 + 0xabcd) & 0xffff) + 4);
  });

  it('agrees with the independent definition on random files of every parity', () => {
    for (let n = 0; n < 200; n++) {
      const file = noise(n * 37 + (n & 1), n + 1);
      expect(peChecksum(file), `file ${n}`).toBe(referenceChecksum(file));
    }
  });

  it('leaves out the CheckSum field, whatever it holds', () => {
    const { bytes } = sampleExe();
    const field = peChecksumOffset(bytes);
    expect(field).toBe(0x80 + 4 + 20 + 64);
    for (const value of [0, 1, 0xffff, 0x12345678, 0xffffffff]) {
      const copy = bytes.slice();
      new DataView(copy.buffer).setUint32(field, value, true);
      expect(peChecksum(copy)).toBe(referenceChecksum(copy));
    }
  });

  it('is what the writer stores in its images', () => {
    for (const { bytes } of [sampleExe(), sampleDll()]) {
      expect(peVerifyChecksum(bytes)).toEqual({ stored: referenceChecksum(bytes), computed: referenceChecksum(bytes), status: 0 });
    }
  });

  it('reports a changed byte as a mismatch, and a zero CheckSum as none', () => {
    const bytes = sampleExe().bytes.slice();
    bytes[0x400] ^= 0x01; // first byte of .text
    expect(peVerifyChecksum(bytes).status).toBe(STATUS_IMAGE_CHECKSUM_MISMATCH);
    const img = peRead(bytes);
    expect(img.warnings.map((w) => [w.rule, w.status])).toEqual([['W1 checksum', STATUS_IMAGE_CHECKSUM_MISMATCH]]);
    peStoreChecksum(bytes);
    expect(peVerifyChecksum(bytes).status).toBe(0);
    const unset = sampleExe({ checksum: false }).bytes;
    expect(peVerifyChecksum(unset)).toMatchObject({ stored: 0, status: 0 });
    expect(peRead(unset).warnings).toEqual([]);
  });
});

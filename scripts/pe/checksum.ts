// The PE optional header's CheckSum, computed as Windows computes it
// (imagehlp's CheckSumMappedFile and ntdll's LdrVerifyMappedImageMatchesChecksum
// agree on the algorithm; GNU ld stores the same value, see interop.test.ts):
//
//   1. Add the file up as little-endian 16-bit words (an odd last byte is a
//      word with a zero high byte) into a 32-bit sum, folding the carry back
//      after every word: sum = (sum & 0xFFFF) + (sum >>> 16). The sum stays
//      in 0..0xFFFF; it is 0 only when every word is 0.
//   2. Take out the two words of the stored CheckSum field with the same
//      end-around borrow (subtracting them this way equals adding the file
//      with the field zeroed, up to the 0 / 0xFFFF ambiguity of one's
//      complement; a writer sums with the field zeroed, so the two agree).
//   3. Add the file length in bytes.
//
// A stored CheckSum of 0 means "not set": Windows checks the sum only for
// images that must carry one (drivers loaded by the boot loader, images with
// IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY); the reader reports a mismatch as
// a warning and leaves the decision to the loader.

import { DOS_E_LFANEW, OH, STATUS_IMAGE_CHECKSUM_MISMATCH, STATUS_SUCCESS } from './format.ts';

/** File offset of the optional header's CheckSum field, or -1 when the headers are too short. */
export function peChecksumOffset(file: Uint8Array): number {
  if (file.length < DOS_E_LFANEW + 4) return -1;
  const lfanew = new DataView(file.buffer, file.byteOffset, file.byteLength).getInt32(DOS_E_LFANEW, true);
  const offset = lfanew + 4 + 20 + OH.CheckSum;
  return lfanew > 0 && offset + 4 <= file.length ? offset : -1;
}

/** Step 1: the folded 16-bit word sum of `file`. */
function foldedWordSum(file: Uint8Array): number {
  let sum = 0;
  const even = file.length & ~1;
  for (let i = 0; i < even; i += 2) {
    sum += file[i] | (file[i + 1] << 8);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (even < file.length) {
    sum += file[even];
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return sum;
}

/** Step 2: subtract one word with an end-around borrow. */
function subtractWord(sum: number, word: number): number {
  if (sum < word) sum -= 1;
  return (sum - word) & 0xffff;
}

/**
 * The checksum of a PE file as Windows computes it, whatever its CheckSum
 * field holds. Write the result into the field to make the image consistent.
 */
export function peChecksum(file: Uint8Array): number {
  let sum = foldedWordSum(file);
  const field = peChecksumOffset(file);
  if (field >= 0) {
    sum = subtractWord(sum, file[field] | (file[field + 1] << 8));
    sum = subtractWord(sum, file[field + 2] | (file[field + 3] << 8));
  }
  return (sum + file.length) >>> 0;
}

/** Compute the checksum and store it in the image's CheckSum field. */
export function peStoreChecksum(file: Uint8Array): number {
  const field = peChecksumOffset(file);
  if (field < 0) throw new Error('peStoreChecksum: the file has no optional header CheckSum field');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  view.setUint32(field, 0, true);
  const sum = peChecksum(file);
  view.setUint32(field, sum, true);
  return sum;
}

export interface ChecksumResult {
  stored: number; // the CheckSum field
  computed: number; // what Windows computes
  status: number; // STATUS_SUCCESS, or STATUS_IMAGE_CHECKSUM_MISMATCH when stored != 0 and differs
}

/** Compare the stored CheckSum with the computed one; a stored 0 is never a mismatch. */
export function peVerifyChecksum(file: Uint8Array): ChecksumResult {
  const field = peChecksumOffset(file);
  const stored = field < 0 ? 0 : new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(field, true);
  const computed = peChecksum(file);
  const status = stored !== 0 && stored !== computed ? STATUS_IMAGE_CHECKSUM_MISMATCH : STATUS_SUCCESS;
  return { stored, computed, status };
}

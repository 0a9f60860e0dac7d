// What fsck.fat -n says about a volume's dirty flag (kernel/fat/fatdirty.ts),
// for the power-cut tests: a cut while the volume was in use leaves the
// clean-shutdown bit of FAT[1] clear ("Dirty bit is set"), and a cut between
// the bit's writes to the first and the second FAT copy leaves copies that
// differ in FAT[1] alone. Both are what the flag is for, not damage.
import { openDisk } from '../../images/build.ts';

const DIRTY = /Dirty bit is set\. Fs was not properly unmounted and some data may be corrupt\.\s*\n\s*Automatically removing dirty bit\.\n/;
const FATS_DIFFER = /FATs differ but appear to be intact\.\s+Using first FAT\.\n/;

/** True when the volume's FAT copies are identical but for entry 1. */
export function fatsDifferOnlyInEntry1(image: Uint8Array): boolean {
  const volume = openDisk(image);
  const b = volume.bpb;
  const entries = Math.floor((b.fatSize * b.bytesPerSector) / (b.type === 'fat16' ? 2 : 4));
  for (let n = 0; n < Math.min(entries, b.clusterCount + 2); n++) {
    if (n !== 1 && volume.fatEntry(n, 0) !== volume.fatEntry(n, 1)) return false;
  }
  return true;
}

/**
 * fsck.fat -n's output without its header, summary and "unchanged" lines,
 * and without the dirty flag's own complaints (the dirty bit; FAT copies
 * that differ in FAT[1] only).
 */
export function complaintsBesidesDirty(out: string, image: Uint8Array): string {
  let text = out.replace(/fsck\.fat .*\n|Leaving filesystem unchanged\.\n|.*: \d+ files, .*\n/g, '').replace(DIRTY, '');
  if (FATS_DIFFER.test(text) && fatsDifferOnlyInEntry1(image)) text = text.replace(FATS_DIFFER, '');
  return text.trim();
}

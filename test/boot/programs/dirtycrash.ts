// Writes \dirty.txt, then ends as a critical process: STOP 0xEF comes
// before the volume is marked clean, so the disk the guest leaves is dirty.
import { writeDirty, becomeCritical } from "./dirtywrite";
export function main(): void { writeDirty(); becomeCritical(); }

// lsass's MD4 (images/system32/lsass/md4.ts) exported for test/images/md4.test.ts,
// which runs it as WebAssembly in Node.
import { Md4 } from "../../../images/system32/lsass/md4";
export function hash(data: usize, length: u32, digest: usize): void { Md4(data, length, digest); }
export const buffer: usize = memory.data(512, 4);
export const out: usize = memory.data(16, 4);

// One part of vitest's global setup (test/globalsetup.ts starts two of these
// at once, one per core): `kernels` compiles and links the product, chaos and
// self-test kernels; `system32` builds System32's images. Each leaves its work
// in build/cache and build/system32, where the test workers find it.
import { buildKernel } from '../scripts/build.ts';
import { buildSystem32 } from '../images/system32.ts';

const part = process.argv[2];
const t0 = performance.now();
if (part === 'kernels') {
  await buildKernel({ write: false });
  await buildKernel({ write: false, chaos: true });
  await buildKernel({ write: false, selfTest: true });
} else if (part === 'system32') {
  await buildSystem32();
} else {
  console.error(`prebuild: unknown part ${part} (kernels, system32)`);
  process.exit(2);
}
if (process.env.PREBUILD_LOG) console.error(`prebuild: ${part} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

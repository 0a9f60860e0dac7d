// A build worker thread (scripts/buildpool.ts), started without the parent's
// loader flags: scripts/tsx.mjs loads binaryen and registers tsx in this
// thread, then the pool's worker side takes jobs.
import './tsx.mjs';

const { buildWorkerMain } = await import('./buildpool.ts');
await buildWorkerMain();

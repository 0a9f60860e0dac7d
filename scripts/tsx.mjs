// `node --import ./scripts/tsx.mjs FILE.ts`: TypeScript through tsx, as
// `node --import tsx` does, with binaryen loaded before tsx's hooks.
//
// tsx's loader (module hooks, on a thread of their own in Node 20) takes every
// module's source through it. binaryen's index.js is 13.5 MB: under
// `--import tsx` loading it costs about 7 s of CPU, in plain Node 0.4 s.
// Loaded here first, binaryen (and AssemblyScript, which imports it) is in
// Node's module cache when the build's modules import it, and tsx never sees
// it. Worth it where a process compiles AssemblyScript: the build
// (scripts/buildstamp.mjs), its worker threads (scripts/buildworker.mjs) and
// vitest's global setup (test/prebuild.ts).
import 'binaryen';
import 'assemblyscript/asc';
import { register } from 'tsx/esm/api';

register();

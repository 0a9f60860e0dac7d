// The boot test helpers live in test/boot/helpers.ts (snapshots kept under
// build/cache/snapshots, the standard machine, logOn); this name stays for
// the tests that import it from here.
export * from '../boot/helpers.ts';

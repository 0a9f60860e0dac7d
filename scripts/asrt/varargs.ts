// AssemblyScript passes the number of arguments a call supplies to a function
// with optional parameters through one module global (`~argumentsLength`):
// the caller stores the count, the callee's `@varargs` trampoline reads it and
// fills in the defaults. Between the store and the read the caller may still
// evaluate arguments, and a thread switch can fall anywhere there; another
// thread's call then overwrites the count (every `call_indirect` stores one
// too). The trampoline then takes the wrong defaults or reaches its
// `unreachable`: STOP 0x1E (0xC000001D) in the kernel, seen in the self-test
// kernel's Ob tests in about one boot in four. Every image of ours runs
// threads, so no image may read that global: each call passes every argument.
//
// The check reads the compiler's text output, which names the global, so it
// also finds a trampoline the optimiser inlined into its caller.

const READ = 'global.get $~argumentsLength';

/** The functions of a module (from `asc -t` text) that read the argument count, and who calls each. */
export function argumentCountReaders(wat: string): Array<{ reader: string; callers: string[] }> {
  const starts = [...wat.matchAll(/^ \(func \$(\S+)/gm)];
  const bodies = starts.map((m, i) => ({ name: m[1], text: wat.slice(m.index!, i + 1 < starts.length ? starts[i + 1].index! : wat.length) }));
  const readers = bodies.filter((f) => f.text.includes(READ));
  return readers.map((r) => ({
    reader: r.name,
    callers: bodies.filter((f) => f !== r && f.text.includes(`call $${r.name}\n`)).map((f) => f.name),
  }));
}

/** Throws, naming each call to fix, when the compiled `entry` reads the argument count. */
export function refuseArgumentCountReaders(wat: string, entry: string): void {
  const readers = argumentCountReaders(wat);
  if (readers.length === 0) return;
  const lines = readers.map(({ reader, callers }) => callers.length
    ? `  ${reader.replace(/@varargs$/, '')}, called without all its arguments by ${callers.join(', ')}`
    : `  ${reader} (an optional argument left out here, or a call through the table)`);
  throw new Error(
    `asc ${entry}: calls leave out optional arguments. AssemblyScript passes their count through a module global ` +
    `that another thread can overwrite before the callee reads it (a wrong default, or a trap in the kernel). ` +
    `Pass every argument (scripts/asrt/varargs.ts):\n${lines.join('\n')}`,
  );
}

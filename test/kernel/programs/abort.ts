// A probe for the kernel's `abort` (KiAbort): compiled by the host test with
// the kernel's flags (`--use abort=kernel/ke/bugcheck/KiAbort`), it brings up
// COM1 and then throws, which AssemblyScript turns into abort(message, file,
// line, column).

import { HalInitializeSerial } from "../../../kernel/hal/serial";
// The `--use abort=` target must be part of the program.
export { KiAbort } from "../../../kernel/ke/bugcheck";

export function probe(): void {
  HalInitializeSerial();
  throw new Error("probe failure");
}

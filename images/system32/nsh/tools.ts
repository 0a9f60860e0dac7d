// nsh's system commands (tlist, kill, critical, reg, obj, sessions,
// newsession, switch, events): written by their own owner (CONTRACTS.md
// section 1). Until then, a stub: no command is one of these.

/** Runs `name` with `args`: -1 when `name` is not one of these commands, else 0 or the failing NTSTATUS (already printed with ShStatus). */
export function ToolRun(name: string, args: Array<string>): i32 {
  return -1;
}

/** One line per command, for `help`. */
export function ToolHelp(): Array<string> {
  return new Array<string>();
}

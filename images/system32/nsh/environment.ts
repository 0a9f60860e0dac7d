// nsh's `set`: the process's environment block (ProcessParameters->
// Environment: "NAME=VALUE" strings, each ended by a NUL, the block by an
// empty one), which `start` passes on to the programs it starts.
//
//   set              every variable (not the hidden "=C:=C:\..." ones)
//   set PREFIX       the variables whose names start with PREFIX
//   set NAME=VALUE   sets NAME (RtlSetEnvironmentVariable); `set NAME=` removes it

import { RtlGetCurrentPeb, RtlSetEnvironmentVariable, STATUS_SUCCESS } from "../native/nt";
import { Unicode, Upper } from "../native/util";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import { ShStatus, ShWriteLine } from "./io";

/** The strings of the process's environment block, in its order. */
export function EnvironmentStrings(): Array<string> {
  const out = new Array<string>();
  const params = changetype<PEB>(RtlGetCurrentPeb()).ProcessParameters;
  if (params == 0) return out;
  let p = changetype<RTL_USER_PROCESS_PARAMETERS>(params).Environment;
  if (p == 0) return out;
  while (load<u16>(p) != 0) {
    let n: usize = 0;
    while (load<u16>(p + (n << 1)) != 0) n++;
    out.push(String.UTF16.decodeUnsafe(p, n << 1));
    p += (n + 1) << 1;
  }
  return out;
}

export function CmdSet(rest: string): i32 {
  const equals = rest.indexOf("=");
  if (equals < 0) {
    const prefix = Upper(rest);
    let shown = 0;
    const strings = EnvironmentStrings();
    for (let i = 0; i < strings.length; i++) {
      if (strings[i].startsWith("=") || !Upper(strings[i]).startsWith(prefix)) continue;
      ShWriteLine(strings[i]);
      shown++;
    }
    if (shown == 0 && rest.length != 0) ShWriteLine("Environment variable " + rest + " not defined");
    return 0;
  }
  const name = rest.substring(0, equals).trim();
  const value = rest.substring(equals + 1, rest.length);
  if (name.length == 0) { ShWriteLine("usage: set NAME=VALUE"); return 0; }
  const status = RtlSetEnvironmentVariable(0, Unicode(name), value.length != 0 ? Unicode(value) : 0);
  if (status != STATUS_SUCCESS) ShStatus("set " + name, <i32>status);
  return <i32>status;
}

// nsh.exe, the native command shell: what winlogon starts for a user who
// logged on (SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon `Shell`);
// its end is the log-off. It runs on the session's screen (win32k) and, in
// session 1, on COM1 as well (io.ts), so a terminal, the browser page and
// the tests can drive it.
//
// The loop: a prompt with the current directory (`C:\Windows\System32> `),
// a line (line.ts: backspace, history on the arrow keys), the command run:
// the shell's own first (this file and files.ts), then the system commands
// of tools.ts. Every failure prints its NTSTATUS and the status's name
// (io.ts ShStatus). The first prompt logs `nsh: session <n>: prompt`.
// After each command the heap it used is given back (heap.ts).
//
// Threads: one (audited 2026-12-07): it starts none, so its static buffers and
// globals have one user; the ntdll routines it calls lock for themselves.

import {
  NtClose, NtShutdownSystem, RtlAdjustPrivilege, STATUS_SUCCESS,
} from "../native/nt";
import { CurrentProcessId, CurrentSessionId, Decimal, Expand, ImagePathOf, Log, Slot, StartProcess } from "../native/util";
import { ShOpen, ShHasInput, ShStatus, ShWrite, ShWriteLine } from "./io";
import { ShPrompt, ShReadLine } from "./line";
import { HeapMark, HeapRelease } from "./heap";
import { CmdCd, CmdCopy, CmdDel, CmdDir, CmdMkdir, CmdRen, CmdRmdir, CmdType, CurrentDirectory, SetStartDirectory } from "./files";
import { CmdSet } from "./environment";
import { ToolHelp, ToolRun } from "./tools";

const SE_SHUTDOWN_PRIVILEGE: u32 = 19;
const ShutdownReboot: u32 = 1;
const ShutdownPowerOff: u32 = 2;

let Session: u32 = 0;
let Running = true;

/** The words of a command line; "double quotes" keep spaces in a word. */
export function SplitWords(line: string): Array<string> {
  const words = new Array<string>();
  let word = "";
  let inWord = false, quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (c == "\"") { quoted = !quoted; inWord = true; continue; }
    if ((c == " " || c == "\t") && !quoted) {
      if (inWord) { words.push(word); word = ""; inWord = false; }
      continue;
    }
    word += c;
    inWord = true;
  }
  if (inWord) words.push(word);
  return words;
}

/** What follows the first word of `line` (for start's command line, as typed). */
function Rest(line: string): string {
  let s = line.trimStart();
  if (s.startsWith("\"")) {
    const end = s.indexOf("\"", 1);
    s = end > 0 ? s.substring(end + 1, s.length) : "";
  } else {
    const space = s.indexOf(" ");
    s = space > 0 ? s.substring(space, s.length) : "";
  }
  return s.trim();
}

const HELP: string[] = [
  "cd [DIR]               show or change the current directory",
  "dir [PATH]             list a directory (wildcards * and ? in the last part)",
  "type FILE              show a file",
  "copy FROM TO           copy a file (TO may be a directory)",
  "ren FROM NAME          rename a file or directory (NAME: a new name or path)",
  "del FILE               delete a file",
  "mkdir DIR              make a directory",
  "rmdir DIR              remove an empty directory",
  "set [NAME[=VALUE]]     show the environment, or set (empty VALUE: remove) a variable",
  "start IMAGE [ARGS]     start a program (System32 unless a path is given) with this environment",
  "logoff                 end the shell: winlogon shows the logon screen again",
  "shutdown               power the computer off",
  "reboot                 restart the computer",
  "help                   this list",
];

function CmdHelp(): i32 {
  ShWriteLine("The shell's commands:");
  for (let i = 0; i < HELP.length; i++) ShWriteLine("  " + HELP[i]);
  const tools = ToolHelp();
  if (tools.length != 0) {
    ShWriteLine("System commands:");
    for (let i = 0; i < tools.length; i++) ShWriteLine("  " + tools[i]);
  }
  ShWriteLine("Keys: Backspace edits the line, Up and Down recall earlier lines.");
  return 0;
}

/** start IMAGE ARGS: NT's start does not wait; the process id is printed. */
function CmdStart(line: string): i32 {
  const commandLine = Rest(line);
  if (commandLine.length == 0) { ShWriteLine("usage: start IMAGE [ARGS]"); return 0; }
  const image = ImagePathOf(commandLine);
  const started = StartProcess(image, commandLine, 0, false);
  if (started.status != STATUS_SUCCESS) { ShStatus("start " + image, <i32>started.status); return <i32>started.status; }
  NtClose(started.thread);
  NtClose(started.process);
  ShWriteLine("started " + image + ": process " + Decimal(started.pid));
  return 0;
}

/** shutdown / reboot: NtShutdownSystem with SeShutdownPrivilege; returns only when it fails. */
function CmdShutdown(action: u32): i32 {
  ShWriteLine(action == ShutdownReboot ? "Restarting..." : "Shutting down...");
  Log("session " + Decimal(Session) + ": " + (action == ShutdownReboot ? "reboot" : "shutdown") + " requested");
  const enabled = Slot();
  const privilege = RtlAdjustPrivilege(SE_SHUTDOWN_PRIVILEGE, true, false, enabled);
  if (privilege != STATUS_SUCCESS) { ShStatus("SeShutdownPrivilege", <i32>privilege); return <i32>privilege; }
  const status = NtShutdownSystem(action);
  ShStatus("NtShutdownSystem", <i32>status);
  return <i32>status;
}

/** Runs one command line. */
function Execute(line: string): void {
  const words = SplitWords(line);
  if (words.length == 0) return;
  const name = words[0].toLowerCase();
  const args = words.slice(1, words.length);
  if (name == "help" || name == "?") CmdHelp();
  else if (name == "cd" || name == "chdir") CmdCd(args);
  else if (name == "dir") CmdDir(args);
  else if (name == "type") CmdType(args);
  else if (name == "copy") CmdCopy(args);
  else if (name == "ren" || name == "rename") CmdRen(args);
  else if (name == "del" || name == "erase") CmdDel(args);
  else if (name == "mkdir" || name == "md") CmdMkdir(args);
  else if (name == "rmdir" || name == "rd") CmdRmdir(args);
  else if (name == "set") CmdSet(Rest(line));
  else if (name == "start") CmdStart(line);
  else if (name == "logoff" || name == "exit") Running = false;
  else if (name == "shutdown") CmdShutdown(ShutdownPowerOff);
  else if (name == "reboot") CmdShutdown(ShutdownReboot);
  else if (ToolRun(name, args) == -1) ShWriteLine("'" + words[0] + "' is not a command; type help for the list.");
}

export function main(): void {
  Session = CurrentSessionId();
  ShOpen(Session);
  if (!ShHasInput()) { Log("session " + Decimal(Session) + ": no screen and no COM1 to read from; logging off"); return; }
  SetStartDirectory(Expand("%SystemRoot%\\System32"));
  Log("session " + Decimal(Session) + ": process " + Decimal(CurrentProcessId()));
  ShWriteLine("");
  ShWriteLine("nsh, the native shell (session " + Decimal(Session) + "). Type help for the commands.");
  let prompted = false;
  while (Running) {
    const mark = HeapMark();
    const prompt = CurrentDirectory() + "> ";
    ShPrompt(prompt);
    if (!prompted) { Log("session " + Decimal(Session) + ": prompt"); prompted = true; }
    const line = ShReadLine(prompt);
    if (line == null) { Log("session " + Decimal(Session) + ": nothing left to read from; logging off"); break; }
    Execute(line);
    HeapRelease(mark);
  }
}

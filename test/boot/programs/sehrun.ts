// Runs the exception test programs (seh.test.ts) one after another, as
// mingwrun does (its `run`), and prints `NAME exit 0x........` for each:
// the MinGW programs test/mingw/seh*.c and the AssemblyScript program
// test/boot/programs/sehas.ts, all on the disk in \mingw.
import { run } from "./mingwrun";
import { put, flush } from "./nt";

export function main(): void {
  run("seh", "\\??\\C:\\mingw\\seh.exe", "C:\\mingw\\seh.exe", "seh.exe");
  run("sehdie", "\\??\\C:\\mingw\\sehdie.exe", "C:\\mingw\\sehdie.exe", "sehdie.exe");
  run("sehstack", "\\??\\C:\\mingw\\sehstack.exe", "C:\\mingw\\sehstack.exe", "sehstack.exe unmapped");
  run("sehstack", "\\??\\C:\\mingw\\sehstack.exe", "C:\\mingw\\sehstack.exe", "sehstack.exe kernel");
  run("sehstack", "\\??\\C:\\mingw\\sehstack.exe", "C:\\mingw\\sehstack.exe", "sehstack.exe readonly");
  run("sehas", "\\??\\C:\\mingw\\sehas.exe", "C:\\mingw\\sehas.exe", "sehas.exe");
  put("done"); flush();
}

// NtQuerySystemInformation from ring 3: the basic information, then the
// process list (sized by a first call that is too small), one line per process.
import { NtQuerySystemInformation, NtQueryInformationThread, put, putHex, putDec, flush } from "./nt";
import { ThreadBasicInformation } from "../../../kernel/sdk/procinfo";
import { SystemBasicInformation, SystemProcessInformation } from "../../../kernel/sdk/sysinfo";

const basic = memory.data(44, 4);
const needed = memory.data(4, 4);
const list = memory.data(8192, 4);
const tbi = memory.data(28, 4);

export function main(): void {
  put("basic "); putHex(NtQuerySystemInformation(SystemBasicInformation, basic, 44, needed)); put(" page "); putDec(load<u32>(basic, 8));
  put(" granularity "); putHex(load<u32>(basic, 24)); put(" user "); putHex(load<u32>(basic, 28)); put("-"); putHex(load<u32>(basic, 32));
  put(" processors "); putDec(<u32>load<u8>(basic, 40)); flush();
  put("too small "); putHex(NtQuerySystemInformation(SystemProcessInformation, list, 16, needed)); put(" needed "); putDec(load<u32>(needed) > 184 ? 1 : 0); flush();
  put("processes "); putHex(NtQuerySystemInformation(SystemProcessInformation, list, 8192, needed)); flush();
  let at = list;
  while (true) {
    const threads = load<u32>(at, 4);
    put("pid "); putDec(load<u32>(at, 68)); put(" threads "); putDec(threads); put(" session "); putDec(load<u32>(at, 80)); put(" name ");
    const length = <u32>load<u16>(at, 56);
    const buffer = load<u32>(at, 60);
    if (length == 0) put("(none)");
    for (let i: u32 = 0; i < length; i += 2) { const c = load<u16>(buffer + i); const s = String.fromCharCode(c); put(s); }
    put(" tid "); putDec(load<u32>(at + 184, 36)); flush();
    const next = load<u32>(at);
    if (next == 0) break;
    at += next;
  }
  put("thread "); putHex(NtQueryInformationThread(0xFFFFFFFE, ThreadBasicInformation, tbi, 28, 0)); put(" teb "); putHex(load<u32>(tbi, 4)); put(" priority "); putDec(load<u32>(tbi, 20)); flush();
}

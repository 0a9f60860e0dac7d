// The services fuzzer's LPC test server (svcfuzz.ts starts it as a thread):
// \fuzz\port and the waitable \fuzz\wport, created again whenever the fuzzer
// closes them; every connection is accepted (the last 8 communication ports
// kept), every request answered, so the fuzzer's NtConnectPort and
// NtRequestWaitReplyPort calls meet a live server.
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { NtClose, NtDelayExecution, NtYieldExecution } from "./nt";
import { NtAcceptConnectPort, NtCompleteConnectPort, NtCreatePort, NtCreateWaitablePort, NtReplyPort, NtReplyWaitReceivePortEx } from "./lpcnt";

export let serverPort: u32 = 0;
export let waitPort: u32 = 0;
export let serverAccepted: u32 = 0, serverReplied: u32 = 0;
let stopping = false;
/** The server ends its loop (at the end of the run). */
export function stopLpcServer(): void { stopping = true; }

/** The LPC server on \fuzz\port: accepts every connection, answers every request. */
const srvReceive = memory.data(0x200, 8);
const srvReply = memory.data(0x200, 8);
const srvCell = memory.data(16, 4);
const srvTimeout = memory.data(8, 8);
const srvComm = memory.data(8 * 4, 4);
let srvCommN: u32 = 0;
const srvName = memory.data(8, 4);
const srvOa = memory.data(24, 4);
function nameOa(name: string): u32 {
  InitializeCountedString(srvName, <u32>changetype<usize>(name), name.length << 1, name.length << 1);
  InitializeObjectAttributes(srvOa, srvName, OBJ_CASE_INSENSITIVE, 0, 0);
  return <u32>srvOa;
}
/** The server serves both its ports in turn: \fuzz\port and the waitable \fuzz\wport (a request to either gets a reply). */
export function server(p: u32): void {
  store<i64>(srvTimeout, -200000);
  let turn: u32 = 0;
  while (!stopping) {
    if (serverPort == 0) {
      const s = NtCreatePort(srvCell, nameOa("\\fuzz\\port"), 0x100, 0x148, 0);
      if (s != 0) { NtDelayExecution(0, srvTimeout); continue; }
      serverPort = load<u32>(srvCell);
    }
    if (waitPort == 0 && NtCreateWaitablePort(srvCell, nameOa("\\fuzz\\wport"), 0x40, 0x148, 0) == 0) waitPort = load<u32>(srvCell);
    turn++;
    const port = (turn & 1) != 0 || waitPort == 0 ? serverPort : waitPort;
    store<u32>(srvCell, 0, 4);
    const s = NtReplyWaitReceivePortEx(port, srvCell + 4, 0, srvReceive, srvTimeout);
    if (s == 0x102) continue;
    if (s == 0xC0000008 || s == 0xC0000024) { if (port == serverPort) serverPort = 0; else waitPort = 0; continue; } // the fuzzer closed it
    if (s != 0) { NtYieldExecution(); continue; }
    const type = <u32>load<u16>(srvReceive, 4) & 0xFF;
    if (type == 10) {
      if (NtAcceptConnectPort(srvCell + 8, 0, srvReceive, 1, 0, 0) == 0) {
        const comm = load<u32>(srvCell, 8);
        NtCompleteConnectPort(comm);
        if (srvCommN >= 8) { NtClose(load<u32>(srvComm)); memory.copy(srvComm, srvComm + 4, 28); srvCommN = 7; }
        store<u32>(srvComm + srvCommN * 4, comm); srvCommN++;
        serverAccepted++;
      }
    } else if (type == 1) {
      memory.copy(srvReply, srvReceive, 24);
      store<u16>(srvReply, 8); store<u16>(srvReply, 32, 2); store<u16>(srvReply, 0, 4); store<u16>(srvReply, 0, 6);
      store<u32>(srvReply, 0x52455054, 24); store<u32>(srvReply, serverReplied, 28);
      if (NtReplyPort(port, srvReply) == 0) serverReplied++;
    }
  }
}

/** True for the handles the server owns (its ports and communication ports): the fuzzer's sweep leaves them open. */
export function isServerHandle(h: u32): bool {
  if (h == serverPort || h == waitPort) return true;
  for (let i: u32 = 0; i < srvCommN; i++) if (load<u32>(srvComm + i * 4) == h) return true;
  return false;
}

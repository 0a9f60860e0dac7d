// LPC client for lpcpair.ts: answers the server's reply-and-wait, receives
// a datagram, and has a second thread killed while it waits for a reply
// (the thread registered its port with NtRegisterThreadTerminatePort), then
// receives the server's reply to that thread's request as LPC_LOST_REPLY.
import { spawnThread as spawn, threadReturned } from "./nt";
import { show, put, putHex, putDec, flush, NtAllocateVirtualMemory, NtCreateThread, NtTerminateThread, NtWaitForSingleObject,
  NtDelayExecution, NtQueryInformationThread, unicode, ms } from "./nt";
import {
  NtConnectPort, NtRequestWaitReplyPort, NtReplyPort, NtReplyWaitReceivePortEx, NtRegisterThreadTerminatePort, header, msgType, msgPid, msgTid,
  msgId, msgData, setData, qos,
} from "./lpcnt";
import { ThreadBasicInformation, SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";

const SELF: u32 = 0xFFFFFFFF;
const h = memory.data(8, 4);
const name = memory.data(8, 4);
const q = memory.data(12, 4);
const req = memory.data(0x100, 8);
const rep = memory.data(0x100, 8);
const req2 = memory.data(0x100, 8);
const rep2 = memory.data(0x100, 8);
const ctx = memory.data(4, 4);
const t = memory.data(8, 8);
const tbi = memory.data(<i32>offsetof<THREAD_BASIC_INFORMATION>(), 4);
let port: u32 = 0;
let serverPid: u32 = 0;

function requester(p: u32): void {
  NtRegisterThreadTerminatePort(port);
  header(req2, 4, 0xFFFFFFFF); setData(req2, 0, 2);
  NtRequestWaitReplyPort(port, req2, rep2); // the server never answers: the thread is killed here
  show("second thread got an answer", 0);
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned; // keeps the function table (see threads.ts)
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  unicode(name, "\\LpcPairPort");
  let status: u32 = 0;
  for (let i = 0; i < 200; i++) {
    status = NtConnectPort(h, name, qos(q), 0, 0, 0, 0, 0);
    if (status != 0xC0000034) break;
    NtDelayExecution(0, ms(t, 10));
  }
  show("connect", status);
  port = load<u32>(h);
  header(req, 4, 0xFFFFFFFF); setData(req, 0, 1);
  show("request", NtRequestWaitReplyPort(port, req, rep));
  show("reply data", msgData(rep, 0));
  // Answer the server, which waits on the same MessageId: the reply's header names its thread.
  const pid = msgPid(rep), tid = msgTid(rep), id = msgId(rep);
  serverPid = pid;
  header(rep, 4, 0xFFFFFFFF);
  store<u32>(rep, pid, 8); store<u32>(rep, tid, 12); store<u32>(rep, id, 16);
  setData(rep, 0, 0xCAFE);
  show("answer the server", NtReplyPort(port, rep));
  show("answer again", NtReplyPort(port, rep));
  show("receive a datagram", NtReplyWaitReceivePortEx(port, ctx, 0, rep, ms(t, 5000)));
  put("datagram: type "); putDec(msgType(rep)); put(" data "); putHex(msgData(rep, 0)); flush();
  const thread = spawn(requester, 0, 0);
  NtDelayExecution(0, ms(t, 200));
  show("kill the second thread", NtTerminateThread(thread, 0x77));
  show("wait for it", NtWaitForSingleObject(thread, 0, ms(t, 5000)));
  NtQueryInformationThread(thread, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  show("its exit status", changetype<THREAD_BASIC_INFORMATION>(tbi).ExitStatus);
  // The server answers the killed thread's request anyway: the reply comes to this port, lost.
  show("receive the lost reply", NtReplyWaitReceivePortEx(port, ctx, 0, rep, ms(t, 5000)));
  put("lost reply: type "); putDec(msgType(rep)); put(" data "); putHex(msgData(rep, 0)); put(" MessageId set "); putDec(msgId(rep) != 0 ? 1 : 0);
  put(" from the server "); putDec(msgPid(rep) == serverPid ? 1 : 0); flush();
}

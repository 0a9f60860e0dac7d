// LPC server for the third scenario of test/boot/lpc.test.ts (its client is
// lpcpeer.ts): NtListenPort, a reply that waits for the client's answer
// (NtReplyWaitReplyPort), a datagram to the client, a client thread killed
// while it waits (LPC_CLIENT_DIED), the reply to its request (LPC_LOST_REPLY),
// and a reply to a thread that is gone.
import { show, say, put, putHex, putDec, flush, NtClose, attributes, ms } from "./nt";
import {
  NtCreatePort, NtListenPort, NtAcceptConnectPort, NtCompleteConnectPort, NtReplyWaitReceivePortEx, NtReplyWaitReplyPort, NtRequestPort,
  NtReplyPort, header, msgType, msgPid, msgTid, msgId, msgData, setData,
} from "./lpcnt";
import { LPC_REQUEST, LPC_CLIENT_DIED, LPC_PORT_CLOSED } from "../../../kernel/sdk/lpc";

const h = memory.data(8, 4);
const m = memory.data(0x100, 8);
const saved = memory.data(0x100, 8);
const ctx = memory.data(4, 4);
const t = memory.data(8, 8);

function receive(port: u32): u32 {
  const status = NtReplyWaitReceivePortEx(port, ctx, 0, m, ms(t, 10000));
  put("receive "); putHex(status); put(" type "); putDec(msgType(m)); put(" ctx "); putDec(load<u32>(ctx)); flush();
  return status;
}

export function main(): void {
  show("create", NtCreatePort(h, attributes("\\LpcPairPort", 0x40), 64, 0x100, 0));
  const port = load<u32>(h);
  show("listen", NtListenPort(port, m));
  show("listened to a connection request", msgType(m) == 10 ? 1 : 0);
  show("accept", NtAcceptConnectPort(h + 4, 5, m, 1, 0, 0));
  const server = load<u32>(h, 4);
  show("complete", NtCompleteConnectPort(server));
  // A request answered by a reply that waits for the client's own answer.
  receive(port);
  const pid = msgPid(m), tid = msgTid(m), id = msgId(m);
  header(m, 8, 0xFFFFFFFF);
  store<u32>(m, pid, 8); store<u32>(m, tid, 12); store<u32>(m, id, 16);
  setData(m, 0, 0x1111);
  show("reply and wait for the answer", NtReplyWaitReplyPort(server, m));
  put("the answer: type "); putDec(msgType(m)); put(" data "); putHex(msgData(m, 0)); put(" same MessageId "); putDec(msgId(m) == id ? 1 : 0);
  put(" from the client's thread "); putDec(msgTid(m) == tid ? 1 : 0); flush();
  // A datagram the other way.
  header(m, 4, 0xFFFFFFFF); setData(m, 0, 0xBEEF);
  show("datagram to the client", NtRequestPort(server, m));
  // The client's second thread: a request it never gets an answer to, then it is killed.
  receive(port);
  if (msgType(m) == LPC_REQUEST) { memory.copy(saved, m, 0x100); say("request from the second thread kept"); }
  receive(port);
  if (msgType(m) == LPC_CLIENT_DIED) { put("client died, thread is the requester "); putDec(msgTid(m) == msgTid(saved) ? 1 : 0); flush(); }
  // Its request is still ours to answer: the reply is lost (LPC_LOST_REPLY on the client's port).
  const killedPid = msgPid(saved), killedTid = msgTid(saved), killedId = msgId(saved);
  header(saved, 4, 28); setData(saved, 0, 0x1057);
  store<u32>(saved, killedPid, 8); store<u32>(saved, killedTid, 12); store<u32>(saved, killedId, 16);
  show("reply to the killed thread (a lost reply)", NtReplyPort(port, saved));
  show("the same reply again", NtReplyPort(port, saved));
  receive(port);
  if (msgType(m) == LPC_PORT_CLOSED) say("client port closed");
  show("reply to the killed thread after its port closed", NtReplyPort(port, saved));
  show("datagram to the closed client", NtRequestPort(server, saved));
  NtClose(server);
  NtClose(port);
}

// LPC server for test/boot/lpc.test.ts: a waitable connection port
// \LpcTestPort (64 bytes of connection information, messages up to 0x100
// bytes). It accepts connections (refusing one whose information starts
// with "NO"), answers requests by the command in their first data word, and
// logs what it receives, until two clients have closed their ports.
import { show, put, putHex, putDec, flush, NtClose, NtWaitForSingleObject, attributes, ms } from "./nt";
import {
  NtCreateWaitablePort, NtReplyWaitReceivePortEx, NtAcceptConnectPort, NtCompleteConnectPort, NtReplyPort,
  NtImpersonateClientOfPort, header, msgType, msgPid, msgTid, msgId, msgData, setData,
} from "./lpcnt";
import { LPC_CONNECTION_REQUEST, LPC_REQUEST, LPC_DATAGRAM, LPC_PORT_CLOSED, LPC_CLIENT_DIED } from "../../../kernel/sdk/lpc";

const h = memory.data(8, 4);
const receive = memory.data(0x148, 8);
const reply = memory.data(0x148, 8);
const context = memory.data(4, 4);
const t = memory.data(8, 8);
/** Server port handle per accepted connection (context = index + 1). */
const servers = memory.data(64, 4);
let accepted: u32 = 0;

export function main(): void {
  show("create", NtCreateWaitablePort(h, attributes("\\LpcTestPort", 0x40), 64, 0x100, 0));
  const port = load<u32>(h);
  show("waitable port signalled", NtWaitForSingleObject(port, 0, ms(t, 5000)));
  let closed: u32 = 0;
  while (closed < 3) {
    const status = NtReplyWaitReceivePortEx(port, context, 0, receive, ms(t, 8000));
    if (status != 0) { show("receive", status); break; }
    const type = msgType(receive);
    const ctx = load<u32>(context);
    if (type == LPC_CONNECTION_REQUEST) connection(port);
    else if (type == LPC_REQUEST) request(port, ctx);
    else if (type == LPC_DATAGRAM) { put("datagram ctx "); putDec(ctx); put(" data "); putHex(msgData(receive, 0)); flush(); }
    else if (type == LPC_CLIENT_DIED) { put("client died ctx "); putDec(ctx); put(" length "); putDec(load<u16>(receive)); flush(); }
    else if (type == LPC_PORT_CLOSED) { put("port closed ctx "); putDec(ctx); flush(); closed++; }
    else { put("unexpected type "); putDec(type); flush(); }
  }
  for (let i: u32 = 0; i < accepted; i++) NtClose(load<u32>(servers + i * 4));
  show("close", NtClose(port));
}

function connection(port: u32): void {
  const length = <u32>load<u16>(receive);
  put("connect, information length "); putDec(length); flush();
  const refuse = length >= 2 && load<u8>(receive + 24) == 0x4E && load<u8>(receive + 25) == 0x4F; // "NO"
  // The answer's information: "OK" then the client's first bytes.
  store<u8>(receive + 24, refuse ? 0x6E : 0x4F); // "no" / "OK"
  store<u8>(receive + 25, refuse ? 0x6F : 0x4B);
  if (length < 2) { store<u16>(receive, 2); store<u16>(receive, 26, 2); }
  if (refuse) { show("refuse", NtAcceptConnectPort(h + 4, 0, receive, 0, 0, 0)); return; }
  const index = accepted;
  show("accept", NtAcceptConnectPort(h + 4, index + 1, receive, 1, 0, 0));
  store<u32>(servers + index * 4, load<u32>(h, 4));
  accepted++;
  show("accept the same request twice", NtAcceptConnectPort(h + 4, 0, receive, 1, 0, 0));
  show("complete", NtCompleteConnectPort(load<u32>(h, 4)));
  show("complete twice", NtCompleteConnectPort(load<u32>(h, 4)));
}

function request(port: u32, ctx: u32): void {
  const command = msgData(receive, 0);
  const server = ctx >= 1 && ctx <= accepted ? load<u32>(servers + (ctx - 1) * 4) : 0;
  memory.copy(reply, receive, 24);
  header(reply, 16, 0xFFFFFFFF);
  store<u32>(reply, msgPid(receive), 8); store<u32>(reply, msgTid(receive), 12); store<u32>(reply, msgId(receive), 16);
  // The answer: what the kernel said the request was.
  setData(reply, 0, msgPid(receive)); setData(reply, 1, msgTid(receive)); setData(reply, 2, msgId(receive)); setData(reply, 3, command + 1);
  if (command == 3) {
    // Replies the kernel must refuse before the right one.
    store<u32>(reply, msgId(receive) + 1000, 16);
    show("reply with a wrong MessageId", NtReplyPort(port, reply));
    store<u32>(reply, msgId(receive), 16);
    store<u32>(reply, 0x7FFC, 12);
    show("reply to a thread that does not exist", NtReplyPort(port, reply));
    store<u32>(reply, msgTid(receive), 12);
    header(reply, 0x200, 0xFFFFFFFF);
    store<u32>(reply, msgPid(receive), 8); store<u32>(reply, msgTid(receive), 12); store<u32>(reply, msgId(receive), 16);
    show("reply too long", NtReplyPort(port, reply));
    header(reply, 16, 0xFFFFFFFF);
    store<u32>(reply, msgPid(receive), 8); store<u32>(reply, msgTid(receive), 12); store<u32>(reply, msgId(receive), 16);
  }
  if (command == 4) {
    show("impersonate through the connection port", NtImpersonateClientOfPort(port, receive));
    show("impersonate", NtImpersonateClientOfPort(server, receive));
    store<u32>(receive, msgId(receive) + 1, 16);
    show("impersonate with a wrong MessageId", NtImpersonateClientOfPort(server, receive));
    store<u32>(receive, msgId(receive) - 1, 16);
  }
  // Command 5 is answered through the server port, the rest through the connection port.
  const status = NtReplyPort(command == 5 ? server : port, reply);
  put("request ctx "); putDec(ctx); put(" command "); putDec(command); put(" replied "); putHex(status); flush();
  if (command == 3 || command == 4) {
    show("reply twice", NtReplyPort(port, reply));
    show("impersonate after the reply", NtImpersonateClientOfPort(server, receive));
  }
}

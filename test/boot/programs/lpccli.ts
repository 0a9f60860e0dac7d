// LPC client for test/boot/lpc.test.ts, against lpcsrv's \LpcTestPort:
// connections with and without information, a refused one, requests and
// datagrams, forged ids, bad lengths, bad pointers and handles, a datagram
// flood against the queue cap, and at the
// end a registered terminate port (LPC_CLIENT_DIED, then LPC_PORT_CLOSED).
import { show, put, putHex, flush, NtDelayExecution, NtCreateEvent, NtQueryInformationThread, unicode, ms } from "./nt";
import {
  NtConnectPort, NtSecureConnectPort, NtRequestPort, NtRequestWaitReplyPort, NtReplyPort, NtReplyWaitReceivePortEx, NtReplyWaitReplyPort,
  NtRegisterThreadTerminatePort, NtQueryInformationPort, NtCreatePort, header, msgType, msgPid, msgTid, msgId, msgData, setData, qos,
} from "./lpcnt";
import { NtClose } from "./nt";
import { ThreadBasicInformation, SIZEOF_THREAD_BASIC_INFORMATION, THREAD_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { PORT_VIEW, SIZEOF_PORT_VIEW } from "../../../kernel/sdk/lpc";

const h = memory.data(16, 4);
const name = memory.data(8, 4);
const q = memory.data(12, 4);
const info = memory.data(64, 4);
const infoLength = memory.data(4, 4);
const maxLength = memory.data(4, 4);
const req = memory.data(0x300, 8);
const rep = memory.data(0x148, 8);
const tbi = memory.data(<i32>offsetof<THREAD_BASIC_INFORMATION>(), 4);
const view = memory.data(24, 4);
const t = memory.data(8, 8);
const ctx = memory.data(4, 4);

function ascii(at: usize, s: string): u32 { for (let i = 0; i < s.length; i++) store<u8>(at + i, <u8>s.charCodeAt(i)); return s.length; }
function same(at: usize, s: string): bool { for (let i = 0; i < s.length; i++) if (load<u8>(at + i) != <u8>s.charCodeAt(i)) return false; return true; }
function request(port: u32, command: u32): u32 {
  header(req, 8, 0xFFFFFFFF);
  setData(req, 0, command);
  return NtRequestWaitReplyPort(port, req, rep);
}

export function main(): void {
  unicode(name, "\\LpcTestPort");
  qos(q);
  NtQueryInformationThread(0xFFFFFFFE, ThreadBasicInformation, tbi, SIZEOF_THREAD_BASIC_INFORMATION, 0);
  const myPid = changetype<THREAD_BASIC_INFORMATION>(tbi).ClientId_UniqueProcess, myTid = changetype<THREAD_BASIC_INFORMATION>(tbi).ClientId_UniqueThread;
  // Without connection information (the server may not be there yet).
  let status: u32 = 0;
  for (let i = 0; i < 200; i++) {
    status = NtConnectPort(h, name, q, 0, 0, maxLength, 0, 0);
    if (status != 0xC0000034) break; // STATUS_OBJECT_NAME_NOT_FOUND
    NtDelayExecution(0, ms(t, 10));
  }
  show("connect without information", status);
  show("max message length", load<u32>(maxLength));
  const port1 = load<u32>(h);
  // With connection information: the server's answer comes back in the buffer.
  store<u32>(infoLength, ascii(info, "hi there"));
  show("connect with information", NtConnectPort(h + 4, name, q, 0, 0, 0, info, infoLength));
  const port2 = load<u32>(h, 4);
  show("information back is \"OK there\"", same(info, "OK there") ? load<u32>(infoLength) : 0xFFFFFFFF);
  store<u32>(infoLength, ascii(info, "NO thanks"));
  show("connect refused", NtConnectPort(h + 8, name, q, 0, 0, 0, info, infoLength));
  show("refusal information is \"no thanks\"", same(info, "no thanks") ? load<u32>(infoLength) : 0xFFFFFFFF);
  // A request with a forged ClientId and MessageId: the kernel's own go out.
  header(req, 8, 0xFFFFFFFF);
  store<u32>(req, 0x1234, 8); store<u32>(req, 0x5678, 12); store<u32>(req, 0xDEAD, 16);
  setData(req, 0, 1);
  show("request", NtRequestWaitReplyPort(port1, req, rep));
  show("reply type", msgType(rep));
  show("server saw my ClientId", msgData(rep, 0) == myPid && msgData(rep, 1) == myTid ? 1 : 0);
  show("server saw a kernel MessageId", msgData(rep, 2) != 0xDEAD && msgData(rep, 2) != 0 && msgData(rep, 2) == msgId(rep) ? 1 : 0);
  show("reply from the server's thread", msgPid(rep) != myPid && msgTid(rep) != 0 ? 1 : 0);
  show("reply data", msgData(rep, 3));
  const serverPid = msgPid(rep), serverTid = msgTid(rep);
  // The longest message the port takes, and one byte more.
  header(req, 0x100 - 24, 0xFFFFFFFF); setData(req, 0, 1);
  show("request of the maximum length", NtRequestWaitReplyPort(port1, req, rep));
  header(req, 0x100 - 23, 0xFFFFFFFF); setData(req, 0, 1);
  show("request too long", NtRequestWaitReplyPort(port1, req, rep));
  header(req, 16, 20); setData(req, 0, 1);
  show("TotalLength below DataLength + 24", NtRequestWaitReplyPort(port1, req, rep));
  header(req, 8, 0xFFFFFFFF); setData(req, 0, 1); store<u16>(req, 10, 4);
  show("request typed as a connection request", NtRequestWaitReplyPort(port1, req, rep));
  header(req, 4, 0xFFFFFFFF); setData(req, 0, 0xD47A);
  show("datagram", NtRequestPort(port1, req));
  header(req, 0x200, 0xFFFFFFFF);
  show("datagram too long", NtRequestPort(port1, req));
  show("request the server answers after bad replies", request(port1, 3));
  show("its reply data", msgData(rep, 3));
  show("request the server impersonates", request(port1, 4));
  show("request answered through the server port", request(port2, 5));
  show("its reply data", msgData(rep, 3));
  // Hostile pointers and handles.
  show("request from a null pointer", NtRequestWaitReplyPort(port1, 0, rep));
  show("reply into kernel memory", NtRequestWaitReplyPort(port1, req, 0x80000000));
  show("request from kernel memory", NtRequestPort(port1, 0x80001000));
  show("receive into a null pointer", NtReplyWaitReceivePortEx(port1, 0, 0, 0, ms(t, 10)));
  show("connect with a bad name pointer", NtConnectPort(h + 8, 0x10, q, 0, 0, 0, 0, 0));
  show("connect without QoS", NtConnectPort(h + 8, name, 0, 0, 0, 0, 0, 0));
  store<u32>(infoLength, 16);
  show("connect with a bad information pointer", NtConnectPort(h + 8, name, q, 0, 0, 0, 0x80000000, infoLength));
  changetype<PORT_VIEW>(view).Length = SIZEOF_PORT_VIEW;
  show("connect with a port view of no section", NtConnectPort(h + 8, name, q, view, 0, 0, 0, 0));
  NtCreateEvent(h + 12, 0x1F0003, 0, 0, 0);
  show("request on an event", NtRequestPort(load<u32>(h, 12), req));
  show("request on a bad handle", NtRequestPort(0x1234, req));
  show("query", NtQueryInformationPort(port1, 0, 0, 0, maxLength));
  show("query's return length", load<u32>(maxLength));
  show("query another class", NtQueryInformationPort(port1, 1, 0, 0, 0));
  show("query an event", NtQueryInformationPort(load<u32>(h, 12), 0, 0, 0, 0));
  show("receive on the client port times out", NtReplyWaitReceivePortEx(port1, ctx, 0, rep, ms(t, 50)));
  // Replies to nothing.
  header(rep, 8, 0xFFFFFFFF);
  store<u32>(rep, serverPid, 8); store<u32>(rep, serverTid, 12); store<u32>(rep, 12345, 16);
  show("reply to a thread that waits for nothing", NtReplyPort(port1, rep));
  store<u32>(rep, 0x7FF0, 12);
  show("reply to no thread", NtReplyPort(port1, rep));
  store<u32>(rep, serverTid, 12);
  show("reply-wait-reply to nothing", NtReplyWaitReplyPort(port1, rep));
  // NtSecureConnectPort, and two ports closed.
  show("secure connect", NtSecureConnectPort(h + 8, name, q, 0, 0, 0, 0, 0, 0));
  show("close the second port", NtClose(port2));
  show("request on the closed handle", request(port2, 1));
  show("close the secure port", NtClose(load<u32>(h, 8)));
  // A flood of datagrams into a connection port nobody reads: the queue has a cap.
  show("own connection port", NtCreatePort(h + 12, 0, 0, 0x100, 0));
  let queued: u32 = 0;
  header(req, 4, 0xFFFFFFFF); setData(req, 0, 7);
  for (; queued < 1000; queued++) { status = NtRequestPort(load<u32>(h, 12), req); if (status != 0) break; }
  show("datagrams queued before the cap", queued);
  show("the next one", status);
  let received: u32 = 0;
  while (NtReplyWaitReceivePortEx(load<u32>(h, 12), 0, 0, rep, ms(t, 0)) == 0 && msgType(rep) == 3) received++;
  show("datagrams received", received);
  show("close own port", NtClose(load<u32>(h, 12)));
  show("register terminate port", NtRegisterThreadTerminatePort(port1));
  // Ending now sends LPC_CLIENT_DIED, then closing port1 LPC_PORT_CLOSED.
}

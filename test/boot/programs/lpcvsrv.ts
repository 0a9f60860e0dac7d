// LPC port views, the server (test/boot/lpcview.test.ts): \LpcViewPort.
// The first byte of a client's connection information says what to do:
//   'A' accept, with a REMOTE_PORT_VIEW for the client's view: read what
//       the client wrote in it, write an answer into it
//   'B' accept with a server view of its own (a 0x2000-byte section) too
//   'C' accept naming a handle that is no section (refused by the kernel),
//       then refuse
//   'D' a PORT_VIEW with a bad Length; then a view larger than its section
//       (the kernel refuses the connection)
//   'E' a read-only section as the server view (refused the same way)
// Requests: command 1 sums the bytes the client put in its view (offset,
// length in the message) and writes "ok" back into the view. It stops after
// two connections have closed, and checks its views are gone then.
import { show, put, putHex, putDec, flush, NtClose, NtCreateSection, NtCreateEvent, NtQueryVirtualMemory, attributes, ms } from "./nt";
import { NtCreatePort, NtReplyWaitReceivePortEx, NtAcceptConnectPort, NtCompleteConnectPort, NtReplyPort, msgType, msgData, setData } from "./lpcnt";
import { InitializeRemotePortView, LPC_CLIENT_DIED, LPC_CONNECTION_REQUEST, LPC_PORT_CLOSED, LPC_REQUEST } from "../../../kernel/sdk/lpc";
import { MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";

const h = memory.data(16, 4);
const receive = memory.data(0x148, 8);
const context = memory.data(4, 4);
const t = memory.data(8, 8);
const size = memory.data(8, 8);
const serverView = memory.data(24, 4);   // PORT_VIEW
const clientView = memory.data(12, 4);   // REMOTE_PORT_VIEW
const mbi = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
/** Per connection (context = index + 1): server port, its view of the client's section, its own view. */
const servers = memory.data(16 * 3 * 4, 4);
let accepted: u32 = 0;

function portView(section: u32, length: u32, viewSize: u32): usize {
  store<u32>(serverView, length); store<u32>(serverView, section, 4); store<u32>(serverView, 0, 8);
  store<u32>(serverView, viewSize, 12); store<u32>(serverView, 0, 16); store<u32>(serverView, 0, 20);
  return serverView;
}
function remoteView(): usize { return InitializeRemotePortView(clientView); }
function section(bytes: u32, protect: u32): u32 {
  store<i64>(size, bytes);
  NtCreateSection(h + 8, 0xF001F, 0, size, protect, 0x8000000, 0);
  return load<u32>(h, 8);
}
/** MEM_FREE (0x10000) when nothing is mapped at `address` any more. */
function state(address: u32): u32 { NtQueryVirtualMemory(0xFFFFFFFF, address, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0); return changetype<MEMORY_BASIC_INFORMATION>(mbi).State; }

export function main(): void {
  show("create", NtCreatePort(h, attributes("\\LpcViewPort", 0x40), 64, 0x100, 0));
  const port = load<u32>(h);
  let closed: u32 = 0;
  while (closed < 2) {
    const status = NtReplyWaitReceivePortEx(port, context, 0, receive, ms(t, 20000));
    if (status != 0) { show("receive", status); break; }
    const type = msgType(receive);
    const ctx = load<u32>(context);
    if (type == LPC_CONNECTION_REQUEST) connection();
    else if (type == LPC_REQUEST) request(port, ctx);
    else if (type == LPC_PORT_CLOSED || type == LPC_CLIENT_DIED) {
      if (type == LPC_CLIENT_DIED) continue;
      put("port closed ctx "); putDec(ctx); flush();
      const slot = servers + (ctx - 1) * 12;
      NtClose(load<u32>(slot));
      put("views unmapped after close: client's "); putHex(state(load<u32>(slot, 4)));
      if (load<u32>(slot, 8) != 0) { put(", own "); putHex(state(load<u32>(slot, 8))); }
      flush();
      closed++;
    } else { put("unexpected type "); putDec(type); flush(); }
  }
  show("close", NtClose(port));
}

function accepted1(what: string, status: u32, withServerView: bool): void {
  const index = accepted;
  const slot = servers + index * 12;
  show(what, status);
  if (status != 0) return;
  accepted++;
  store<u32>(slot, load<u32>(h, 4));
  const base = load<u32>(clientView, 8);
  store<u32>(slot, base, 4);
  put("client's view in the server: size "); putHex(load<u32>(clientView, 4)); put(base != 0 ? ", mapped" : ", none"); flush();
  if (base != 0) {
    put("the client wrote "); putHex(load<u32>(base)); flush();
    store<u32>(base, 0x5E4E0001, 4); // the client reads it once connected
  }
  if (withServerView) {
    const own = load<u32>(serverView, 16);
    store<u32>(slot, own, 8);
    put("server view: offset "); putHex(load<u32>(serverView, 8)); put(" size "); putHex(load<u32>(serverView, 12));
    put(own != 0 ? " base mapped" : " base 0"); put(load<u32>(serverView, 20) != 0 ? ", remote base set" : ", remote base 0"); flush();
    store<u32>(own, 0x5E4E0B0B);
  } else store<u32>(slot, 0, 8);
  show("complete", NtCompleteConnectPort(load<u32>(h, 4)));
}

function connection(): void {
  const what = load<u8>(receive + 24);
  put("connect "); put(String.fromCharCode(what)); put(", client view size "); putHex(load<u32>(receive, 20)); flush();
  const context = accepted + 1;
  if (what == 0x41) accepted1("accept", NtAcceptConnectPort(h + 4, context, receive, 1, 0, remoteView()), false);
  else if (what == 0x42) accepted1("accept with a server view", NtAcceptConnectPort(h + 4, context, receive, 1, portView(section(0x2000, 0x04), 24, 0), remoteView()), true);
  else if (what == 0x43) {
    NtCreateEvent(h + 12, 0x1F0003, 0, 0, 0);
    show("server view of an event", NtAcceptConnectPort(h + 4, context, receive, 1, portView(load<u32>(h, 12), 24, 0), remoteView()));
    show("server view of no handle", NtAcceptConnectPort(h + 4, context, receive, 1, portView(0x1234, 24, 0), remoteView()));
    show("refuse", NtAcceptConnectPort(h + 4, 0, receive, 0, 0, 0));
  } else if (what == 0x44) {
    show("server view with Length 23", NtAcceptConnectPort(h + 4, context, receive, 1, portView(section(0x2000, 0x04), 23, 0), remoteView()));
    show("server view past its section", NtAcceptConnectPort(h + 4, context, receive, 1, portView(load<u32>(h, 8), 24, 0x10000), remoteView()));
    show("accept after the kernel refused", NtAcceptConnectPort(h + 4, context, receive, 1, 0, 0));
  } else if (what == 0x45) {
    show("read-only server view", NtAcceptConnectPort(h + 4, context, receive, 1, portView(section(0x1000, 0x02), 24, 0), remoteView()));
  }
}

function request(port: u32, ctx: u32): void {
  const base = load<u32>(servers + (ctx - 1) * 12, 4);
  const offset = msgData(receive, 1), length = msgData(receive, 2);
  let sum: u32 = 0;
  for (let i: u32 = 0; i < length; i++) sum += load<u8>(base + offset + i);
  store<u8>(base + 0x200, 0x6F); store<u8>(base + 0x201, 0x6B); // "ok"
  put("request ctx "); putDec(ctx); put(": sum of the client's bytes "); putHex(sum); flush();
  setData(receive, 0, sum);
  store<u16>(receive + 4, 0); // LPC_NEW_MESSAGE: the kernel sets LPC_REPLY
  show("reply", NtReplyPort(port, receive));
}

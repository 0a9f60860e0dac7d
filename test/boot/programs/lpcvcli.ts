// LPC port views, the client (test/boot/lpcview.test.ts), against lpcvsrv's
// \LpcViewPort: hostile views the kernel refuses before the server hears of
// them, a client view both sides read and write, a server view, views the
// server's accept cannot map (the connection is refused), and views that go
// when their port closes. Ends with connection B still open.
import { show, put, putHex, flush, NtDelayExecution, NtCreateEvent, NtCreateSection, NtMapViewOfSection, NtQueryVirtualMemory, NtClose, unicode, ms } from "./nt";
import { NtConnectPort, NtRequestWaitReplyPort, header, setData, msgData, qos } from "./lpcnt";
import { MEMORY_BASIC_INFORMATION, SIZEOF_MEMORY_BASIC_INFORMATION } from "../../../kernel/sdk/ntdef";

const h = memory.data(32, 4);
const name = memory.data(8, 4);
const q = memory.data(12, 4);
const info = memory.data(16, 4);
const infoLength = memory.data(4, 4);
const view = memory.data(24, 4);        // PORT_VIEW
const remote = memory.data(12, 4);      // REMOTE_PORT_VIEW
const size = memory.data(8, 8);
const base = memory.data(4, 4);
const viewSize = memory.data(4, 4);
const req = memory.data(0x100, 8);
const rep = memory.data(0x148, 8);
const mbi = memory.data(<i32>SIZEOF_MEMORY_BASIC_INFORMATION, 4);
const t = memory.data(8, 8);

function section(bytes: u32, protect: u32, access: u32 = 0xF001F): u32 {
  store<i64>(size, bytes);
  NtCreateSection(h + 28, access, 0, size, protect, 0x8000000, 0);
  return load<u32>(h, 28);
}
function portView(sectionHandle: u32, length: u32, offset: u32, bytes: u32): usize {
  store<u32>(view, length); store<u32>(view, sectionHandle, 4); store<u32>(view, offset, 8);
  store<u32>(view, bytes, 12); store<u32>(view, 0, 16); store<u32>(view, 0, 20);
  return view;
}
function remoteView(length: u32 = 12): usize { store<u32>(remote, length); store<u32>(remote, 0, 4); store<u32>(remote, 0, 8); return remote; }
function connect(slot: u32, what: u32, clientView: usize, serverView: usize): u32 {
  store<u8>(info, <u8>what);
  store<u32>(infoLength, 1);
  return NtConnectPort(h + slot * 4, name, q, clientView, serverView, 0, info, infoLength);
}
function state(address: u32): u32 { NtQueryVirtualMemory(0xFFFFFFFF, address, 0, mbi, SIZEOF_MEMORY_BASIC_INFORMATION, 0); return changetype<MEMORY_BASIC_INFORMATION>(mbi).State; }

export function main(): void {
  unicode(name, "\\LpcViewPort");
  qos(q);
  const good = section(0x3000, 0x04);
  // Wait for the server: a view with a bad Length is refused before the name is looked up.
  let status: u32 = 0;
  for (let i = 0; i < 300; i++) {
    status = NtConnectPort(h, name, q, portView(0x1234, 24, 0, 0), 0, 0, 0, 0);
    if (status != 0xC0000034) break; // STATUS_OBJECT_NAME_NOT_FOUND
    NtDelayExecution(0, ms(t, 10));
  }
  show("client view naming no handle", status);
  show("client view with Length 23", NtConnectPort(h, name, q, portView(good, 23, 0, 0), 0, 0, 0, 0));
  show("client view in kernel memory", NtConnectPort(h, name, q, 0x80000000, 0, 0, 0, 0));
  show("server view with Length 11", NtConnectPort(h, name, q, 0, remoteView(11), 0, 0, 0));
  NtCreateEvent(h + 24, 0x1F0003, 0, 0, 0);
  show("client view of an event", NtConnectPort(h, name, q, portView(load<u32>(h, 24), 24, 0, 0), 0, 0, 0, 0));
  show("client view of a section opened for reading", NtConnectPort(h, name, q, portView(section(0x1000, 0x04, 0x0005), 24, 0, 0), 0, 0, 0, 0));
  show("client view of a read-only section", NtConnectPort(h, name, q, portView(section(0x1000, 0x02), 24, 0, 0), 0, 0, 0, 0));
  show("client view past its section", NtConnectPort(h, name, q, portView(good, 24, 0, 0x4000), 0, 0, 0, 0));
  show("client view at an unaligned offset", NtConnectPort(h, name, q, portView(good, 24, 0x1000, 0x1000), 0, 0, 0, 0));

  // A: the client's section, which the client also maps itself and writes into first.
  store<u32>(base, 0); store<u32>(viewSize, 0);
  show("map the section myself", NtMapViewOfSection(good, 0xFFFFFFFF, base, 0, 0, 0, viewSize, 1, 0, 0x04));
  const mine = load<u32>(base);
  store<u32>(mine, 0xC0FFEE01);
  show("connect A with a client view", connect(0, 0x41, portView(good, 24, 0, 0), remoteView()));
  const viewA = load<u32>(view, 16);
  put("client view: offset "); putHex(load<u32>(view, 8)); put(" size "); putHex(load<u32>(view, 12));
  put(viewA != 0 && viewA != mine ? " base mapped (a second view)" : " base wrong"); put(load<u32>(view, 20) != 0 ? ", remote base set" : ", remote base 0"); flush();
  put("no server view: size "); putHex(load<u32>(remote, 4)); put(" base "); putHex(load<u32>(remote, 8)); flush();
  put("the server wrote "); putHex(load<u32>(viewA, 4)); put(", seen through my own mapping too "); putHex(load<u32>(mine, 4)); flush();
  // A request whose data is in the view: the server sums it and answers in the view.
  const text = "hello view";
  for (let i = 0; i < text.length; i++) store<u8>(viewA + 0x100 + i, <u8>text.charCodeAt(i));
  header(req, 12, 0xFFFFFFFF);
  setData(req, 0, 1); setData(req, 1, 0x100); setData(req, 2, text.length);
  show("request over the view", NtRequestWaitReplyPort(load<u32>(h), req, rep));
  put("reply: sum "); putHex(msgData(rep, 0)); put(load<u8>(viewA + 0x200) == 0x6F && load<u8>(viewA + 0x201) == 0x6B ? ", \"ok\" in the view" : ", no answer in the view"); flush();

  // B: a client view and the server's own view.
  const second = section(0x1000, 0x04);
  show("connect B with both views", connect(1, 0x42, portView(second, 24, 0, 0), remoteView()));
  const serverBase = load<u32>(remote, 8);
  put("server view: size "); putHex(load<u32>(remote, 4)); put(serverBase != 0 ? " base mapped" : " base 0"); flush();
  if (serverBase != 0) { put("the server's view holds "); putHex(load<u32>(serverBase)); flush(); }

  // C, D, E: the server's accept fails for its view; the connection is refused and nothing stays mapped.
  show("connect C", connect(2, 0x43, portView(section(0x1000, 0x04), 24, 0, 0), remoteView()));
  show("connect D", connect(2, 0x44, portView(section(0x1000, 0x04), 24, 0, 0), remoteView()));
  show("connect E", connect(2, 0x45, 0, remoteView()));

  // Closing A unmaps the view the kernel made (mine stays).
  show("close A", NtClose(load<u32>(h)));
  put("after close: the connection's view "); putHex(state(viewA)); put(", mine "); putHex(state(mine)); flush();
  // B stays open: the process ends with it.
}

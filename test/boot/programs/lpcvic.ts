// LPC client whose server dies while it waits for a reply (lpcdie.ts).
import { show, NtDelayExecution, unicode, ms } from "./nt";
import { NtConnectPort, NtRequestWaitReplyPort, NtRequestPort, header, setData, qos } from "./lpcnt";

const h = memory.data(8, 4);
const name = memory.data(8, 4);
const q = memory.data(12, 4);
const req = memory.data(0x100, 8);
const rep = memory.data(0x148, 8);
const t = memory.data(8, 8);

export function main(): void {
  unicode(name, "\\LpcDiePort");
  let status: u32 = 0;
  for (let i = 0; i < 200; i++) {
    status = NtConnectPort(h, name, qos(q), 0, 0, 0, 0, 0);
    if (status != 0xC0000034) break;
    NtDelayExecution(0, ms(t, 10));
  }
  show("connect", status);
  header(req, 4, 0xFFFFFFFF); setData(req, 0, 1);
  show("request while the server dies", NtRequestWaitReplyPort(load<u32>(h), req, rep));
  show("request after", NtRequestWaitReplyPort(load<u32>(h), req, rep));
  show("datagram after", NtRequestPort(load<u32>(h), req));
  show("connect again", NtConnectPort(h + 4, name, q, 0, 0, 0, 0, 0));
}

// LPC client whose connection request is received but never answered: its
// server (lpcdie.ts) ends, and NtConnectPort returns.
import { show, NtDelayExecution, unicode, ms } from "./nt";
import { NtConnectPort, qos } from "./lpcnt";

const h = memory.data(8, 4);
const name = memory.data(8, 4);
const q = memory.data(12, 4);
const info = memory.data(8, 4);
const infoLength = memory.data(4, 4);
const t = memory.data(8, 8);

export function main(): void {
  unicode(name, "\\LpcDiePort");
  NtDelayExecution(0, ms(t, 300));
  let status: u32 = 0;
  for (let i = 0; i < 200; i++) {
    store<u8>(info, 0x57); // "W"
    store<u32>(infoLength, 1);
    status = NtConnectPort(h, name, qos(q), 0, 0, 0, info, infoLength);
    if (status != 0xC0000034) break;
    NtDelayExecution(0, ms(t, 10));
  }
  show("connect while the server dies", status);
}

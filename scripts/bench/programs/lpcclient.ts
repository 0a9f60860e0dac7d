// Bench: ITERATIONS NtRequestWaitReplyPort round trips to lpcserver.ts's
// \BenchPort: each is two system calls (the client's request, the server's
// reply-and-receive) and two thread switches between the processes.
import { NtDelayExecution, unicode, ms } from "../../../test/boot/programs/nt";
import { NtConnectPort, NtRequestWaitReplyPort, header, qos } from "../../../test/boot/programs/lpcnt";
const ITERATIONS: u32 = 1000;
const h = memory.data(4, 4);
const name = memory.data(8, 4);
const q = memory.data(12, 4);
const request = memory.data(64, 8);
const reply = memory.data(0x100, 8);
const t = memory.data(8, 8);
export function main(): void {
  unicode(name, "\\BenchPort");
  while (NtConnectPort(h, name, qos(q), 0, 0, 0, 0, 0) != 0) NtDelayExecution(0, ms(t, 10));
  for (let i: u32 = 0; i < ITERATIONS; i++) {
    header(request, 16, 0xFFFFFFFF);
    NtRequestWaitReplyPort(load<u32>(h), request, reply);
  }
}

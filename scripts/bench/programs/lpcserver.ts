// Bench: the server side of ITERATIONS LPC round trips (lpcclient.ts is the
// client): \BenchPort, one connection, then the NT server loop, one
// NtReplyWaitReceivePort that replies to the last request and receives the
// next, until the client's port closes. ITERATIONS is not used here: the
// client decides how many requests come.
import { NtClose, attributes } from "../../../test/boot/programs/nt";
import { NtCreatePort, NtReplyWaitReceivePort, NtAcceptConnectPort, NtCompleteConnectPort, msgType } from "../../../test/boot/programs/lpcnt";
import { LPC_CONNECTION_REQUEST, LPC_REQUEST } from "../../../kernel/sdk/lpc";
const ITERATIONS: u32 = 1000;
const h = memory.data(8, 4);
const message = memory.data(0x100, 8);
export function main(): void {
  if (NtCreatePort(h, attributes("\\BenchPort", 0x40), 0, 0x100, 0) != 0) return;
  const port = load<u32>(h);
  let reply: usize = 0;
  while (NtReplyWaitReceivePort(port, 0, reply, message) == 0) {
    const type = msgType(message);
    reply = 0;
    if (type == LPC_CONNECTION_REQUEST) {
      NtAcceptConnectPort(h + 4, 0, message, 1, 0, 0);
      NtCompleteConnectPort(load<u32>(h, 4));
    } else if (type == LPC_REQUEST) reply = message; // the same buffer answers: same ClientId and MessageId
    else break; // LPC_PORT_CLOSED: the client is done
  }
  NtClose(load<u32>(h, 4));
  NtClose(port);
  void ITERATIONS;
}

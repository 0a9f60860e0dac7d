// LPC server that dies mid-request (test/boot/lpc.test.ts): \LpcDiePort
// accepts one client, receives its request and, once a second client's
// connection request (information "W") is in too, ends without answering
// either.
import { show, say, NtTerminateProcess, NtWaitForSingleObject, attributes, ms } from "./nt";
import { NtCreatePort, NtReplyWaitReceivePort, NtAcceptConnectPort, NtCompleteConnectPort, msgType } from "./lpcnt";
import { LPC_CONNECTION_REQUEST, LPC_REQUEST } from "../../../kernel/sdk/lpc";

const h = memory.data(8, 4);
const receive = memory.data(0x148, 8);
const t = memory.data(8, 8);

export function main(): void {
  show("create", NtCreatePort(h, attributes("\\LpcDiePort", 0x40), 16, 0x100, 0));
  const port = load<u32>(h);
  show("wait on a port that is not waitable", NtWaitForSingleObject(port, 0, ms(t, 10)));
  let request = false, second = false;
  while (!(request && second)) {
    const status = NtReplyWaitReceivePort(port, 0, 0, receive);
    if (status != 0) { show("receive", status); return; }
    const type = msgType(receive);
    if (type == LPC_CONNECTION_REQUEST && load<u16>(receive) == 1 && load<u8>(receive + 24) == 0x57) { second = true; say("second connection request, not answered"); }
    else if (type == LPC_CONNECTION_REQUEST) {
      show("accept", NtAcceptConnectPort(h + 4, 7, receive, 1, 0, 0));
      show("complete", NtCompleteConnectPort(load<u32>(h, 4)));
    } else if (type == LPC_REQUEST) { request = true; say("request received, not answered"); }
  }
  say("ending with a request and a connection pending");
  NtTerminateProcess(0xFFFFFFFF, 0x1234);
}

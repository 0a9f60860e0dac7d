// Waits across processes (a named event another process sets), and the wait
// forms from ring 3: WaitAll, WaitAny, timeouts, semaphores, timers, bad handles.
import { show, NtClose, NtCreateEvent, NtSetEvent, NtResetEvent, NtCreateSemaphore, NtReleaseSemaphore, NtCreateTimer, NtSetTimer,
  NtWaitForSingleObject, NtWaitForMultipleObjects, attributes, ms, put, putHex, flush } from "./nt";

const h = memory.data(16, 4);
const t = memory.data(8, 8);
const handles = memory.data(8, 4);

export function main(): void {
  show("open shared event", NtCreateEvent(h, 0x1F0003, attributes("\\BaseNamedObjects\\TestEvent", 0xC0), 0, 0));
  const shared = load<u32>(h);
  show("handle is a multiple of 4", (shared & 3) == 0 && shared != 0 ? 1 : 0);
  show("wait for the other process", NtWaitForSingleObject(shared, 0, ms(t, 5000)));
  // Two local events: WaitAll needs both.
  NtCreateEvent(h, 0x1F0003, 0, 0, 0); NtCreateEvent(h + 4, 0x1F0003, 0, 0, 0);
  store<u32>(handles, load<u32>(h)); store<u32>(handles, load<u32>(h, 4), 4);
  NtSetEvent(load<u32>(h), 0);
  show("wait all, one set", NtWaitForMultipleObjects(2, handles, 0, 0, ms(t, 50)));
  show("wait any, first set", NtWaitForMultipleObjects(2, handles, 1, 0, ms(t, 50)));
  NtResetEvent(load<u32>(h), 0); NtSetEvent(load<u32>(h, 4), 0);
  show("wait any, second set", NtWaitForMultipleObjects(2, handles, 1, 0, ms(t, 50)));
  NtSetEvent(load<u32>(h), 0);
  show("wait all, both set", NtWaitForMultipleObjects(2, handles, 0, 0, ms(t, 50)));
  // Semaphore and timer.
  show("semaphore", NtCreateSemaphore(h + 8, 0x1F0003, 0, 1, 2));
  show("take it", NtWaitForSingleObject(load<u32>(h, 8), 0, ms(t, 10)));
  show("empty now", NtWaitForSingleObject(load<u32>(h, 8), 0, ms(t, 10)));
  show("past the limit", NtReleaseSemaphore(load<u32>(h, 8), 3, 0));
  show("timer", NtCreateTimer(h + 12, 0x1F0003, 0, 0));
  NtSetTimer(load<u32>(h, 12), ms(t, 30), 0, 0, 0, 0, 0);
  show("timer fires", NtWaitForSingleObject(load<u32>(h, 12), 0, ms(t + 0, 1000)));
  // Bad handles.
  show("close a bad handle", NtClose(0x1234));
  show("a kernel handle", NtClose(0x80000004));
  show("wait on a bad handle", NtWaitForSingleObject(0x5678, 0, ms(t, 10)));
  show("bad handle array", NtWaitForMultipleObjects(2, 0x80000000, 1, 0, 0));
  show("close", NtClose(shared));
  show("closed twice", NtClose(shared));
}

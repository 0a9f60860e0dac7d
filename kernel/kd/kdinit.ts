// The kernel debugger: a request/response line protocol on COM2.
//
// A request is one line of JSON, an answer one line of JSON with the same
// id (README, "The kernel debugger"):
//
//   -> {"id":1,"q":"process"}
//   <- {"id":1,"q":"process","processes":[{"pid":4,"parent":0,...},...]}
//
// Everything happens in COM2's interrupt (IRQ 3): the bytes are taken, a
// complete line is parsed, the answer is built from the kernel's own
// structures into a static buffer and handed to the UART, whose transmit
// interrupt sends it. An interrupt comes whatever ring 3 does, so a thread
// spinning at priority 31 in user mode cannot keep the debugger from
// answering; and since every lock of this uniprocessor kernel is "interrupts
// off", whatever the interrupt finds is consistent. Nothing here waits or
// allocates. One answer is in flight at a time; requests that arrive
// meanwhile wait in the receive ring and are answered after it.
//
// KdInitSystem0 runs before the first log line (the log ring, kdlog.ts);
// KdInitSystem1 in phase 1 starts COM2 (hal/kdcom.ts) and connects IRQ 3.

import { COM2_BASE, COM2_IRQ, HalKdEnableInterrupts, HalKdInitialize, HalKdInterrupt, HalKdRead, HalKdTransmit, HalKdTransmitting } from "../hal/kdcom";
import { KeConnectInterrupt } from "../ke/interrupt";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHexDigits, KeLogString, KeSetLogSink, KeLog } from "../ke/log";
import { cli, read_eflags, sti } from "../sdk/intrinsics";
import {
  KdAnswer, KdAnswerLength, KdCount, KdHasCount, KdHasPath, KdHasPid, KdPath, KdPathLength, KdPid, KdRequest, REQUEST_MAX,
  KdpBegin, KdpEnd, KdpError, KdpMember, KdpParseRequest, KdpPut, KdpQueryIs, KdpString, KdpStringBytes, KdQuery, KdQueryLength,
  KdpComma, KdpDecimal, KdpForgetRequest,
} from "./kdjson";
import { KdLogLines, KdpLogLine, KdpWriteLogLines } from "./kdlog";
import { KdpQueryHandles, KdpQueryProcesses, KdpQuerySessions, KdpQueryThreads, KdpSetInterruptFrame } from "./kdps";
import { KdpQueryObject, KdpQueryPool } from "./kdob";
import { KdpQueryRegistry } from "./kdreg";

/** Lines of log a `log` query gives without `n`. */
const LOG_DEFAULT_LINES: u32 = 20;
const LF: u32 = 0x0A;
const CR: u32 = 0x0D;

/** The queries, for `help` and the unknown-query error. */
const QUERIES: StaticArray<string> = ["process", "thread", "object", "handle", "pool", "reg", "session", "log", "help"];

/** The request line being received. */
let LineLength: u32 = 0;
/** The line ran past REQUEST_MAX: the rest is dropped and it is answered with an error. */
let LineTooLong: bool = false;
let KdpEnabled: bool = false;
/** Requests answered (statistics). */
export let KdRequests: u32 = 0;
const ByteIn: usize = memory.data(4, 4);

/** Phase 0, before the first log line: the debugger keeps the log's last lines. */
export function KdInitSystem0(): void {
  KeSetLogSink(KdpLogLine);
}

/** Phase 1: COM2 answers requests from here on (nothing happens on a machine without COM2). */
export function KdInitSystem1(): void {
  if (!HalKdInitialize()) {
    KeLog("kd", "no UART at 0x2F8 (COM2): no kernel debugger");
    return;
  }
  const f = read_eflags() & 0x200;
  cli();
  KeConnectInterrupt(COM2_IRQ, KdpInterrupt);
  HalKdEnableInterrupts();
  KdpEnabled = true;
  if (f != 0) sti();
  KeLogBegin("kd");
  KeLogString("kernel debugger on COM2 (");
  KeLogHexDigits(COM2_BASE, 3);
  KeLogString(", IRQ ");
  KeLogDecimal(COM2_IRQ);
  KeLogString("): JSON lines, ");
  KeLogDecimal(<u32>QUERIES.length);
  KeLogString(" queries; ");
  KeLogDecimal(KdLogLines);
  KeLogString(" log lines kept so far");
  KeLogEnd();
}

/** IRQ 3 (interrupts off). */
function KdpInterrupt(frame: usize): void {
  HalKdInterrupt();
  KdpSetInterruptFrame(frame);
  KdpPump();
  KdpSetInterruptFrame(0);
}

/** Answers complete request lines while the transmitter is free. */
function KdpPump(): void {
  while (KdpEnabled && !HalKdTransmitting()) {
    if (!KdpTakeLine()) return;
    KdpAnswer();
    KdRequests++;
    LineLength = 0;
    LineTooLong = false;
    HalKdTransmit(KdAnswer, KdAnswerLength);
  }
}

/** Moves received bytes into the request line; true when a whole (non-empty) line is there. */
function KdpTakeLine(): bool {
  while (HalKdRead(ByteIn, 1) == 1) {
    const c = <u32>load<u8>(ByteIn);
    if (c == LF) {
      if (LineLength == 0 && !LineTooLong) continue; // blank lines are nothing
      return true;
    }
    if (c == CR) continue;
    if (LineLength < REQUEST_MAX) { store<u8>(KdRequest + LineLength, <u8>c); LineLength++; }
    else LineTooLong = true;
  }
  return false;
}

/** Builds the answer to the line in KdRequest. */
function KdpAnswer(): void {
  KdpForgetRequest();
  if (LineTooLong) { KdpError("request too long (1024 bytes at most)"); KdpEnd(); return; }
  if (!KdpParseRequest(LineLength)) { KdpEnd(); return; }
  KdpBegin();
  if (KdQueryLength == 0) { KdpError("no query: say {\"id\":1,\"q\":\"help\"}"); KdpEnd(); return; }
  KdpMember("q");
  KdpStringBytes(KdQuery, KdQueryLength);
  if (KdpQueryIs("process")) KdpQueryProcesses();
  else if (KdpQueryIs("thread")) KdpQueryThreads(KdHasPid, KdPid);
  else if (KdpQueryIs("handle")) KdpQueryHandles(KdHasPid, KdPid);
  else if (KdpQueryIs("session")) KdpQuerySessions();
  else if (KdpQueryIs("pool")) KdpQueryPool();
  else if (KdpQueryIs("object")) {
    if (KdHasPath) KdpQueryObject(KdPath, KdPathLength);
    else { store<u8>(KdPath, 0x5C); KdpQueryObject(KdPath, 1); } // the root
  }
  else if (KdpQueryIs("reg")) {
    if (KdHasPath) KdpQueryRegistry(KdPath, KdPathLength);
    else KdpError("reg needs a key: {\"q\":\"reg\",\"key\":\"HKLM\\\\SYSTEM\"}");
  }
  else if (KdpQueryIs("log")) {
    const n = KdHasCount ? KdCount : LOG_DEFAULT_LINES;
    KdpMember("lines");
    KdpPut(0x5B);
    const written = KdpWriteLogLines(n);
    KdpPut(0x5D);
    KdpMember("total");
    KdpDecimal(KdLogLines);
    KdpMember("returned");
    KdpDecimal(written);
  }
  else if (KdpQueryIs("help")) KdpWriteQueries();
  else {
    KdpError("unknown query");
    KdpMember("queries");
    KdpWriteQueryList();
  }
  KdpEnd();
}

function KdpWriteQueries(): void {
  KdpMember("queries");
  KdpWriteQueryList();
}

function KdpWriteQueryList(): void {
  KdpPut(0x5B);
  for (let i = 0; i < QUERIES.length; i++) {
    KdpComma(<u32>i);
    KdpString(QUERIES[i]);
  }
  KdpPut(0x5D);
}

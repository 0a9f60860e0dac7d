// The kernel log's last lines, kept for the debugger's `log` query.
//
// Ke hands every finished line to KdpLogLine (KeSetLogSink, set at the
// very start of phase 0, before the first line), interrupts off. Lines go
// into one byte ring, each followed by a line feed; when the ring wraps,
// the oldest lines are overwritten, and a reader skips the partial line
// at the ring's start. A line is exactly what COM1 got, without CR LF.

import { KdpComma, KdpPut, KdpRoom, KdpStringCharacter } from "./kdjson";

/** Bytes of log text kept (a power of two). */
const LOG_RING_SIZE: u32 = 32768;
const LogRing: usize = memory.data(<i32>LOG_RING_SIZE, 4);
/** Bytes ever written: the ring holds [LogWritten - min(LogWritten, SIZE), LogWritten). */
let LogWritten: u32 = 0;
/** Lines ever logged. */
export let KdLogLines: u32 = 0;

const LF: u8 = 0x0A;

@inline function RingByte(position: u32): u32 { return <u32>load<u8>(LogRing + (position & (LOG_RING_SIZE - 1))); }

/** Ke's log sink: one finished line. */
export function KdpLogLine(line: usize, length: u32): void {
  if (length >= LOG_RING_SIZE) length = LOG_RING_SIZE - 1;
  for (let i: u32 = 0; i < length; i++) {
    const c = load<u8>(line + i);
    store<u8>(LogRing + (LogWritten & (LOG_RING_SIZE - 1)), c == LF ? 0x20 : c);
    LogWritten++;
  }
  store<u8>(LogRing + (LogWritten & (LOG_RING_SIZE - 1)), LF);
  LogWritten++;
  KdLogLines++;
}

/** Bytes the ring's text [from, to) takes as the inside of a JSON string. */
function KdpEscapedLength(from: u32, to: u32): u32 {
  let n: u32 = 0;
  for (let p = from; p < to; p++) {
    const c = RingByte(p);
    n += c == 0x22 || c == 0x5C ? 2 : c >= 0x20 && c < 0x7F ? 1 : 6;
  }
  return n;
}

/**
 * Writes the last `count` lines as JSON strings, oldest first, separated by
 * commas (the caller writes the brackets). Fewer come when the ring holds
 * fewer, or when the answer has no room for more (the newest are kept).
 * Returns how many were written.
 */
export function KdpWriteLogLines(count: u32): u32 {
  const oldest = LogWritten > LOG_RING_SIZE ? LogWritten - LOG_RING_SIZE : 0;
  // Walk back from the end over `count` line ends, keeping within the room.
  let start = LogWritten;   // the first byte of the earliest line taken
  let taken: u32 = 0;
  let bytes: u32 = 0;
  const room = KdpRoom();
  while (taken < count && start > oldest) {
    // start - 1 is the LF that ends the line before [start, ...)
    let p = start - 1;
    while (p > oldest && RingByte(p - 1) != <u32>LF) p--;
    if (p == oldest && oldest != 0) break;  // a line cut by the ring's wrap
    const escaped = KdpEscapedLength(p, start - 1) + 3; // quotes and a comma
    if (bytes + escaped > room) break;
    bytes += escaped;
    start = p;
    taken++;
  }
  let index: u32 = 0;
  let p = start;
  while (index < taken) {
    KdpComma(index);
    KdpPut(0x22);
    while (RingByte(p) != <u32>LF) { KdpStringCharacter(RingByte(p)); p++; }
    KdpPut(0x22);
    p++;
    index++;
  }
  return taken;
}

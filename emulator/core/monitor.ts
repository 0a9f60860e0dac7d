// Watches the serial byte stream of one boot: collects the log and its lines,
// spots the milestone marker and the bug check block. Host-independent: the
// Node harness and the browser page both drive it with serial bytes.

import { LineSplitter, isStopLine, parseLogLine, parseStop, parseStopName, type StopInfo } from './log.ts';
import { bugCheckName } from './bugcodes.ts';

/** A milestone: a substring of the serial log, or a pattern tested per line. */
export type Marker = string | RegExp;

export interface StopSeen extends StopInfo {
  /** the name line that followed the STOP line, or a known name for the code */
  name?: string;
  /**
   * the text after the name line, one entry per line (a fatal hard error's
   * caption and message, e.g. `The Session Manager Initialization system
   * process terminated unexpectedly ...`); absent when there is none
   */
  text?: string[];
}

/** True when `text` (one line, or the whole log for strings) shows the marker. */
export function markerMatches(marker: Marker, text: string): boolean {
  if (typeof marker === 'string') return marker !== '' && text.includes(marker);
  // a copy without g/y so that test() has no lastIndex state
  const re = marker.global || marker.sticky ? new RegExp(marker.source, marker.flags.replace(/[gy]/g, '')) : marker;
  return re.test(text);
}

export function describeMarker(marker: Marker): string {
  return typeof marker === 'string' ? JSON.stringify(marker) : String(marker);
}

/** Like parseStop, but keeps whatever it can of a malformed STOP line. */
function parseStopLoose(line: string): StopInfo | null {
  const strict = parseStop(line);
  if (strict) return strict;
  const at = line.indexOf('*** STOP:');
  if (at < 0) return null;
  const hex = [...line.slice(at).matchAll(/0x([0-9A-Fa-f]{1,8})/g)].map((m) => parseInt(m[1], 16) >>> 0);
  if (hex.length === 0) return null;
  return { code: hex[0], params: hex.slice(1, 5) };
}

export class SerialMonitor {
  /** every byte so far, one character per byte (Latin-1) */
  log = '';
  /** complete lines so far (plus the unterminated rest after end()) */
  readonly lines: string[] = [];
  /** the marker appeared in a complete line (or in the rest, after end()) */
  reached = false;
  stop?: StopSeen;
  /** the STOP line and the line after it (its name) have both arrived */
  stopComplete = false;

  private readonly until?: Marker;
  private readonly splitter = new LineSplitter();
  private awaitingStopName = false;
  private ended = false;

  constructor(until?: Marker) {
    this.until = until;
  }

  /** Feeds one serial byte; returns the line it completes, if any. */
  pushByte(b: number): string | undefined {
    if (this.ended) return undefined;
    this.log += String.fromCharCode(b & 0xff);
    const line = this.splitter.pushByte(b);
    if (line !== undefined) this.onLine(line);
    return line;
  }

  /**
   * Takes in serial output from before a restored machine state: its lines
   * join `lines` and `log`, but neither the marker nor a STOP is looked for
   * in them (the run goes on from there).
   */
  preload(text: string): void {
    this.log += text;
    for (const line of this.splitter.push(text)) this.lines.push(line);
  }

  /** The unterminated text after the last line end. */
  get partial(): string {
    return this.splitter.partial;
  }

  /** The marker shows in the unterminated line (the caller may wait for its end). */
  markerInPartial(): boolean {
    if (this.until === undefined || this.reached) return false;
    const p = this.splitter.partial;
    return p !== '' && markerMatches(this.until, p);
  }

  /** A STOP line arrived but its name line has not (yet). */
  get stopPending(): boolean {
    return this.stop !== undefined && !this.stopComplete;
  }

  /**
   * Ends the stream: the unterminated rest counts as a last line; a STOP
   * without a name line gets the known name of its code. Returns that last
   * line, if any.
   */
  end(): string | undefined {
    if (this.ended) return undefined;
    const rest = this.splitter.flush();
    if (rest !== undefined) this.onLine(rest);
    this.ended = true;
    if (this.stop && this.stop.name === undefined) {
      const known = bugCheckName(this.stop.code);
      if (known) this.stop.name = known;
    }
    return rest;
  }

  private onLine(line: string): void {
    this.lines.push(line);
    if (this.until !== undefined && !this.reached && markerMatches(this.until, line)) this.reached = true;
    if (this.stopComplete && this.stop) {
      // the block's text lines, until the log resumes (it does not: the machine halts)
      if (parseLogLine(line) === null && line.trim() !== '') (this.stop.text ??= []).push(line.replace(/\r$/, ''));
      return;
    }
    if (this.awaitingStopName) {
      if (line.trim() === '') return; // a blank line between STOP and its name
      this.awaitingStopName = false;
      this.stopComplete = true;
      const name = parseStopName(line);
      if (name && this.stop) this.stop.name = name;
      return;
    }
    if (this.stop === undefined && isStopLine(line)) {
      const stop = parseStopLoose(line);
      if (stop) {
        this.stop = stop;
        this.awaitingStopName = true;
      }
    }
  }
}

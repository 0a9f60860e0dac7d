// Serial log parsing, shared by the Node harness and the browser page.
//
// The kernel writes only two kinds of text to COM1 (DESIGN.md section 5):
//   [    0.012345] component: message
// and, on a bug check, the block
//   *** STOP: 0x0000021A (0x00000001, 0x00000002, 0x00000003, 0x00000004)
//   STATUS_SYSTEM_PROCESS_TERMINATED

export interface LogLine {
  /** machine uptime in seconds, from the timer */
  seconds: number;
  /** short lowercase component name: ke, mm, ob, io, smss, ... */
  component: string;
  message: string;
}

export interface StopInfo {
  /** the bug check code, unsigned 32-bit */
  code: number;
  /** the four bug check parameters, unsigned 32-bit */
  params: number[];
}

const LOG_LINE = /^\[ *(\d+\.\d{6})\] ([a-z][a-z0-9_.-]*): (.*)$/;

/** Parses `[    0.012345] component: message`; anything else gives null. */
export function parseLogLine(line: string): LogLine | null {
  const m = LOG_LINE.exec(stripEol(line));
  if (!m) return null;
  return { seconds: Number(m[1]), component: m[2], message: m[3] };
}

const HEX32 = '0x([0-9A-Fa-f]{1,8})';
const STOP_LINE = new RegExp(
  `\\*\\*\\* STOP: ${HEX32} \\(\\s*${HEX32}\\s*,\\s*${HEX32}\\s*,\\s*${HEX32}\\s*,\\s*${HEX32}\\s*\\)\\s*$`,
);

/**
 * Parses `*** STOP: 0x0000021A (0x00000001, 0x00000002, 0x00000003, 0x00000004)`.
 * The block may be preceded by other text on the line (a log prefix, screen
 * clearing); it must carry exactly four parameters. Anything else gives null.
 */
export function parseStop(line: string): StopInfo | null {
  const m = STOP_LINE.exec(stripEol(line));
  if (!m) return null;
  return {
    code: parseInt(m[1], 16) >>> 0,
    params: [m[2], m[3], m[4], m[5]].map((h) => parseInt(h, 16) >>> 0),
  };
}

/** True when the line starts a bug check block, even a malformed one. */
export function isStopLine(line: string): boolean {
  return line.includes('*** STOP:');
}

/**
 * The bug check name printed on the line after the STOP line, e.g.
 * `UNEXPECTED_KERNEL_MODE_TRAP`. A log prefix is tolerated. Returns null when
 * the line does not look like a name.
 */
export function parseStopName(line: string): string | null {
  const parsed = parseLogLine(line);
  const text = (parsed ? parsed.message : stripEol(line)).trim();
  return /^[A-Z][A-Z0-9_]*$/.test(text) ? text : null;
}

/** `0x0000021A` */
export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** `STOP 0x0000021A (0x00000001, 0x00000002, 0x00000003, 0x00000004)` */
export function formatStop(stop: StopInfo & { name?: string }): string {
  const s = `STOP ${hex32(stop.code)} (${stop.params.map(hex32).join(', ')})`;
  return stop.name ? `${s} ${stop.name}` : s;
}

/** Formats a log line the way the kernel does (for tests and tools). */
export function formatLogLine(seconds: number, component: string, message: string): string {
  return `[${seconds.toFixed(6).padStart(12, ' ')}] ${component}: ${message}`;
}

function stripEol(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

/**
 * Turns serial bytes into lines. A line ends at `\n`, `\r\n` or a lone `\r`;
 * the terminator is not part of the line. Bytes are decoded as Latin-1 (one
 * character per byte), so no input is ever lost or merged.
 */
export class LineSplitter {
  private current = '';
  private afterCR = false;

  /** Feeds one byte; returns the line it completes, if any. */
  pushByte(b: number): string | undefined {
    if (b === 0x0a) {
      if (this.afterCR) {
        this.afterCR = false;
        return undefined;
      }
      return this.take();
    }
    if (b === 0x0d) {
      this.afterCR = true;
      return this.take();
    }
    this.afterCR = false;
    this.current += String.fromCharCode(b & 0xff);
    return undefined;
  }

  /** Feeds bytes (or a string, taken as Latin-1); returns the completed lines. */
  push(data: Uint8Array | ArrayLike<number> | string): string[] {
    const out: string[] = [];
    if (typeof data === 'string') {
      for (let i = 0; i < data.length; i++) {
        const l = this.pushByte(data.charCodeAt(i) & 0xff);
        if (l !== undefined) out.push(l);
      }
    } else {
      for (let i = 0; i < data.length; i++) {
        const l = this.pushByte(data[i]);
        if (l !== undefined) out.push(l);
      }
    }
    return out;
  }

  /** The unterminated text received since the last line end. */
  get partial(): string {
    return this.current;
  }

  /** Returns and clears the unterminated rest, or undefined if there is none. */
  flush(): string | undefined {
    if (this.current === '') return undefined;
    return this.take();
  }

  private take(): string {
    const l = this.current;
    this.current = '';
    return l;
  }
}

// The VGA text screen: 80x25 cells of (character, attribute) at 0xB8000.
//
// Row 0 holds a banner (white on blue) that stays put; rows 1-24 are a
// scrolling console where ke/log.ts echoes every log line. A bug check turns
// the whole screen into the blue screen (HalDisplayBlueScreen) and writes on
// from its top.
//
//   0xB8000  +------------------------------------------------+
//   row 0    | banner                                         |
//   row 1    | [    0.000000] ke: ...                         |
//   ...      |                                                |  scrolls
//   row 24   | [    0.012345] ke: idle loop                  |
//            +------------------------------------------------+
//   each cell: u16 = character | attribute << 8
//
// Scrolling copies whole dwords: in an emulator each store to video memory
// is a device access, so fewer, wider stores are much faster.

import { cli, inb, outb, read_eflags, sti } from "../sdk/intrinsics";

/** Virtual address of text-mode video memory (physical 0xB8000 in the kernel window). */
export const VGA_TEXT_BASE: usize = 0x800B8000;
/** Characters per row. */
export const VGA_COLUMNS: u32 = 80;
/** Rows on the screen. */
export const VGA_ROWS: u32 = 25;

// (@inline on ATTR_CONSOLE and CONSOLE_TOP: they initialise globals below, and
// only an inlined constant keeps an initialiser constant, so the module needs
// no start function.)

/** Light grey on black: the console. */
@inline const ATTR_CONSOLE: u32 = 0x07;
/** White on blue: the banner and the blue screen. */
const ATTR_BLUE: u32 = 0x1F;
/** First row of the scrolling console (row 0 is the banner). */
@inline const CONSOLE_TOP: u32 = 1;

// Graphics controller: its Miscellaneous register selects where video memory
// appears. 0x0E = text mode, odd/even chained, memory map 0xB8000-0xBFFFF.
// v86 without a BIOS does not show 0xB8000 until this is set (V86.md).
const VGA_GC_INDEX: u32 = 0x3CE; // graphics controller index port
const VGA_GC_DATA: u32 = 0x3CF;  // graphics controller data port
const GC_MISCELLANEOUS: u32 = 6; // Miscellaneous Graphics register index
const GC_MISC_TEXT_B8000: u32 = 0x0E; // text, chain odd/even, 0xB8000

// CRT controller: the hardware cursor position (cell index, high and low byte).
const VGA_CRTC_INDEX: u32 = 0x3D4;   // CRT controller index port (colour)
const VGA_CRTC_DATA: u32 = 0x3D5;    // CRT controller data port
const CRTC_CURSOR_HIGH: u32 = 0x0E;  // cursor location high register
const CRTC_CURSOR_LOW: u32 = 0x0F;   // cursor location low register

// Attribute controller: one port for index and data, told apart by a
// flip-flop that a read of Input Status 1 resets to "index". Its palette
// registers map a cell's 4-bit colour to a DAC entry.
const VGA_ATTR_PORT: u32 = 0x3C0;      // attribute controller index/data
const VGA_INPUT_STATUS_1: u32 = 0x3DA; // read: resets the attribute flip-flop (colour)
const ATTR_MODE_CONTROL: u32 = 0x10;   // mode control register index
const ATTR_MODE_TEXT_NO_BLINK: u32 = 0x04; // text, 9th column line graphics, bit 3 clear: bright backgrounds, no blink
const ATTR_MODE_GRAPHICS: u32 = 0x01;      // graphics (while the palette is loaded: see HalpProgramPalette)
const ATTR_COLOR_PLANE_ENABLE: u32 = 0x12; // colour plane enable register index
const ATTR_COLOR_SELECT: u32 = 0x14;   // colour select register index
const ATTR_PALETTE_SOURCE: u32 = 0x20; // index bit 5: the display reads the palette again
// DAC: 256 entries of 6-bit red, green, blue, written from an index on.
const VGA_DAC_MASK: u32 = 0x3C6;       // pixel mask
const VGA_DAC_WRITE_INDEX: u32 = 0x3C8; // first entry to write
const VGA_DAC_DATA: u32 = 0x3C9;       // red, green, blue of each entry in turn

/**
 * The 16 text colours as the CGA defined them (6-bit DAC levels: 0, 21,
 * 42, 63), two bits per component packed as r<<4 | g<<2 | b: black, blue,
 * green, cyan, red, magenta, brown, light grey, dark grey, and the bright
 * eight. A BIOS loads these; with no BIOS the kernel must, or every colour
 * is black.
 */
const CGA_COLORS: StaticArray<u8> = [
  0x00, 0x02, 0x08, 0x0A, 0x20, 0x22, 0x24, 0x2A,
  0x15, 0x17, 0x1D, 0x1F, 0x35, 0x37, 0x3D, 0x3F,
];

const ASCII_LF: u32 = 0x0A;
const ASCII_SPACE: u32 = 0x20;

let HalpDisplayRow: u32 = CONSOLE_TOP;
let HalpDisplayColumn: u32 = 0;
let HalpDisplayAttribute: u32 = ATTR_CONSOLE;
/** First row that scrolls: CONSOLE_TOP normally, 0 on the blue screen. */
let HalpDisplayTop: u32 = CONSOLE_TOP;
/**
 * win32k.sys paints the screen (a session's buffer) once it has called
 * InbvAcquireDisplayOwnership: the console echo stops; a bug check takes the
 * screen back for the blue screen.
 */
let HalpDisplayOwnedByDriver: bool = false;

@inline function HalpCellAddress(row: u32, column: u32): usize {
  return VGA_TEXT_BASE + <usize>((row * VGA_COLUMNS + column) << 1);
}

/** Fills rows [first, last] with blanks in `attribute`, two cells per store. */
function HalpDisplayClearRows(first: u32, last: u32, attribute: u32): void {
  const blank = ASCII_SPACE | (attribute << 8);
  const pair = blank | (blank << 16);
  let address = HalpCellAddress(first, 0);
  const end = HalpCellAddress(last + 1, 0);
  while (address < end) {
    store<u32>(address, pair);
    address += 4;
  }
}

function HalpDisplayMoveCursor(): void {
  const cell = HalpDisplayRow * VGA_COLUMNS + HalpDisplayColumn;
  outb(VGA_CRTC_INDEX, CRTC_CURSOR_HIGH);
  outb(VGA_CRTC_DATA, (cell >> 8) & 0xFF);
  outb(VGA_CRTC_INDEX, CRTC_CURSOR_LOW);
  outb(VGA_CRTC_DATA, cell & 0xFF);
}

/**
 * Moves the scrolling region up half its height and blanks the rows freed;
 * returns the row the next line goes on. Half a screen at a time, not a row
 * per line: every cell written is an emulated device write (v86 handles text
 * memory cell by cell), and a boot's log scrolled the whole screen for each of
 * its lines (issue 16's first boot: about a tenth of the kernel's wall time to
 * smss's first line went to the console).
 */
function HalpDisplayScroll(): u32 {
  const rows = (VGA_ROWS - HalpDisplayTop) >> 1;
  const to = HalpCellAddress(HalpDisplayTop, 0);
  const from = HalpCellAddress(HalpDisplayTop + rows, 0);
  const end = HalpCellAddress(VGA_ROWS, 0);
  if (from < end) memory.copy(to, from, end - from); // a string move (forward: `to` is below `from`)
  HalpDisplayClearRows(VGA_ROWS - rows, VGA_ROWS - 1, HalpDisplayAttribute);
  return VGA_ROWS - rows;
}

/**
 * Loads the 16 text colours: attribute palette i -> DAC entry i -> the CGA colour i.
 * The attribute controller is in graphics mode meanwhile and text mode comes
 * back last: an emulated VGA in text mode may redraw the whole screen at every
 * palette write, each DAC component too (v86 does: about 60 redraws of 2,000
 * cells, a tenth of the kernel's wall time to smss's first line); in graphics
 * mode it only marks the screen changed, and the switch back redraws it once.
 */
function HalpProgramPalette(): void {
  inb(VGA_INPUT_STATUS_1);
  outb(VGA_ATTR_PORT, ATTR_MODE_CONTROL);
  outb(VGA_ATTR_PORT, ATTR_MODE_GRAPHICS);
  for (let i: u32 = 0; i < 16; i++) {
    outb(VGA_ATTR_PORT, i);
    outb(VGA_ATTR_PORT, i);
  }
  outb(VGA_ATTR_PORT, ATTR_COLOR_PLANE_ENABLE);
  outb(VGA_ATTR_PORT, 0x0F);
  outb(VGA_ATTR_PORT, ATTR_COLOR_SELECT);
  outb(VGA_ATTR_PORT, 0);
  outb(VGA_DAC_MASK, 0xFF);
  outb(VGA_DAC_WRITE_INDEX, 0);
  for (let i = 0; i < 16; i++) {
    const c = <u32>unchecked(CGA_COLORS[i]);
    outb(VGA_DAC_DATA, ((c >> 4) & 3) * 21);
    outb(VGA_DAC_DATA, ((c >> 2) & 3) * 21);
    outb(VGA_DAC_DATA, (c & 3) * 21);
  }
  inb(VGA_INPUT_STATUS_1);
  outb(VGA_ATTR_PORT, ATTR_MODE_CONTROL);
  outb(VGA_ATTR_PORT, ATTR_MODE_TEXT_NO_BLINK);
  outb(VGA_ATTR_PORT, ATTR_PALETTE_SOURCE);
  inb(VGA_INPUT_STATUS_1);
}

/** Maps text memory at 0xB8000, loads the colours, clears the screen and homes the console. */
export function HalInitializeDisplay(): void {
  outb(VGA_GC_INDEX, GC_MISCELLANEOUS);
  outb(VGA_GC_DATA, GC_MISC_TEXT_B8000);
  HalpProgramPalette();
  HalpDisplayAttribute = ATTR_CONSOLE;
  HalpDisplayTop = CONSOLE_TOP;
  HalpDisplayClearRows(0, VGA_ROWS - 1, ATTR_CONSOLE);
  HalpDisplayRow = CONSOLE_TOP;
  HalpDisplayColumn = 0;
  HalpDisplayMoveCursor();
}

/** Writes `text` then `suffix` on the banner row, white on blue. */
export function HalDisplayBanner(text: string, suffix: string): void {
  HalpDisplayClearRows(0, 0, ATTR_BLUE);
  let column: u32 = 1;
  for (let i = 0; i < text.length && column < VGA_COLUMNS; i++, column++) {
    store<u16>(HalpCellAddress(0, column), <u16>((text.charCodeAt(i) & 0xFF) | (ATTR_BLUE << 8)));
  }
  for (let i = 0; i < suffix.length && column < VGA_COLUMNS; i++, column++) {
    store<u16>(HalpCellAddress(0, column), <u16>((suffix.charCodeAt(i) & 0xFF) | (ATTR_BLUE << 8)));
  }
}

/**
 * NT's InbvAcquireDisplayOwnership: the display driver (win32k.sys) owns the
 * screen from now on; the kernel's console echo stops writing to it.
 */
export function InbvAcquireDisplayOwnership(): void { HalpDisplayOwnedByDriver = true; }
/** True once a display driver owns the screen. */
export function InbvCheckDisplayOwnership(): bool { return HalpDisplayOwnedByDriver; }

/** The hardware cursor to `column`, `row` (for the display driver). */
export function HalDisplaySetCursor(column: u32, row: u32): void {
  if (column >= VGA_COLUMNS || row >= VGA_ROWS) return;
  const cell = row * VGA_COLUMNS + column;
  // Interrupts off: an index write and its data write must not be split by
  // another thread's (the session drivers of two sessions, the console echo).
  const f = read_eflags() & 0x200;
  cli();
  outb(VGA_CRTC_INDEX, CRTC_CURSOR_HIGH);
  outb(VGA_CRTC_DATA, (cell >> 8) & 0xFF);
  outb(VGA_CRTC_INDEX, CRTC_CURSOR_LOW);
  outb(VGA_CRTC_DATA, cell & 0xFF);
  if (f != 0) sti();
}

/** Ends the current console line, scrolling when the screen is full. */
export function HalDisplayNewLine(): void {
  if (HalpDisplayOwnedByDriver) return;
  HalpDisplayColumn = 0;
  if (HalpDisplayRow + 1 < VGA_ROWS) HalpDisplayRow++;
  else HalpDisplayRow = HalpDisplayScroll();
  HalpDisplayMoveCursor();
}

/** Puts one character (code page 437) at the cursor; LF ends the line; long lines wrap. */
export function HalDisplayCharacter(character: u32): void {
  if (HalpDisplayOwnedByDriver) return;
  if (character == ASCII_LF) {
    HalDisplayNewLine();
    return;
  }
  if (HalpDisplayColumn >= VGA_COLUMNS) HalDisplayNewLine();
  store<u16>(HalpCellAddress(HalpDisplayRow, HalpDisplayColumn), <u16>((character & 0xFF) | (HalpDisplayAttribute << 8)));
  HalpDisplayColumn++;
}

/** Puts a string at the cursor (the screen only, not the log). */
export function HalDisplayString(text: string): void {
  for (let i = 0; i < text.length; i++) HalDisplayCharacter(<u32>text.charCodeAt(i));
}

/**
 * The blue screen: maps text memory and loads the colours again (the bug
 * check may come before HalInitializeDisplay), paints every cell white on blue and puts the cursor
 * at row 1. Later output scrolls the whole screen.
 */
export function HalDisplayBlueScreen(): void {
  HalpDisplayOwnedByDriver = false;
  outb(VGA_GC_INDEX, GC_MISCELLANEOUS);
  outb(VGA_GC_DATA, GC_MISC_TEXT_B8000);
  HalpProgramPalette();
  HalpDisplayAttribute = ATTR_BLUE;
  HalpDisplayTop = 0;
  HalpDisplayClearRows(0, VGA_ROWS - 1, ATTR_BLUE);
  HalpDisplayRow = 1;
  HalpDisplayColumn = 0;
  HalpDisplayMoveCursor();
}

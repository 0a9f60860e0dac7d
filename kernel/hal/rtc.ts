// The real-time clock: the MC146818-compatible CMOS clock of the PC
// (ports 0x70/0x71). Read once at boot to set the system time; from then
// on the PIT's ticks carry it forward (KeQuerySystemTime).
//
// Registers: 0 seconds, 2 minutes, 4 hours, 7 day, 8 month, 9 year (two
// digits), 0x32 century (the ACPI FADT's usual century register; v86 and
// QEMU keep it), 0x0A status A (bit 7: an update is in progress), 0x0B
// status B (bit 2: binary instead of BCD; bit 1: 24-hour instead of 12 with
// bit 7 of the hour meaning PM). The clock is read until two readings
// agree, outside an update. It is taken to run in UTC, as emulators keep it.

import { inb, outb } from "../sdk/intrinsics";
import { TIME_FIELDS } from "../rtl/time";

const CMOS_INDEX: u32 = 0x70;
const CMOS_DATA: u32 = 0x71;
const NMI_DISABLE: u32 = 0x80; // kept set while indexing, as the BIOS does

function CmosRead(register: u32): u32 {
  outb(CMOS_INDEX, NMI_DISABLE | register);
  return inb(CMOS_DATA);
}

// Read at boot only (phase 0, before a second thread exists): the raw registers.
const Fields: usize = memory.data(8, 4); // second, minute, hour, day, month, year, century

function HalpReadFields(into: usize): void {
  for (let spin = 0; spin < 100000 && (CmosRead(0x0A) & 0x80) != 0; spin++) {} // an update takes < 2 ms
  store<u8>(into, <u8>CmosRead(0x00));
  store<u8>(into + 1, <u8>CmosRead(0x02));
  store<u8>(into + 2, <u8>CmosRead(0x04));
  store<u8>(into + 3, <u8>CmosRead(0x07));
  store<u8>(into + 4, <u8>CmosRead(0x08));
  store<u8>(into + 5, <u8>CmosRead(0x09));
  store<u8>(into + 6, <u8>CmosRead(0x32));
}

@inline function FromBcd(v: u32): u32 { return (v & 0x0F) + (v >> 4) * 10; }

/**
 * The date and time the CMOS clock shows (UTC) into `fields` (TIME_FIELDS);
 * false when it shows nothing sensible (no clock, or a date out of range).
 * The kernel logs and sets the time (main.ts): the HAL sits below the log.
 */
export function HalQueryRealTimeClock(fields: usize): bool {
  const other = memory.data(8, 4); // boot only, as Fields
  HalpReadFields(Fields);
  for (let tries = 0; tries < 5; tries++) {
    HalpReadFields(other);
    if (load<u64>(other) == load<u64>(Fields)) break;
    store<u64>(Fields, load<u64>(other));
  }
  const statusB = CmosRead(0x0B);
  const binary = (statusB & 0x04) != 0, hours24 = (statusB & 0x02) != 0;
  let second = <u32>load<u8>(Fields), minute = <u32>load<u8>(Fields, 1), hourRaw = <u32>load<u8>(Fields, 2);
  let day = <u32>load<u8>(Fields, 3), month = <u32>load<u8>(Fields, 4), year = <u32>load<u8>(Fields, 5), century = <u32>load<u8>(Fields, 6);
  const pm = !hours24 && (hourRaw & 0x80) != 0;
  let hour = hourRaw & 0x7F;
  if (!binary) {
    second = FromBcd(second); minute = FromBcd(minute); hour = FromBcd(hour);
    day = FromBcd(day); month = FromBcd(month); year = FromBcd(year); century = FromBcd(century);
  }
  if (!hours24) hour = (hour % 12) + (pm ? 12 : 0);
  const fullYear = (century >= 19 && century <= 30 ? century * 100 : (year < 80 ? 2000 : 1900)) + year;
  if (second > 59 || minute > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12) return false;
  const f = changetype<TIME_FIELDS>(fields);
  f.Year = <u16>fullYear; f.Month = <u16>month; f.Day = <u16>day;
  f.Hour = <u16>hour; f.Minute = <u16>minute; f.Second = <u16>second; f.Milliseconds = 0; f.Weekday = 0;
  return true;
}

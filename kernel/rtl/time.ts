// Run-time library: the calendar. NT time counts 100 ns units since
// 1601-01-01 00:00:00 UTC (proleptic Gregorian); these turn civil dates and
// times into it and back. Used by the real-time clock (hal/rtc.ts) and by
// FAT's dates (fat/fatvol.ts).

export const TICKS_PER_SECOND: u64 = 10000000;
/** Days from 1601-01-01 to 1970-01-01. */
const DAYS_1601_TO_1970: i64 = 134774;

/** Days since 1970-01-01 of a civil date (y-m-d, month 1..12). */
export function RtlDaysFromCivil(y: i32, m: i32, d: i32): i32 {
  y -= m <= 2 ? 1 : 0;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = (153 * mp + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of `days` since 1970-01-01, as (year << 16) | (month << 8) | day. */
export function RtlCivilFromDays(days: i32): u32 {
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y++;
  return (<u32>y << 16) | (<u32>m << 8) | <u32>d;
}

/** NT's TIME_FIELDS: a date and time by its parts (ReactOS's RtlTimeToTimeFields fills it). */
@unmanaged export class TIME_FIELDS {
  Year: u16;          // 1601..
  Month: u16;         // 1..12
  Day: u16;           // 1..31
  Hour: u16;
  Minute: u16;
  Second: u16;
  Milliseconds: u16;
  Weekday: u16;       // 0 = Sunday
}
export const SIZEOF_TIME_FIELDS: u32 = 16;

/** NT time of a civil date and time (UTC). */
export function RtlTimeFromFields(y: i32, m: i32, d: i32, hour: u32, minute: u32, second: u32): u64 {
  const days = <i64>RtlDaysFromCivil(y, m, d) + DAYS_1601_TO_1970;
  return (<u64>days * 86400 + <u64>(hour * 3600 + minute * 60 + second)) * TICKS_PER_SECOND;
}

// System time <-> calendar fields. NT time is a 64-bit count of 100 ns
// intervals since 1601-01-01 00:00 UTC (a Monday), the first year of a
// 400-year Gregorian cycle, so whole cycles, centuries and 4-year groups
// fall out of plain division.
//
//   TIME_FIELDS (16 bytes, all CSHORT)
//     +0 Year  +2 Month (1-12)  +4 Day (1-31)  +6 Hour  +8 Minute
//     +10 Second  +12 Milliseconds  +14 Weekday (0 = Sunday)

const TICKS_PER_MS: u64 = 10000;
const TICKS_PER_SECOND: u64 = 10000000;
const MS_PER_DAY: u64 = 86400000;
const DAYS_PER_400_YEARS: u32 = 146097;
const DAYS_PER_100_YEARS: u32 = 36524;
const DAYS_PER_4_YEARS: u32 = 1461;

// Days before each month in a common year, and one more entry for the year's end.
const DAYS_BEFORE_MONTH: usize = memory.data<u16>([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]);

@inline function isLeap(year: u32): bool { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

function daysBeforeMonth(month: u32, leap: bool): u32 {
  return <u32>load<u16>(DAYS_BEFORE_MONTH + ((month - 1) << 1)) + (leap && month > 2 ? 1 : 0);
}

/** Splits the LARGE_INTEGER at `time` into TIME_FIELDS. */
export function RtlTimeToTimeFields(time: usize, fields: usize): void {
  const ms = load<u64>(time) / TICKS_PER_MS;
  let days = <u32>(ms / MS_PER_DAY);
  let rest = <u32>(ms % MS_PER_DAY);
  store<i16>(fields, <i16>((days + 1) % 7), 14); // 1601-01-01 was a Monday
  store<i16>(fields, <i16>(rest % 1000), 12); rest /= 1000;
  store<i16>(fields, <i16>(rest % 60), 10); rest /= 60;
  store<i16>(fields, <i16>(rest % 60), 8); rest /= 60;
  store<i16>(fields, <i16>rest, 6);
  let year: u32 = 1601 + (days / DAYS_PER_400_YEARS) * 400;
  days %= DAYS_PER_400_YEARS;
  let centuries = days / DAYS_PER_100_YEARS;
  if (centuries == 4) centuries = 3;               // the cycle's last day (a leap 400th year)
  days -= centuries * DAYS_PER_100_YEARS;
  year += centuries * 100;
  year += (days / DAYS_PER_4_YEARS) * 4;
  days %= DAYS_PER_4_YEARS;
  let years = days / 365;
  if (years == 4) years = 3;                       // Dec 31 of the group's leap year
  days -= years * 365;
  year += years;
  const leap = isLeap(year);
  let month: u32 = 1;
  while (month < 12 && days >= daysBeforeMonth(month + 1, leap)) month++;
  store<i16>(fields, <i16>year);
  store<i16>(fields, <i16>month, 2);
  store<i16>(fields, <i16>(days - daysBeforeMonth(month, leap) + 1), 4);
}

/**
 * Joins TIME_FIELDS into a LARGE_INTEGER at `time`; Weekday is ignored.
 * FALSE (and `time` untouched) when a field is out of range.
 */
export function RtlTimeFieldsToTime(fields: usize, time: usize): bool {
  const year = <i32>load<i16>(fields), month = <i32>load<i16>(fields, 2), day = <i32>load<i16>(fields, 4);
  const hour = <i32>load<i16>(fields, 6), minute = <i32>load<i16>(fields, 8);
  const second = <i32>load<i16>(fields, 10), ms = <i32>load<i16>(fields, 12);
  if (year < 1601 || month < 1 || month > 12 || day < 1) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0 || ms > 999) return false;
  const leap = isLeap(<u32>year);
  if (<u32>day > daysBeforeMonth(<u32>month + 1, leap) - daysBeforeMonth(<u32>month, leap)) return false;
  const y = <u32>year - 1601;
  const days = y * 365 + y / 4 - y / 100 + y / 400 + daysBeforeMonth(<u32>month, leap) + <u32>day - 1;
  const seconds = <u64>days * 86400 + <u64>(hour * 3600 + minute * 60 + second);
  store<u64>(time, seconds * TICKS_PER_SECOND + <u64>ms * TICKS_PER_MS);
  return true;
}

/** Seconds since 1970-01-01 into NT time. */
export function RtlSecondsSince1970ToTime(seconds: u32, time: usize): void {
  store<u64>(time, (<u64>seconds + 11644473600) * TICKS_PER_SECOND);
}

/** NT time into seconds since 1970; FALSE when outside 1970..2106. */
export function RtlTimeToSecondsSince1970(time: usize, seconds: usize): bool {
  const s = load<u64>(time) / TICKS_PER_SECOND;
  if (s < 11644473600 || s - 11644473600 > 0xFFFFFFFF) return false;
  store<u32>(seconds, <u32>(s - 11644473600));
  return true;
}

// How many sessions the kernel's per-session tables hold (ids 0 .. 31); a
// leaf file, so that tables sized by it can be declared anywhere.

/** Most sessions at once (ids 0 .. MM_MAX_SESSIONS - 1); mm/session.ts has the same number. */
export const MM_MAX_SESSIONS: u32 = 32;

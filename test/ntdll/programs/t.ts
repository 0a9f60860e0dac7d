@external("test", "cb") declare function cb(a: u32): u32;
function routine(a: u32, b: u32): u32 { return cb(a + b); }
export function routineIndex(): u32 { return load<u32>(changetype<usize>(routine)); }
export function callIt(f: u32, a: u32, b: u32): u32 { return call_indirect<u32>(f, a, b); }

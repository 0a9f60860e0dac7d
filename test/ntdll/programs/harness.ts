// The ntdll Rtl routines as the tests load them: every DLL export, plus
// test-only callbacks whose table indices the tests pass as function
// pointers (a query routine for RtlQueryRegistryValues, a thread start).
export * from "../../../images/system32/ntdll/index";

@external("test", "queryRoutine") declare function testQueryRoutine(name: usize, type: u32, data: usize, length: u32, context: usize, entryContext: usize): u32;

function queryRoutine(name: usize, type: u32, data: usize, length: u32, context: usize, entryContext: usize): u32 {
  return testQueryRoutine(name, type, data, length, context, entryContext);
}

/** The function pointer (table index) of the query routine that calls test.queryRoutine. */
export function TestQueryRoutineAddress(): u32 { return load<u32>(changetype<usize>(queryRoutine)); }

/** Calls a query routine by table index (what RtlpCallQueryRoutine does with a raw address in the DLL). */
export function TestCallQueryRoutine(routine: u32, name: usize, type: u32, data: usize, length: u32, context: usize, entryContext: usize): u32 {
  return call_indirect<u32>(routine, name, type, data, length, context, entryContext);
}

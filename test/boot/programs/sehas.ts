// sehas.exe: an AssemblyScript program (linked as a PE32 .exe against
// ntdll.dll) whose null-pointer read is seen by its vectored handler, then
// by its top-level filter (RtlSetUnhandledExceptionFilter), which answers
// EXCEPTION_EXECUTE_HANDLER: the process ends with the exception code.
// The handlers are exported functions whose addresses the linker gives.
import { put, putHex, flush } from "./nt";

@external("ntdll", "RtlAddVectoredExceptionHandler") declare function RtlAddVectoredExceptionHandler(first: u32, handler: usize): usize;
@external("ntdll", "RtlSetUnhandledExceptionFilter") declare function RtlSetUnhandledExceptionFilter(filter: usize): void;
@external("pe", "address_of:SehVectored") declare function AddressOfSehVectored(): usize;
@external("pe", "address_of:SehTopLevel") declare function AddressOfSehTopLevel(): usize;

const zero = memory.data(4, 4);
const EXCEPTION_CONTINUE_SEARCH: i32 = 0;
const EXCEPTION_EXECUTE_HANDLER: i32 = 1;

/** `LONG NTAPI handler(EXCEPTION_POINTERS*)`: says what it saw, passes. */
export function SehVectored(pointers: usize): i32 {
  const record = load<usize>(pointers);
  put("vectored: "); putHex(load<u32>(record)); put(" parameters "); putHex(load<u32>(record, 16));
  put(" "); putHex(load<u32>(record, 20)); put(" "); putHex(load<u32>(record, 24)); flush();
  return EXCEPTION_CONTINUE_SEARCH;
}

/** The top-level filter: says what it saw; the process ends with the code. */
export function SehTopLevel(pointers: usize): i32 {
  const record = load<usize>(pointers), context = load<usize>(pointers, 4);
  put("top-level filter: "); putHex(load<u32>(record)); put(" context eip == address: ");
  put(load<u32>(context, 0xB8) == load<u32>(record, 12) ? "yes" : "no"); flush();
  return EXCEPTION_EXECUTE_HANDLER;
}

export function main(): void {
  put("handler "); put(RtlAddVectoredExceptionHandler(1, AddressOfSehVectored()) != 0 ? "added" : "refused"); flush();
  RtlSetUnhandledExceptionFilter(AddressOfSehTopLevel());
  const p = load<usize>(zero); // null, without the compiler knowing
  const value = load<u32>(p + 8);
  put("read "); putHex(value); flush();
}

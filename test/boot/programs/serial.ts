// \Device\Serial0 from ring 3: lines written become log lines; a read waits
// for what the harness types into COM1.
import { NtClose, put, putHex, putDec, flush, unicode } from "./nt";
import { IO_STATUS_BLOCK, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";

@external("ntdll", "NtOpenFile") declare function NtOpenFile(h: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtDeviceIoControlFile") declare function NtDeviceIoControlFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, code: u32, input: usize, inputLength: u32, output: usize, outputLength: u32): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(h: u32, event: u32, apc: usize, ctx: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;

const h = memory.data(4, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const buffer = memory.data(64, 4);

export function main(): void {
  unicode(name, "\\??\\COM1");
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  put("open "); putHex(NtOpenFile(h, 0xC0100000, oa, iosb, 3, 0x20)); flush();
  const text = "first line\r\nsecond\tline\n";
  for (let i = 0; i < text.length; i++) store<u8>(buffer + i, <u8>text.charCodeAt(i));
  put("write "); putHex(NtWriteFile(load<u32>(h), 0, 0, 0, iosb, buffer, text.length, 0, 0)); put(" "); putDec(changetype<IO_STATUS_BLOCK>(iosb).Information); flush();
  put("waiting for input"); flush();
  let got: u32 = 0;
  while (got < 5) {
    const status = NtReadFile(load<u32>(h), 0, 0, 0, iosb, buffer + got, 5 - got, 0, 0);
    if (status != 0) { put("read "); putHex(status); flush(); break; }
    got += changetype<IO_STATUS_BLOCK>(iosb).Information;
  }
  put("read "); putDec(got); put(" bytes: ");
  for (let i: u32 = 0; i < got; i++) putDec(load<u8>(buffer + i)), put(i + 1 < got ? "," : "");
  flush();
  // Read timeouts (IOCTL_SERIAL_SET_TIMEOUTS): at once, then a bounded wait, then a wait that gets a byte.
  const timeouts = memory.data(20, 4);
  memory.fill(timeouts, 0, 20);
  store<u32>(timeouts, 0xFFFFFFFF);
  put("set immediate timeouts "); putHex(NtDeviceIoControlFile(load<u32>(h), 0, 0, 0, iosb, 0x1B001C, timeouts, 20, 0, 0)); flush();
  changetype<IO_STATUS_BLOCK>(iosb).Information = 0xAAAA;
  put("read with nothing there "); putHex(NtReadFile(load<u32>(h), 0, 0, 0, iosb, buffer, 8, 0, 0)); put(" "); putDec(changetype<IO_STATUS_BLOCK>(iosb).Information); flush();
  store<u32>(timeouts, 0xFFFFFFFF, 4); store<u32>(timeouts, 200, 8);
  put("set a 200 ms first-byte wait "); putHex(NtDeviceIoControlFile(load<u32>(h), 0, 0, 0, iosb, 0x1B001C, timeouts, 20, 0, 0)); flush();
  memory.fill(timeouts, 0, 20);
  put("get timeouts "); putHex(NtDeviceIoControlFile(load<u32>(h), 0, 0, 0, iosb, 0x1B0020, 0, 0, timeouts, 20)); put(" ");
  putHex(load<u32>(timeouts)); put(" "); putHex(load<u32>(timeouts, 4)); put(" "); putDec(load<u32>(timeouts, 8)); flush();
  put("read that times out "); putHex(NtReadFile(load<u32>(h), 0, 0, 0, iosb, buffer, 8, 0, 0)); flush();
  put("a short set "); putHex(NtDeviceIoControlFile(load<u32>(h), 0, 0, 0, iosb, 0x1B001C, timeouts, 8, 0, 0)); flush();
  put("an unknown control code "); putHex(NtDeviceIoControlFile(load<u32>(h), 0, 0, 0, iosb, 0x1B0FFC, 0, 0, 0, 0)); flush();
  store<u32>(timeouts, 0xFFFFFFFF, 4); store<u32>(timeouts, 30000, 8);
  NtDeviceIoControlFile(load<u32>(h), 0, 0, 0, iosb, 0x1B001C, timeouts, 20, 0, 0);
  put("waiting with a timeout"); flush();
  const status = NtReadFile(load<u32>(h), 0, 0, 0, iosb, buffer, 8, 0, 0);
  put("read within the timeout "); putHex(status); put(" "); putDec(changetype<IO_STATUS_BLOCK>(iosb).Information); put(" "); putDec(load<u8>(buffer)); flush();
  // Another open of the port keeps no timeouts: the default (wait forever) is per open.
  const h2 = memory.data(4, 4);
  NtOpenFile(h2, 0xC0100000, oa, iosb, 3, 0x20);
  memory.fill(timeouts, 0xEE, 20);
  put("another open's timeouts "); putHex(NtDeviceIoControlFile(load<u32>(h2), 0, 0, 0, iosb, 0x1B0020, 0, 0, timeouts, 20)); put(" "); putHex(load<u32>(timeouts)); flush();
  NtClose(load<u32>(h2));
  NtClose(load<u32>(h));
}

// Reads back what an earlier boot left in the registry (programs/registry.ts
// writes \Registry\Machine\SYSTEM\Test, programs/regflush.ts Select\Counter)
// and what the kernel put in HARDWARE at this boot.
import { NtClose, put, putHex, putDec, putUnicode, flush, unicode } from "./nt";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { KeyBasicInformation, KeyValuePartialInformation, KEY_BASIC_INFORMATION, KEY_VALUE_PARTIAL_INFORMATION } from "../../../kernel/sdk/keyinfo";

@external("ntdll", "NtOpenKey") declare function NtOpenKey(h: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtEnumerateKey") declare function NtEnumerateKey(h: u32, index: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtQueryValueKey") declare function NtQueryValueKey(h: u32, name: usize, cls: u32, info: usize, length: u32, result: usize): u32;

const h = memory.data(4, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const valueName = memory.data(8, 4);
const info = memory.data(32768, 8);
const result = memory.data(4, 4);
const text = memory.data(8, 4);

function open(path: string): u32 {
  unicode(name, path);
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  const status = NtOpenKey(h, 0x20019, oa);
  put("open "); put(path); put(" "); putHex(status); flush();
  return status;
}
function putText(address: usize, bytes: u32): void {
  InitializeCountedString(text, <u32>address, bytes, bytes);
  putUnicode(text);
}
function showValue(value: string): void {
  const status = NtQueryValueKey(load<u32>(h), unicode(valueName, value), KeyValuePartialInformation, info, 32768, result);
  put("value "); put(value); put(" "); putHex(status);
  if (status == 0) {
    const type = changetype<KEY_VALUE_PARTIAL_INFORMATION>(info).Type, length = changetype<KEY_VALUE_PARTIAL_INFORMATION>(info).DataLength;
    const d = info + offsetof<KEY_VALUE_PARTIAL_INFORMATION>("Data");
    put(" type "); putDec(type); put(" length "); putDec(length);
    if (type == 1) { put(" \""); putText(d, length >= 2 ? length - 2 : 0); put("\""); }
    else if (type == 4) { put(" "); putHex(load<u32>(d)); }
    else { let sum: u32 = 0; for (let i: u32 = 0; i < length; i++) sum += load<u8>(d + i); put(" sum "); putDec(sum); }
  }
  flush();
}

export function main(): void {
  if (open("\\Registry\\Machine\\SYSTEM\\Test") == 0) {
    showValue("Greeting"); showValue("Number"); showValue("Large"); showValue("Nothing");
    for (let i: u32 = 0; ; i++) {
      if (NtEnumerateKey(load<u32>(h), i, KeyBasicInformation, info, 1024, result) != 0) break;
      put("key "); putText(info + offsetof<KEY_BASIC_INFORMATION>("Name"), changetype<KEY_BASIC_INFORMATION>(info).NameLength); flush();
    }
    NtClose(load<u32>(h));
  }
  if (open("\\Registry\\Machine\\SYSTEM\\Select") == 0) { showValue("Counter"); showValue("Current"); NtClose(load<u32>(h)); }
  if (open("\\Registry\\Machine\\HARDWARE\\DEVICEMAP\\Scsi\\Scsi Port 0\\Scsi Bus 0\\Target Id 0\\Logical Unit Id 0") == 0) {
    showValue("Identifier"); showValue("Type"); NtClose(load<u32>(h));
  }
  if (open("\\Registry\\Machine\\HARDWARE\\DEVICEMAP\\SERIALCOMM") == 0) { showValue("\\Device\\Serial0"); NtClose(load<u32>(h)); }
  if (open("\\Registry\\Machine\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0") == 0) { showValue("Identifier"); NtClose(load<u32>(h)); }
  put("done"); flush();
}

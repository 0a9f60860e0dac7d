// One registry change and its flush, for the power-cut test: sets
// \Registry\Machine\SYSTEM\Select\Counter to one more than it was (1 when
// missing) and writes the hive with NtFlushKey. reggrow.ts runs the same with
// a 40000-byte value added, so that the hive grows.
import { put, putHex, flush, unicode } from "./nt";
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { KeyValuePartialInformation, KEY_VALUE_PARTIAL_INFORMATION } from "../../../kernel/sdk/keyinfo";

@external("ntdll", "NtOpenKey") declare function NtOpenKey(h: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtSetValueKey") declare function NtSetValueKey(h: u32, name: usize, titleIndex: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtQueryValueKey") declare function NtQueryValueKey(h: u32, name: usize, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtFlushKey") declare function NtFlushKey(h: u32): u32;

const h = memory.data(4, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const valueName = memory.data(8, 4);
const data = memory.data(4, 4);
const info = memory.data(64, 4);
const result = memory.data(4, 4);
const blob = memory.data(40000, 8);

export function main(): void { changeAndFlush(false); }

/** The change (with `grow`, also Select\Blob, 40000 bytes) and the flush. */
export function changeAndFlush(grow: bool): void {
  unicode(name, "\\Registry\\Machine\\SYSTEM\\Select");
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  let status = NtOpenKey(h, 0xF003F, oa);
  put("open "); putHex(status); flush();
  const found = NtQueryValueKey(load<u32>(h), unicode(valueName, "Counter"), KeyValuePartialInformation, info, 64, result);
  store<u32>(data, found == 0 ? load<u32>(info + offsetof<KEY_VALUE_PARTIAL_INFORMATION>("Data")) + 1 : 1);
  status = NtSetValueKey(load<u32>(h), unicode(valueName, "Counter"), 0, 4, data, 4);
  put("set "); putHex(status); flush();
  if (grow) {
    for (let i: u32 = 0; i < 40000; i++) store<u8>(blob + i, <u8>(i * 13));
    status = NtSetValueKey(load<u32>(h), unicode(valueName, "Blob"), 0, 3, blob, 40000);
    put("set blob "); putHex(status); flush();
  }
  status = NtFlushKey(load<u32>(h));
  put("flush "); putHex(status); flush();
}

// The registry from ring 3: every registry service on the SYSTEM hive the
// kernel loaded, through \Registry\Machine and the CurrentControlSet link.
// Every line is "what status [values]"; the boot test compares them, then
// reads the hive the kernel flushed from the saved disk.
import { show, NtClose, put, putHex, putDec, putUnicode, flush, unicode } from "./nt";
import { InitializeCountedString, InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import {
  KeyBasicInformation, KeyFullInformation, KeyNameInformation, KeyNodeInformation, KeyValueBasicInformation,
  KeyValueFullInformation, KeyValuePartialInformation, KEY_BASIC_INFORMATION, KEY_FULL_INFORMATION, KEY_NAME_INFORMATION,
  KEY_NODE_INFORMATION, KEY_VALUE_BASIC_INFORMATION, KEY_VALUE_FULL_INFORMATION, KEY_VALUE_PARTIAL_INFORMATION,
} from "../../../kernel/sdk/keyinfo";
/** A KEY_VALUE_INFORMATION_CLASS number this system does not know: the "bad class" line. */
const NO_SUCH_VALUE_CLASS: u32 = 9;

@external("ntdll", "NtCreateKey") declare function NtCreateKey(h: usize, access: u32, oa: usize, titleIndex: u32, cls: usize, options: u32, disposition: usize): u32;
@external("ntdll", "NtOpenKey") declare function NtOpenKey(h: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtOpenKeyEx") declare function NtOpenKeyEx(h: usize, access: u32, oa: usize, options: u32): u32;
@external("ntdll", "NtDeleteKey") declare function NtDeleteKey(h: u32): u32;
@external("ntdll", "NtQueryKey") declare function NtQueryKey(h: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtEnumerateKey") declare function NtEnumerateKey(h: u32, index: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtEnumerateValueKey") declare function NtEnumerateValueKey(h: u32, index: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtQueryValueKey") declare function NtQueryValueKey(h: u32, name: usize, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetValueKey") declare function NtSetValueKey(h: u32, name: usize, titleIndex: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtDeleteValueKey") declare function NtDeleteValueKey(h: u32, name: usize): u32;
@external("ntdll", "NtFlushKey") declare function NtFlushKey(h: u32): u32;
@external("ntdll", "NtInitializeRegistry") declare function NtInitializeRegistry(flag: u32): u32;

const KEY_QUERY_VALUE: u32 = 1, KEY_ALL_ACCESS: u32 = 0xF003F, KEY_READ: u32 = 0x20019;
const OBJ_OPENLINK: u32 = 0x100;
const REG_OPTION_VOLATILE: u32 = 1;

const h = memory.data(64, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const valueName = memory.data(8, 4);
const className = memory.data(8, 4);
const info = memory.data(32768, 8);
const result = memory.data(4, 4);
const disposition = memory.data(4, 4);
const data = memory.data(32768, 8);

function at(path: string, root: u32 = 0, flags: u32 = OBJ_CASE_INSENSITIVE): usize {
  unicode(name, path);
  InitializeObjectAttributes(oa, name, flags, root, 0);
  return oa;
}
@inline function handle(slot: u32): u32 { return load<u32>(h + slot * 4); }
function v(text: string): usize { return unicode(valueName, text); }
const text = memory.data(8, 4);
function putText(address: usize, bytes: u32): void {
  InitializeCountedString(text, <u32>address, bytes, bytes);
  putUnicode(text);
}

function create(slot: u32, path: string, root: u32 = 0, options: u32 = 0): u32 {
  store<u32>(disposition, 0);
  const status = NtCreateKey(h + slot * 4, KEY_ALL_ACCESS, at(path, root), 0, 0, options, disposition);
  put(path); put(" created "); putHex(status); put(" disposition "); putDec(load<u32>(disposition)); flush();
  return status;
}
function open(slot: u32, path: string, access: u32, root: u32): u32 {
  return NtOpenKey(h + slot * 4, access, at(path, root));
}

/** "value NAME status type T length L" and the data as text, a number or hex. */
function showValue(slot: u32, value: string): void {
  const status = NtQueryValueKey(handle(slot), v(value), KeyValuePartialInformation, info, 32768, result);
  put("value "); put(value); put(" "); putHex(status);
  if (status == 0) {
    const partial = changetype<KEY_VALUE_PARTIAL_INFORMATION>(info);
    const type = partial.Type, length = partial.DataLength;
    const d = info + offsetof<KEY_VALUE_PARTIAL_INFORMATION>("Data");
    put(" type "); putDec(type); put(" length "); putDec(length);
    if (type == 1 || type == 2 || type == 6) { put(" \""); putText(d, length >= 2 && load<u16>(d + length - 2) == 0 ? length - 2 : length); put("\""); }
    else if (type == 4) { put(" "); putHex(load<u32>(d)); }
    else if (type == 11) { put(" "); putHex(load<u32>(d, 4)); put(":"); putHex(load<u32>(d)); }
    else if (length <= 16) { for (let i: u32 = 0; i < length; i++) { put(" "); putDec(load<u8>(d + i)); } }
  }
  flush();
}

function setString(slot: u32, value: string, type: u32, s: string): u32 {
  unicode(data, s);
  const bytes = <u32>s.length << 1;
  memory.copy(data + 8, load<usize>(data, 4), bytes);
  store<u16>(data + 8 + bytes, 0);
  return NtSetValueKey(handle(slot), v(value), 0, type, data + 8, bytes + 2);
}

function enumerateKeys(slot: u32): void {
  for (let i: u32 = 0; ; i++) {
    const status = NtEnumerateKey(handle(slot), i, KeyBasicInformation, info, 1024, result);
    if (status != 0) { show("keys end", status); return; }
    put("key "); putText(info + offsetof<KEY_BASIC_INFORMATION>("Name"), changetype<KEY_BASIC_INFORMATION>(info).NameLength); flush();
  }
}

function enumerateValues(slot: u32): void {
  for (let i: u32 = 0; ; i++) {
    const status = NtEnumerateValueKey(handle(slot), i, KeyValueFullInformation, info, 32768, result);
    if (status != 0) { show("values end", status); return; }
    const full = changetype<KEY_VALUE_FULL_INFORMATION>(info);
    put("enum "); putText(info + offsetof<KEY_VALUE_FULL_INFORMATION>("Name"), full.NameLength); put(" type "); putDec(full.Type);
    put(" length "); putDec(full.DataLength); put(" offset "); putDec(full.DataOffset); flush();
  }
}

export function main(): void {
  // Through the CurrentControlSet link.
  show("open session manager", open(0, "\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Control\\Session Manager", KEY_READ, 0));
  showValue(0, "ProtectionMode");
  showValue(0, "BootExecute");
  let status = NtQueryKey(handle(0), KeyNameInformation, info, 1024, result);
  put("name "); putHex(status); put(" "); putText(info + offsetof<KEY_NAME_INFORMATION>("Name"), changetype<KEY_NAME_INFORMATION>(info).NameLength); flush();
  NtClose(handle(0));
  show("open link itself", NtOpenKey(h, KEY_READ, at("\\Registry\\Machine\\System\\CurrentControlSet", 0, OBJ_CASE_INSENSITIVE | OBJ_OPENLINK)));
  showValue(0, "SymbolicLinkValue");
  NtClose(handle(0));
  show("open hardware", open(0, "\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", KEY_READ, 0));
  showValue(0, "VendorIdentifier");
  NtClose(handle(0));
  show("missing key", open(0, "\\Registry\\Machine\\SYSTEM\\NoSuchKey", KEY_ALL_ACCESS, 0));
  show("missing path", open(0, "\\Registry\\Machine\\SYSTEM\\NoSuch\\Key", KEY_ALL_ACCESS, 0));

  // Creating keys.
  create(1, "\\Registry\\Machine\\SYSTEM\\Test");
  NtClose(handle(1));
  create(1, "\\Registry\\Machine\\SYSTEM\\Test");
  unicode(className, "My Class");
  status = NtCreateKey(h + 2 * 4, KEY_ALL_ACCESS, at("B", handle(1)), 0, className, 0, disposition);
  put("relative create "); putHex(status); put(" disposition "); putDec(load<u32>(disposition)); flush();
  status = NtQueryKey(handle(2), KeyNodeInformation, info, 1024, result);
  const node = changetype<KEY_NODE_INFORMATION>(info);
  put("node "); putHex(status); put(" name "); putText(info + offsetof<KEY_NODE_INFORMATION>("Name"), node.NameLength);
  put(" class "); putText(info + node.ClassOffset, node.ClassLength); flush();
  create(3, "a", handle(1));
  create(4, "C", handle(1));
  create(5, "Ünï中", handle(1));
  show("bad component", NtCreateKey(h + 6 * 4, KEY_ALL_ACCESS, at("x\\\\y", handle(1)), 0, 0, 0, 0));
  create(6, "Vol", handle(1), REG_OPTION_VOLATILE);
  show("stable under volatile", NtCreateKey(h + 7 * 4, KEY_ALL_ACCESS, at("Stable", handle(6)), 0, 0, 0, 0));
  create(7, "Inner", handle(6), REG_OPTION_VOLATILE);

  // Values of every type.
  show("set sz", setString(1, "Greeting", 1, "Hello, registry"));
  show("set expand", setString(1, "Where", 2, "%SystemRoot%\\Temp"));
  store<u32>(data, 0xDEADBEEF);
  show("set dword", NtSetValueKey(handle(1), v("Number"), 0, 4, data, 4));
  store<u32>(data, 0x89ABCDEF); store<u32>(data, 0x01234567, 4);
  show("set qword", NtSetValueKey(handle(1), v("Big Number"), 0, 11, data, 8));
  for (let i: u32 = 0; i < 6; i++) store<u8>(data + i, <u8>(i * 40 + 1));
  show("set binary", NtSetValueKey(handle(1), v("Bytes"), 0, 3, data, 6));
  const multi = "one\0two\0\0";
  memory.copy(data, changetype<usize>(multi), multi.length << 1);
  show("set multi", NtSetValueKey(handle(1), v("List"), 0, 7, data, multi.length << 1));
  show("set none", NtSetValueKey(handle(1), v("Nothing"), 0, 0, 0, 0));
  show("set default", setString(1, "", 1, "default value"));
  for (let i: u32 = 0; i < 20000; i++) store<u8>(data + i, <u8>(i * 7));
  show("set large", NtSetValueKey(handle(1), v("Large"), 0, 3, data, 20000));
  show("replace sz", setString(1, "GREETING", 1, "Hello again"));
  showValue(1, "Greeting"); showValue(1, "Where"); showValue(1, "Number"); showValue(1, "Big Number"); showValue(1, "Bytes");
  showValue(1, "List"); showValue(1, "Nothing"); showValue(1, ""); showValue(1, "Large");
  show("missing value", NtQueryValueKey(handle(1), v("Absent"), KeyValuePartialInformation, info, 1024, result));
  status = NtQueryValueKey(handle(1), v("Greeting"), KeyValuePartialInformation, info, 8, result);
  put("too small "); putHex(status); put(" needs "); putDec(load<u32>(result)); flush();
  status = NtQueryValueKey(handle(1), v("Greeting"), KeyValuePartialInformation, info, 16, result);
  put("overflow "); putHex(status); put(" needs "); putDec(load<u32>(result)); put(" length "); putDec(changetype<KEY_VALUE_PARTIAL_INFORMATION>(info).DataLength); flush();
  status = NtQueryValueKey(handle(1), v("Number"), KeyValueBasicInformation, info, 1024, result);
  const basic = changetype<KEY_VALUE_BASIC_INFORMATION>(info);
  put("basic "); putHex(status); put(" type "); putDec(basic.Type); put(" name "); putText(info + offsetof<KEY_VALUE_BASIC_INFORMATION>("Name"), basic.NameLength); flush();
  show("bad class", NtQueryValueKey(handle(1), v("Number"), NO_SUCH_VALUE_CLASS, info, 1024, result));
  enumerateValues(1);
  show("delete value", NtDeleteValueKey(handle(1), v("Nothing")));
  show("delete value again", NtDeleteValueKey(handle(1), v("Nothing")));

  // Subkeys.
  enumerateKeys(1);
  status = NtQueryKey(handle(1), KeyFullInformation, info, 1024, result);
  const full = changetype<KEY_FULL_INFORMATION>(info);
  put("full "); putHex(status); put(" subkeys "); putDec(full.SubKeys); put(" values "); putDec(full.Values);
  put(" max value data "); putDec(full.MaxValueDataLen); flush();
  show("delete with subkeys", NtDeleteKey(handle(1)));
  show("delete C", NtDeleteKey(handle(4)));
  show("use deleted", NtQueryValueKey(handle(4), v("x"), KeyValuePartialInformation, info, 1024, result));
  show("set on deleted", setString(4, "x", 1, "x"));
  NtClose(handle(4));
  show("reopen deleted", open(4, "C", KEY_ALL_ACCESS, handle(1)));
  show("delete hive root", NtDeleteKey(handle(0)));
  enumerateKeys(1);

  // Access and hostile pointers.
  show("open read-only", open(8, "\\Registry\\Machine\\SYSTEM\\Test", KEY_QUERY_VALUE, 0));
  show("set without access", setString(8, "No", 1, "no"));
  NtClose(handle(8));
  show("kernel value name", NtQueryValueKey(handle(1), 0x80001000, KeyValuePartialInformation, info, 1024, result));
  InitializeCountedString(valueName, 0x80001000, 8, 8);
  show("kernel name buffer", NtSetValueKey(handle(1), valueName, 0, 1, data, 4));
  show("kernel data", NtSetValueKey(handle(1), v("Evil"), 0, 3, 0x80001000, 16));
  show("kernel info buffer", NtQueryKey(handle(1), KeyBasicInformation, 0x80001000, 64, result));
  show("bad handle", NtQueryKey(0x1234, KeyBasicInformation, info, 1024, result));
  show("bad options", NtCreateKey(h + 9 * 4, KEY_ALL_ACCESS, at("Opt", handle(1)), 0, 0, 0x100, 0));

  // Other hives, then the flush the host reads back.
  show("initialize registry", NtInitializeRegistry(0));
  show("initialize again", NtInitializeRegistry(0));
  show("open software", open(9, "\\Registry\\Machine\\SOFTWARE", KEY_READ, 0));
  NtClose(handle(9));
  show("open default user", open(9, "\\Registry\\User\\.DEFAULT", KEY_READ, 0));
  NtClose(handle(9));
  show("flush", NtFlushKey(handle(1)));
  for (let i: u32 = 1; i < 8; i++) if (i != 4) NtClose(handle(i));
  show("done", 0);
}

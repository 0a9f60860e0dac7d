// Logons against the SAM hive (\REGISTRY\MACHINE\SAM, built from
// images/registry/SAM.reg): SAM\Domains\Account\Users\Names\<name> has an
// empty default value whose type is the account's RID, as in NT; the
// account's key Users\<RID as 8 hex digits> holds its NT hash ("NTHash",
// 16 bytes) and "Disabled". A logon hashes the password given (MD4 of its
// UTF-16LE bytes) and compares. The answer is NT's: STATUS_LOGON_FAILURE
// with the sub-status STATUS_NO_SUCH_USER or STATUS_WRONG_PASSWORD, or
// STATUS_ACCOUNT_RESTRICTION with STATUS_ACCOUNT_DISABLED.

import {
  NtClose, STATUS_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_NO_SUCH_USER, STATUS_WRONG_PASSWORD, STATUS_LOGON_FAILURE,
  STATUS_ACCOUNT_RESTRICTION, STATUS_ACCOUNT_DISABLED,
} from "../native/nt";
import { Attributes, Decimal, Hex, Hex8, Log, OpenKey, QueryValue, ReadDword, Slot, SubKeys, StringAt, Unicode } from "../native/util";
import { NtOwfPassword } from "./md4";
import {
  LSA_LOGON_USER_NAME_LENGTH, LSA_LOGON_PASSWORD_LENGTH, LSA_LOGON_USER_NAME, LSA_LOGON_PASSWORD, LSA_LOGON_SUB_STATUS,
  LSA_LOGON_ID, LSA_LOGON_RELATIVE_ID, LSA_USER_NAME_MAX, LSA_PASSWORD_MAX, LSA_CHANGE_PASSWORD_USER_NAME_LENGTH, LSA_CHANGE_PASSWORD_OLD_LENGTH,
  LSA_CHANGE_PASSWORD_NEW_LENGTH, LSA_CHANGE_PASSWORD_USER_NAME, LSA_CHANGE_PASSWORD_OLD, LSA_CHANGE_PASSWORD_NEW, LSA_CHANGE_PASSWORD_FIELD_MAX,
} from "../../../kernel/sdk/lsa";

@external("ntdll", "NtOpenKey") declare function NtOpenKey(handle: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtSetValueKey") declare function NtSetValueKey(key: u32, name: usize, index: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtFlushKey") declare function NtFlushKey(key: u32): u32;
const KEY_READ_WRITE: u32 = 0x20019 | 0x0002; // KEY_READ | KEY_SET_VALUE
const REG_BINARY: u32 = 3;
const newDigest = memory.data(16, 4);

const USERS = "\\Registry\\Machine\\SAM\\SAM\\Domains\\Account\\Users";
const digest = memory.data(16, 4);
let NextLogonId: u32 = 0x3E8;

/** How many accounts the SAM names. */
export function SamAccountCount(): u32 {
  const names = OpenKey(USERS + "\\Names", 0);
  if (names == 0) return 0;
  const n = <u32>SubKeys(names).length;
  NtClose(names);
  return n;
}

/** 16 bytes equal, in time independent of where they differ. */
function SampEqualHash(a: usize, b: usize): bool {
  let diff: u32 = 0;
  for (let i: u32 = 0; i < 16; i++) diff |= <u32>(load<u8>(a + i) ^ load<u8>(b + i));
  return diff == 0;
}

function SampResult(message: usize, status: u32, subStatus: u32, user: string, rid: u32): u32 {
  store<u32>(message + LSA_LOGON_SUB_STATUS, subStatus);
  store<u32>(message + LSA_LOGON_RELATIVE_ID, rid);
  if (status == STATUS_SUCCESS) {
    store<u32>(message + LSA_LOGON_ID, NextLogonId++);
    store<u32>(message + LSA_LOGON_ID + 4, 0);
    Log("logon of " + user + " (RID " + Decimal(rid) + "): success, logon id " + Hex(load<u32>(message + LSA_LOGON_ID)));
  } else {
    store<u64>(message + LSA_LOGON_ID, 0);
    const why = subStatus == STATUS_NO_SUCH_USER ? "no such user" : subStatus == STATUS_WRONG_PASSWORD ? "wrong password"
      : subStatus == STATUS_ACCOUNT_DISABLED ? "account disabled" : "bad request";
    Log("logon of " + (user.length != 0 ? user : "(no name)") + (rid != 0 ? " (RID " + Decimal(rid) + ")" : "") + ": " + Hex(status) + " (" + why + ", sub-status " + Hex(subStatus) + ")");
  }
  return status;
}

/** LsapLogonUserApi: checks the message's name and password; fills its answer; returns the status. */
export function SamLogonUser(message: usize): u32 {
  const nameLength = <u32>load<u16>(message + LSA_LOGON_USER_NAME_LENGTH);
  const passwordLength = <u32>load<u16>(message + LSA_LOGON_PASSWORD_LENGTH);
  if (nameLength > LSA_USER_NAME_MAX || passwordLength > LSA_PASSWORD_MAX || (nameLength & 1) != 0 || (passwordLength & 1) != 0) {
    memory.fill(message + LSA_LOGON_PASSWORD, 0, LSA_PASSWORD_MAX);
    return SampResult(message, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER, "", 0);
  }
  const user = StringAt(message + LSA_LOGON_USER_NAME, nameLength);
  // The hash of what was typed, then the typed password is gone.
  NtOwfPassword(message + LSA_LOGON_PASSWORD, passwordLength, digest);
  memory.fill(message + LSA_LOGON_PASSWORD, 0, LSA_PASSWORD_MAX);
  // A name is one key name: no separators, nothing that walks elsewhere in the hive.
  let plain = user.length != 0 && user.length <= 20;
  for (let i = 0; i < user.length && plain; i++) {
    const c = user.charCodeAt(i);
    if (c < 0x20 || c == 0x5C || c == 0x2F || c == 0x3A || c == 0x2A || c == 0x3F) plain = false;
  }
  if (!plain || user == "." || user == "..") return SampResult(message, STATUS_LOGON_FAILURE, STATUS_NO_SUCH_USER, user, 0);
  const names = OpenKey(USERS + "\\Names\\" + user, 0);
  if (names == 0) return SampResult(message, STATUS_LOGON_FAILURE, STATUS_NO_SUCH_USER, user, 0);
  const ridValue = QueryValue(names, "");
  NtClose(names);
  if (ridValue == null) return SampResult(message, STATUS_LOGON_FAILURE, STATUS_NO_SUCH_USER, user, 0);
  const rid = ridValue.type;
  const account = OpenKey(USERS + "\\" + Hex8(rid), 0);
  if (account == 0) return SampResult(message, STATUS_LOGON_FAILURE, STATUS_NO_SUCH_USER, user, rid);
  const hash = QueryValue(account, "NTHash");
  const disabled = ReadDword(account, "Disabled", 0);
  NtClose(account);
  if (hash == null || hash.length != 16 || !SampEqualHash(hash.data, digest)) {
    return SampResult(message, STATUS_LOGON_FAILURE, STATUS_WRONG_PASSWORD, user, rid);
  }
  if (disabled != 0) return SampResult(message, STATUS_ACCOUNT_RESTRICTION, STATUS_ACCOUNT_DISABLED, user, rid);
  return SampResult(message, STATUS_SUCCESS, STATUS_SUCCESS, user, rid);
}


/** A plain account name (one key name of Users\Names) and its RID; 0 when there is no such account. */
function SampAccountRid(user: string): u32 {
  let plain = user.length != 0 && user.length <= 20;
  for (let i = 0; i < user.length && plain; i++) {
    const c = user.charCodeAt(i);
    if (c < 0x20 || c == 0x5C || c == 0x2F || c == 0x3A || c == 0x2A || c == 0x3F) plain = false;
  }
  if (!plain || user == "." || user == "..") return 0;
  const names = OpenKey(USERS + "\\Names\\" + user, 0);
  if (names == 0) return 0;
  const ridValue = QueryValue(names, "");
  NtClose(names);
  return ridValue == null ? 0 : ridValue.type;
}

/**
 * MSV1_0's ChangePassword (LsaCallAuthenticationPackage, MsV1_0ChangePassword):
 * the old password must hash to the account's NT hash; the new one's hash
 * replaces it in the SAM hive, which is flushed to the disk at once. Both
 * passwords are cleared from the message. STATUS_NO_SUCH_USER,
 * STATUS_WRONG_PASSWORD, or the registry's failure.
 */
export function SamChangePassword(message: usize): u32 {
  const nameLength = <u32>load<u16>(message + LSA_CHANGE_PASSWORD_USER_NAME_LENGTH);
  const oldLength = <u32>load<u16>(message + LSA_CHANGE_PASSWORD_OLD_LENGTH), newLength = <u32>load<u16>(message + LSA_CHANGE_PASSWORD_NEW_LENGTH);
  let status = STATUS_SUCCESS;
  if (nameLength > LSA_CHANGE_PASSWORD_FIELD_MAX || oldLength > LSA_CHANGE_PASSWORD_FIELD_MAX || newLength > LSA_CHANGE_PASSWORD_FIELD_MAX
    || ((nameLength | oldLength | newLength) & 1) != 0) status = STATUS_INVALID_PARAMETER;
  const user = status == STATUS_SUCCESS ? StringAt(message + LSA_CHANGE_PASSWORD_USER_NAME, nameLength) : "";
  if (status == STATUS_SUCCESS) {
    NtOwfPassword(message + LSA_CHANGE_PASSWORD_OLD, oldLength, digest);
    NtOwfPassword(message + LSA_CHANGE_PASSWORD_NEW, newLength, newDigest);
  }
  memory.fill(message + LSA_CHANGE_PASSWORD_OLD, 0, LSA_CHANGE_PASSWORD_FIELD_MAX * 2); // both passwords
  if (status != STATUS_SUCCESS) { Log("password change: bad request " + Hex(status)); return status; }
  const rid = SampAccountRid(user);
  if (rid == 0) { Log("password change of " + user + ": " + Hex(STATUS_NO_SUCH_USER) + " (no such user)"); return STATUS_NO_SUCH_USER; }
  const h = Slot();
  status = NtOpenKey(h, KEY_READ_WRITE, Attributes(USERS + "\\" + Hex8(rid), 0, 0));
  if (status != STATUS_SUCCESS) { Log("password change of " + user + ": NtOpenKey failed - Status == " + Hex(status)); return status; }
  const account = load<u32>(h);
  const hash = QueryValue(account, "NTHash");
  if (hash == null || hash.length != 16 || !SampEqualHash(hash.data, digest)) status = STATUS_WRONG_PASSWORD;
  else {
    status = NtSetValueKey(account, Unicode("NTHash"), 0, REG_BINARY, newDigest, 16);
    if (status == STATUS_SUCCESS) status = NtFlushKey(account);
  }
  NtClose(account);
  memory.fill(newDigest, 0, 16);
  Log("password change of " + user + " (RID " + Decimal(rid) + "): " + Hex(status)
    + (status == STATUS_SUCCESS ? " (the SAM hive is flushed)" : status == STATUS_WRONG_PASSWORD ? " (wrong password)" : ""));
  return status;
}

// \LsaAuthenticationPort from a client that is not winlogon, for
// test/boot/logon.test.ts: waits for lsass's event, then connects and sends
// logons right and wrong, and hostile requests; logs each status.
import {
  NtConnectPort, NtRequestWaitReplyPort, NtCreateEvent, NtCreateDirectoryObject, NtWaitForSingleObject, OBJ_OPENIF, NotificationEvent,
} from "../../../images/system32/native/nt";
import { Attributes, Hex, Log, Milliseconds, Slot, Unicode } from "../../../images/system32/native/util";
import {
  LSA_AUTHENTICATION_PORT_NAME, LSA_AUTHENTICATION_EVENT_NAME, SIZEOF_LSA_CONNECTION_INFO, SIZEOF_LSA_API_MSG,
  LSA_API_MSG_API_NUMBER, LSA_API_MSG_STATUS, LSA_CONNECTION_INFO_NAME_LENGTH, LSA_CONNECTION_INFO_NAME,
  LSA_LOGON_USER_NAME_LENGTH, LSA_LOGON_PASSWORD_LENGTH, LSA_LOGON_USER_NAME, LSA_LOGON_PASSWORD, LSA_LOGON_SUB_STATUS,
  LSA_LOGON_RELATIVE_ID, LSA_LOOKUP_PACKAGE_NAME_LENGTH, LSA_LOOKUP_PACKAGE_NAME, LSA_LOOKUP_PACKAGE_ID, LSA_CALL_PACKAGE_ID,
  LSA_CALL_PACKAGE_MESSAGE_TYPE, LSA_CHANGE_PASSWORD_USER_NAME_LENGTH, LSA_CHANGE_PASSWORD_OLD_LENGTH, LSA_CHANGE_PASSWORD_NEW_LENGTH,
  LSA_CHANGE_PASSWORD_USER_NAME, LSA_CHANGE_PASSWORD_OLD, LSA_CHANGE_PASSWORD_NEW, LSA_CALL_PACKAGE_PROTOCOL_STATUS,
} from "../../../kernel/sdk/lsa";
import { InitializeSecurityQualityOfService, SECURITY_DYNAMIC_TRACKING, SecurityIdentification } from "../../../kernel/sdk/lpc";

const qos = memory.data(12, 4);
const info = memory.data(<i32>SIZEOF_LSA_CONNECTION_INFO, 4);
const infoLength = memory.data(4, 4);
const m = memory.data(<i32>SIZEOF_LSA_API_MSG, 8);
let port: u32 = 0;

function connect(name: string): u32 {
  memory.fill(info, 0, SIZEOF_LSA_CONNECTION_INFO);
  store<u32>(info + LSA_CONNECTION_INFO_NAME_LENGTH, name.length);
  for (let i = 0; i < name.length; i++) store<u8>(info + LSA_CONNECTION_INFO_NAME + i, <u8>name.charCodeAt(i));
  store<u32>(infoLength, SIZEOF_LSA_CONNECTION_INFO);
  InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true);
  const h = Slot();
  const status = NtConnectPort(h, Unicode(LSA_AUTHENTICATION_PORT_NAME), qos, 0, 0, 0, info, infoLength);
  if (status == 0) port = load<u32>(h);
  return status;
}

function logon(what: string, api: u32, user: string, password: string, nameBytes: u32, dataLength: u32): void {
  memory.fill(m, 0, SIZEOF_LSA_API_MSG);
  store<u16>(m, <u16>dataLength);
  store<u16>(m, <u16>(dataLength + 24), 2);
  store<u32>(m + LSA_API_MSG_API_NUMBER, api);
  store<u16>(m + LSA_LOGON_USER_NAME_LENGTH, <u16>nameBytes);
  store<u16>(m + LSA_LOGON_PASSWORD_LENGTH, <u16>(password.length << 1));
  memory.copy(m + LSA_LOGON_USER_NAME, changetype<usize>(user), min<u32>(<u32>user.length << 1, 64));
  memory.copy(m + LSA_LOGON_PASSWORD, changetype<usize>(password), <u32>password.length << 1);
  const status = NtRequestWaitReplyPort(port, m, m);
  Log(what + ": call " + Hex(status) + " status " + Hex(load<u32>(m + LSA_API_MSG_STATUS)) + " sub " + Hex(load<u32>(m + LSA_LOGON_SUB_STATUS))
    + " rid " + Hex(load<u32>(m + LSA_LOGON_RELATIVE_ID)));
}

function request(api: u32): u32 {
  const full = SIZEOF_LSA_API_MSG - 24;
  store<u16>(m, <u16>full); store<u16>(m, <u16>(full + 24), 2);
  store<u32>(m + LSA_API_MSG_API_NUMBER, api);
  return NtRequestWaitReplyPort(port, m, m);
}

function lookup(what: string, name: string, length: u32): void {
  memory.fill(m, 0, SIZEOF_LSA_API_MSG);
  store<u32>(m + LSA_LOOKUP_PACKAGE_NAME_LENGTH, length);
  for (let i = 0; i < name.length && i < 127; i++) store<u8>(m + LSA_LOOKUP_PACKAGE_NAME + i, <u8>name.charCodeAt(i));
  const status = request(3);
  Log(what + ": call " + Hex(status) + " status " + Hex(load<u32>(m + LSA_API_MSG_STATUS)) + " package " + Hex(load<u32>(m + LSA_LOOKUP_PACKAGE_ID)));
}

function changePassword(what: string, packageId: u32, type: u32, user: string, old: string, now: string): void {
  memory.fill(m, 0, SIZEOF_LSA_API_MSG);
  store<u32>(m + LSA_CALL_PACKAGE_ID, packageId);
  store<u32>(m + LSA_CALL_PACKAGE_MESSAGE_TYPE, type);
  store<u16>(m + LSA_CHANGE_PASSWORD_USER_NAME_LENGTH, <u16>(user.length << 1));
  store<u16>(m + LSA_CHANGE_PASSWORD_OLD_LENGTH, <u16>(old.length << 1));
  store<u16>(m + LSA_CHANGE_PASSWORD_NEW_LENGTH, <u16>(now.length << 1));
  memory.copy(m + LSA_CHANGE_PASSWORD_USER_NAME, changetype<usize>(user), <u32>user.length << 1);
  memory.copy(m + LSA_CHANGE_PASSWORD_OLD, changetype<usize>(old), <u32>old.length << 1);
  memory.copy(m + LSA_CHANGE_PASSWORD_NEW, changetype<usize>(now), <u32>now.length << 1);
  const status = request(0);
  Log(what + ": call " + Hex(status) + " status " + Hex(load<u32>(m + LSA_API_MSG_STATUS)) + " protocol " + Hex(load<u32>(m + LSA_CALL_PACKAGE_PROTOCOL_STATUS))
    + " passwords cleared " + Hex(load<u32>(m + LSA_CHANGE_PASSWORD_OLD) == 0 && load<u32>(m + LSA_CHANGE_PASSWORD_NEW) == 0 ? 1 : 0));
}

export function main(): void {
  const h = Slot();
  // As winlogon does: the directory and the event may not be there yet (lsass makes them too). This runs as
  // the Administrator: what lsass (SYSTEM) made has SYSTEM's default DACL, where Administrators may read and
  // wait, so only that is asked (DIRECTORY_QUERY | DIRECTORY_TRAVERSE; SYNCHRONIZE | EVENT_QUERY_STATE).
  NtCreateDirectoryObject(h, 0x3, Attributes("\\SECURITY", OBJ_OPENIF | 0x10, 0));
  NtCreateEvent(h, 0x100001, Attributes(LSA_AUTHENTICATION_EVENT_NAME, OBJ_OPENIF, 0), NotificationEvent, false);
  Log("wait for lsass " + Hex(NtWaitForSingleObject(load<u32>(h), 0, Milliseconds(60000))));
  Log("connect without a name " + Hex(connect("")));
  Log("connect " + Hex(connect("LsaProbe")));
  const full = SIZEOF_LSA_API_MSG - 24;
  logon("right password", 2, "Administrator", "password", 26, full);
  logon("name in another case", 2, "ADMINISTRATOR", "password", 26, full);
  logon("password in another case", 2, "Administrator", "Password", 26, full);
  logon("unknown user", 2, "Nobody", "password", 12, full);
  logon("disabled account", 2, "Guest", "", 10, full);
  logon("a path for a name", 2, "..\\000001F4", "password", 22, full);
  logon("name too long", 2, "Administrator", "password", 200, full);
  logon("message too short", 2, "Administrator", "password", 26, 16);
  logon("API 9", 9, "Administrator", "password", 26, full);
  lookup("lookup MSV1_0", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", 37);
  lookup("lookup Kerberos", "Kerberos", 8);
  lookup("lookup a name too long", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", 200);
  // Guest's password ("" in SAM.reg; the account is disabled, so a right password answers STATUS_ACCOUNT_RESTRICTION).
  changePassword("change Guest's password, wrong old one", 0, 5, "Guest", "nope", "guest2");
  changePassword("change Guest's password", 0, 5, "Guest", "", "guest2");
  logon("Guest, the old password", 2, "Guest", "", 10, full);
  logon("Guest, the new password", 2, "Guest", "guest2", 10, full);
  changePassword("change the password of nobody", 0, 5, "Nobody", "", "x");
  changePassword("another package", 7, 5, "Guest", "guest2", "x");
  changePassword("another MSV1_0 message", 0, 2, "Guest", "guest2", "x");
  changePassword("a password too long", 0, 5, "Guest", "guest2", "012345678901234567890123456789012");
  memory.fill(m, 0, SIZEOF_LSA_API_MSG);
  Log("deregister: call " + Hex(request(1)) + " status " + Hex(load<u32>(m + LSA_API_MSG_STATUS)));
  logon("a logon after deregistering", 2, "Administrator", "password", 26, full);
  Log("done");
}

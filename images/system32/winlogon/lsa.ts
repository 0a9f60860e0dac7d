// winlogon's side of \LsaAuthenticationPort (kernel/sdk/lsa.ts): connect as
// the logon process "Winlogon"; LsaLogonUser with the name and password
// carried in the message (the password's copy is cleared after the call).

import { NtConnectPort, NtRequestWaitReplyPort, STATUS_SUCCESS, STATUS_INVALID_PARAMETER } from "../native/nt";
import { Unicode } from "../native/util";
import {
  LSA_AUTHENTICATION_PORT_NAME, LsapLogonUserApi, SIZEOF_LSA_CONNECTION_INFO, SIZEOF_LSA_API_MSG, LSA_API_MSG_API_NUMBER,
  LSA_API_MSG_STATUS, LSA_CONNECTION_INFO_STATUS, LSA_CONNECTION_INFO_NAME_LENGTH, LSA_CONNECTION_INFO_NAME,
  LSA_LOGON_USER_NAME_LENGTH, LSA_LOGON_PASSWORD_LENGTH, LSA_LOGON_USER_NAME, LSA_LOGON_PASSWORD, LSA_LOGON_SUB_STATUS,
  LSA_LOGON_ID, LSA_LOGON_RELATIVE_ID, LSA_USER_NAME_MAX, LSA_PASSWORD_MAX,
} from "../../../kernel/sdk/lsa";
import { InitializeSecurityQualityOfService, SECURITY_DYNAMIC_TRACKING, SecurityIdentification } from "../../../kernel/sdk/lpc";

let LsaPort: u32 = 0;
const handle = memory.data(4, 4);
const qos = memory.data(12, 4);
const info = memory.data(<i32>SIZEOF_LSA_CONNECTION_INFO, 4);
const infoLength = memory.data(4, 4);
const message = memory.data(<i32>SIZEOF_LSA_API_MSG, 8);

export function LsaConnect(): u32 {
  memory.fill(info, 0, SIZEOF_LSA_CONNECTION_INFO);
  const name = "Winlogon";
  store<u32>(info + LSA_CONNECTION_INFO_NAME_LENGTH, name.length);
  for (let i = 0; i < name.length; i++) store<u8>(info + LSA_CONNECTION_INFO_NAME + i, <u8>name.charCodeAt(i));
  store<u32>(infoLength, SIZEOF_LSA_CONNECTION_INFO);
  InitializeSecurityQualityOfService(qos, SecurityIdentification, SECURITY_DYNAMIC_TRACKING, true);
  const status = NtConnectPort(handle, Unicode(LSA_AUTHENTICATION_PORT_NAME), qos, 0, 0, 0, info, infoLength);
  if (status != STATUS_SUCCESS) return status;
  if (load<u32>(info + LSA_CONNECTION_INFO_STATUS) != STATUS_SUCCESS) return load<u32>(info + LSA_CONNECTION_INFO_STATUS);
  LsaPort = load<u32>(handle);
  return STATUS_SUCCESS;
}

/** LsaLogonUser: STATUS_SUCCESS or NT's failure (LsaSubStatus says more). */
export function LsaLogonUser(user: string, password: string): u32 {
  const nameBytes = <u32>user.length << 1, passwordBytes = <u32>password.length << 1;
  if (nameBytes > LSA_USER_NAME_MAX || passwordBytes > LSA_PASSWORD_MAX) return STATUS_INVALID_PARAMETER;
  memory.fill(message, 0, SIZEOF_LSA_API_MSG);
  store<u16>(message, <u16>(SIZEOF_LSA_API_MSG - 24));
  store<u16>(message, <u16>SIZEOF_LSA_API_MSG, 2);
  store<u32>(message + LSA_API_MSG_API_NUMBER, LsapLogonUserApi);
  store<u16>(message + LSA_LOGON_USER_NAME_LENGTH, <u16>nameBytes);
  store<u16>(message + LSA_LOGON_PASSWORD_LENGTH, <u16>passwordBytes);
  memory.copy(message + LSA_LOGON_USER_NAME, changetype<usize>(user), nameBytes);
  memory.copy(message + LSA_LOGON_PASSWORD, changetype<usize>(password), passwordBytes);
  const status = NtRequestWaitReplyPort(LsaPort, message, message);
  memory.fill(message + LSA_LOGON_PASSWORD, 0, LSA_PASSWORD_MAX);
  if (status != STATUS_SUCCESS) return status;
  return load<u32>(message + LSA_API_MSG_STATUS);
}

export function LsaSubStatus(): u32 { return load<u32>(message + LSA_LOGON_SUB_STATUS); }
export function LsaLogonId(): u32 { return load<u32>(message + LSA_LOGON_ID); }
/** The account's RID from the last successful LsaLogonUser. */
export function LsaRelativeId(): u32 { return load<u32>(message + LSA_LOGON_RELATIVE_ID); }

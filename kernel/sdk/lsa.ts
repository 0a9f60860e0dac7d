// The Local Security Authority's logon port, \LsaAuthenticationPort, served
// by lsass.exe (images/system32/lsass/) and used by winlogon. NT's own
// protocol (LSA_API_MSG, ReactOS's lsass.h) passes the logon's strings by
// pointer for lsass to read from the client; ours carries them inline, so a
// request is one fixed-size message. The API numbers are NT's
// (LSA_API_NUMBER), of which LogonUser is served.
//
//   LSA_CONNECTION_INFO (0x8C bytes; what a logon process connects with)
//   +0x00 Status                  NTSTATUS, out
//   +0x04 OperationalMode         out (0)
//   +0x08 LogonProcessNameLength  bytes of the name
//   +0x0C LogonProcessName        CHAR[128] (ANSI, e.g. "Winlogon")
//
//   LSA_API_MSG (0xF8 bytes)
//   +0x00 PORT_MESSAGE h          (24 bytes, sdk/lpc.ts)
//   +0x18 ApiNumber               LsapLogonUserApi (2); others: STATUS_NOT_IMPLEMENTED
//   +0x1C Status                  NTSTATUS, out
//   +0x20 LogonUser:
//         +0x00 UserNameLength    bytes (at most 64)
//         +0x02 PasswordLength    bytes (at most 128)
//         +0x04 UserName          WCHAR[32]
//         +0x44 Password          WCHAR[64] (lsass clears its copy after use)
//         +0xC4 SubStatus         out: STATUS_NO_SUCH_USER, STATUS_WRONG_PASSWORD, STATUS_ACCOUNT_DISABLED
//         +0xC8 LogonId           out: LUID (low, high)
//         +0xD0 RelativeId        out: the account's RID
//
// Status of a logon: STATUS_SUCCESS; STATUS_LOGON_FAILURE with SubStatus
// STATUS_NO_SUCH_USER or STATUS_WRONG_PASSWORD (NT does not tell the caller
// which: the SubStatus is for the log); STATUS_ACCOUNT_RESTRICTION with
// STATUS_ACCOUNT_DISABLED.
//
// The other APIs (ours inline as well; NT passes pointers):
//   LookupPackage (3)   +0x20 PackageNameLength (bytes, 1-127), +0x24 PackageName CHAR[128] (ANSI),
//                       out +0xA4 AuthenticationPackage (the package's number)
//   CallPackage (0)     +0x20 AuthenticationPackage, +0x24 MessageType (MSV1_0_PROTOCOL_MESSAGE_TYPE),
//                       MsV1_0ChangePassword (5): +0x28 UserNameLength, +0x2A OldPasswordLength,
//                       +0x2C NewPasswordLength (bytes, u16 each), +0x30 UserName WCHAR[32],
//                       +0x70 OldPassword WCHAR[32], +0xB0 NewPassword WCHAR[32] (lsass clears both),
//                       out +0xF0 ProtocolStatus; Status is the call's (STATUS_NO_SUCH_PACKAGE for a
//                       package that is not there, STATUS_INVALID_PARAMETER for a message it does not take)
//   DeregisterLogonProcess (1)  the logon process leaves: lsass answers, then closes its connection

export const LSA_AUTHENTICATION_PORT_NAME = "\\LsaAuthenticationPort";
/** Set by lsass once the port is served; winlogon waits on it (NT's name). */
export const LSA_AUTHENTICATION_EVENT_NAME = "\\SECURITY\\LSA_AUTHENTICATION_INITIALIZED";

// ---- LSA_API_NUMBER (NT's order) ----
export const LsapCallPackageApi: u32 = 0;
export const LsapDeregisterLogonProcessApi: u32 = 1;
export const LsapLogonUserApi: u32 = 2;
export const LsapLookupPackageApi: u32 = 3;
export const LsapMaxApiNumber: u32 = 4;

// ---- LSA_CONNECTION_INFO ----
export const SIZEOF_LSA_CONNECTION_INFO: u32 = 0x8C;
export const LSA_CONNECTION_INFO_STATUS: u32 = 0x00;
export const LSA_CONNECTION_INFO_OPERATIONAL_MODE: u32 = 0x04;
export const LSA_CONNECTION_INFO_NAME_LENGTH: u32 = 0x08;
export const LSA_CONNECTION_INFO_NAME: u32 = 0x0C;
export const LSA_LOGON_PROCESS_NAME_MAX: u32 = 128;

// ---- LSA_API_MSG ----
export const SIZEOF_LSA_API_MSG: u32 = 0xF8;
export const LSA_API_MSG_API_NUMBER: u32 = 0x18;
export const LSA_API_MSG_STATUS: u32 = 0x1C;
export const LSA_API_MSG_U: u32 = 0x20;
export const LSA_LOGON_USER_NAME_LENGTH: u32 = 0x20;
export const LSA_LOGON_PASSWORD_LENGTH: u32 = 0x22;
export const LSA_LOGON_USER_NAME: u32 = 0x24;
export const LSA_LOGON_PASSWORD: u32 = 0x64;
export const LSA_LOGON_SUB_STATUS: u32 = 0xE4;
export const LSA_LOGON_ID: u32 = 0xE8;
export const LSA_LOGON_RELATIVE_ID: u32 = 0xF0;
export const LSA_USER_NAME_MAX: u32 = 64;     // bytes
export const LSA_PASSWORD_MAX: u32 = 128;     // bytes

// ---- LookupPackage ----
export const LSA_LOOKUP_PACKAGE_NAME_LENGTH: u32 = 0x20;
export const LSA_LOOKUP_PACKAGE_NAME: u32 = 0x24;
export const LSA_LOOKUP_PACKAGE_NAME_MAX: u32 = 127;
export const LSA_LOOKUP_PACKAGE_ID: u32 = 0xA4;
/** The packages lsass has, by number (ntsecapi.h's MSV1_0_PACKAGE_NAME is the first). */
export const MSV1_0_PACKAGE_NAME = "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0";
export const MSV1_0_PACKAGE_ID: u32 = 0;

// ---- CallPackage ----
export const LSA_CALL_PACKAGE_ID: u32 = 0x20;
export const LSA_CALL_PACKAGE_MESSAGE_TYPE: u32 = 0x24;
/** MSV1_0_PROTOCOL_MESSAGE_TYPE (ntsecapi.h). */
export const MsV1_0ChangePassword: u32 = 5;
export const LSA_CHANGE_PASSWORD_USER_NAME_LENGTH: u32 = 0x28;
export const LSA_CHANGE_PASSWORD_OLD_LENGTH: u32 = 0x2A;
export const LSA_CHANGE_PASSWORD_NEW_LENGTH: u32 = 0x2C;
export const LSA_CHANGE_PASSWORD_USER_NAME: u32 = 0x30;
export const LSA_CHANGE_PASSWORD_OLD: u32 = 0x70;
export const LSA_CHANGE_PASSWORD_NEW: u32 = 0xB0;
export const LSA_CHANGE_PASSWORD_FIELD_MAX: u32 = 64; // bytes of each
export const LSA_CALL_PACKAGE_PROTOCOL_STATUS: u32 = 0xF0;

// lsass.exe, the Local Security Authority: started by wininit in session 0.
// It makes \SECURITY (as NT has it) and the event
// \SECURITY\LSA_AUTHENTICATION_INITIALIZED, serves \LsaAuthenticationPort
// (kernel/sdk/lsa.ts) and sets the event, then answers logon requests from
// logon processes (winlogon) by checking the user name and password against
// the SAM hive (sam.ts): the NT hash of the password (md4.ts) against the
// account's. It is critical: its end stops the system, as NT's does.
//
// Log lines: `lsass: ...` (startup, each connection, each logon and its
// result with NT's status and sub-status).
//
// The other LSA APIs: LookupAuthenticationPackage (the one package here,
// MSV1_0, by its name), CallAuthenticationPackage (MSV1_0's ChangePassword:
// the SAM hive updated and flushed, sam.ts; other messages are refused),
// DeregisterLogonProcess (answered, then the connection is closed).
//
// Threads: one (audited 2026-12-07): it starts none, so its static buffers and
// globals have one user; the ntdll routines it calls lock for themselves.

import {
  NtClose, NtCreateDirectoryObject, NtCreateEvent, NtSetEvent, NtCreatePort, NtReplyWaitReceivePort, NtAcceptConnectPort,
  NtCompleteConnectPort, RtlSetProcessIsCritical, NtReplyPort,
  OBJ_OPENIF, OBJ_PERMANENT, DIRECTORY_ALL_ACCESS, EVENT_ALL_ACCESS, NotificationEvent,
  STATUS_SUCCESS, STATUS_NOT_IMPLEMENTED, STATUS_INVALID_PARAMETER,
} from "../native/nt";
import { Attributes, CurrentProcessId, Decimal, Hex, Log, LogFailure, Slot } from "../native/util";
import { SamAccountCount, SamLogonUser, SamChangePassword } from "./sam";
import {
  LSA_AUTHENTICATION_PORT_NAME, LSA_AUTHENTICATION_EVENT_NAME, LsapLogonUserApi, LsapMaxApiNumber,
  SIZEOF_LSA_CONNECTION_INFO, SIZEOF_LSA_API_MSG, LSA_API_MSG_API_NUMBER, LSA_API_MSG_STATUS,
  LSA_CONNECTION_INFO_STATUS, LSA_CONNECTION_INFO_NAME_LENGTH, LSA_CONNECTION_INFO_NAME, LSA_LOGON_PROCESS_NAME_MAX,
  LsapCallPackageApi, LsapDeregisterLogonProcessApi, LsapLookupPackageApi, LSA_LOOKUP_PACKAGE_NAME_LENGTH, LSA_LOOKUP_PACKAGE_NAME,
  LSA_LOOKUP_PACKAGE_NAME_MAX, LSA_LOOKUP_PACKAGE_ID, MSV1_0_PACKAGE_NAME, MSV1_0_PACKAGE_ID, LSA_CALL_PACKAGE_ID, LSA_CALL_PACKAGE_MESSAGE_TYPE,
  MsV1_0ChangePassword, LSA_CALL_PACKAGE_PROTOCOL_STATUS, LSA_CHANGE_PASSWORD_OLD,
} from "../../../kernel/sdk/lsa";
import { STATUS_NO_SUCH_PACKAGE } from "../../../kernel/sdk/ntstatus";
import {
  LPC_CONNECTION_REQUEST, LPC_REQUEST, LPC_PORT_CLOSED, LPC_CLIENT_DIED, PORT_MESSAGE_TYPE, PORT_MESSAGE_DATA_LENGTH,
  PORT_MESSAGE_TOTAL_LENGTH, PORT_MESSAGE_CLIENT_ID, SIZEOF_PORT_MESSAGE,
} from "../../../kernel/sdk/lpc";

const MAX_CLIENTS: u32 = 32;
/** Per connection (context = index + 1): the server port handle, 0 when free. */
const Clients = memory.data(<i32>(MAX_CLIENTS * 4), 4);
const request = memory.data(0x148, 8);
const contextOut = memory.data(4, 4);

/** \SECURITY and its event; the event handle (0 when it could not be made). */
function LsapCreateSecurityObjects(): u32 {
  const h = Slot();
  let status = NtCreateDirectoryObject(h, DIRECTORY_ALL_ACCESS, Attributes("\\SECURITY", OBJ_OPENIF | OBJ_PERMANENT, 0));
  if (status != STATUS_SUCCESS && status != 0x40000000) LogFailure("NtCreateDirectoryObject", status, "\\SECURITY");
  else NtClose(load<u32>(h));
  // winlogon may have made the event first (it waits on it): OBJ_OPENIF.
  status = NtCreateEvent(h, EVENT_ALL_ACCESS, Attributes(LSA_AUTHENTICATION_EVENT_NAME, OBJ_OPENIF, 0), NotificationEvent, false);
  if (status != STATUS_SUCCESS && status != 0x40000000) { LogFailure("NtCreateEvent", status, LSA_AUTHENTICATION_EVENT_NAME); return 0; }
  return load<u32>(h);
}

function LsapConnection(): void {
  const length = <u32>load<u16>(request + PORT_MESSAGE_DATA_LENGTH);
  const pid = load<u32>(request + PORT_MESSAGE_CLIENT_ID);
  const info = request + SIZEOF_PORT_MESSAGE;
  let name = "";
  if (length >= LSA_CONNECTION_INFO_NAME) {
    let n = load<u32>(info + LSA_CONNECTION_INFO_NAME_LENGTH);
    if (n > LSA_LOGON_PROCESS_NAME_MAX) n = LSA_LOGON_PROCESS_NAME_MAX;
    if (LSA_CONNECTION_INFO_NAME + n > length) n = length > LSA_CONNECTION_INFO_NAME ? length - LSA_CONNECTION_INFO_NAME : 0;
    for (let i: u32 = 0; i < n; i++) name += String.fromCharCode(load<u8>(info + LSA_CONNECTION_INFO_NAME + i), -1);
  }
  let slot: u32 = MAX_CLIENTS;
  for (let i: u32 = 0; i < MAX_CLIENTS; i++) if (load<u32>(Clients + i * 4) == 0) { slot = i; break; }
  const accept = slot < MAX_CLIENTS && length >= LSA_CONNECTION_INFO_NAME && name.length != 0;
  // The answer's connection information: the status and the operational mode (0).
  if (length >= 8) {
    store<u32>(info + LSA_CONNECTION_INFO_STATUS, accept ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER);
    store<u32>(info + 4, 0);
  }
  const h = Slot();
  const status = NtAcceptConnectPort(h, accept ? slot + 1 : 0, request, accept, 0, 0);
  if (!accept) {
    Log("refused a connection from process " + Decimal(pid) + (name.length == 0 ? " without a logon process name" : " (no free slot)"));
    return;
  }
  if (status != STATUS_SUCCESS) { LogFailure("NtAcceptConnectPort", status, name); return; }
  store<u32>(Clients + slot * 4, load<u32>(h));
  NtCompleteConnectPort(load<u32>(h));
  Log("logon process \"" + name + "\" (process " + Decimal(pid) + ") connected");
}

/** LookupAuthenticationPackage: the package's number by its (ANSI) name. */
function LsapLookupPackage(): u32 {
  const length = load<u32>(request + LSA_LOOKUP_PACKAGE_NAME_LENGTH);
  store<u32>(request + LSA_LOOKUP_PACKAGE_ID, 0);
  if (length == 0 || length > LSA_LOOKUP_PACKAGE_NAME_MAX) return STATUS_INVALID_PARAMETER;
  let name = "";
  for (let i: u32 = 0; i < length; i++) name += String.fromCharCode(load<u8>(request + LSA_LOOKUP_PACKAGE_NAME + i), -1);
  if (name != MSV1_0_PACKAGE_NAME) { Log("lookup of package " + name + ": " + Hex(STATUS_NO_SUCH_PACKAGE)); return STATUS_NO_SUCH_PACKAGE; }
  store<u32>(request + LSA_LOOKUP_PACKAGE_ID, MSV1_0_PACKAGE_ID);
  return STATUS_SUCCESS;
}

/** CallAuthenticationPackage: MSV1_0's ChangePassword; ProtocolStatus is the package's answer. */
function LsapCallPackage(): u32 {
  const packageId = load<u32>(request + LSA_CALL_PACKAGE_ID), type = load<u32>(request + LSA_CALL_PACKAGE_MESSAGE_TYPE);
  store<u32>(request + LSA_CALL_PACKAGE_PROTOCOL_STATUS, 0);
  if (packageId != MSV1_0_PACKAGE_ID || type != MsV1_0ChangePassword) {
    // Whatever the message held where passwords go is not sent back.
    memory.fill(request + LSA_CHANGE_PASSWORD_OLD, 0, LSA_CALL_PACKAGE_PROTOCOL_STATUS - LSA_CHANGE_PASSWORD_OLD);
    if (packageId != MSV1_0_PACKAGE_ID) return STATUS_NO_SUCH_PACKAGE;
    Log("MSV1_0 message type " + Decimal(type) + " refused");
    return STATUS_INVALID_PARAMETER;
  }
  store<u32>(request + LSA_CALL_PACKAGE_PROTOCOL_STATUS, SamChangePassword(request));
  return STATUS_SUCCESS;
}

function LsapRequest(context: u32): void {
  const api = load<u32>(request + LSA_API_MSG_API_NUMBER);
  const length = <u32>load<u16>(request + PORT_MESSAGE_DATA_LENGTH);
  // What the kernel did not copy is the last request's: cleared, so a short request reads zeros and its answer carries nothing of another's.
  if (length + SIZEOF_PORT_MESSAGE < SIZEOF_LSA_API_MSG) memory.fill(request + SIZEOF_PORT_MESSAGE + length, 0, SIZEOF_LSA_API_MSG - SIZEOF_PORT_MESSAGE - length);
  let status: u32;
  if (api >= LsapMaxApiNumber) status = STATUS_INVALID_PARAMETER;
  else if (length + SIZEOF_PORT_MESSAGE < SIZEOF_LSA_API_MSG) status = STATUS_INVALID_PARAMETER;
  else if (api == LsapLogonUserApi) status = SamLogonUser(request);
  else if (api == LsapLookupPackageApi) status = LsapLookupPackage();
  else if (api == LsapCallPackageApi) status = LsapCallPackage();
  else status = STATUS_SUCCESS; // LsapDeregisterLogonProcessApi: the loop closes the connection after the answer
  store<u32>(request + LSA_API_MSG_STATUS, status);
  // The answer is a whole LSA_API_MSG.
  store<u16>(request + PORT_MESSAGE_DATA_LENGTH, <u16>(SIZEOF_LSA_API_MSG - SIZEOF_PORT_MESSAGE));
  store<u16>(request + PORT_MESSAGE_TOTAL_LENGTH, <u16>SIZEOF_LSA_API_MSG);
}

export function main(): void {
  const critical = RtlSetProcessIsCritical(true, 0, false);
  const event = LsapCreateSecurityObjects();
  const h = Slot();
  const status = NtCreatePort(h, Attributes(LSA_AUTHENTICATION_PORT_NAME, 0, 0), SIZEOF_LSA_CONNECTION_INFO, SIZEOF_LSA_API_MSG, 16 * SIZEOF_LSA_API_MSG);
  if (status != STATUS_SUCCESS) { LogFailure("NtCreatePort", status, LSA_AUTHENTICATION_PORT_NAME); return; }
  const port = load<u32>(h);
  Log("process " + Decimal(CurrentProcessId()) + (critical == STATUS_SUCCESS ? ", critical" : "") + "; SAM: "
    + Decimal(SamAccountCount()) + " accounts; " + LSA_AUTHENTICATION_PORT_NAME + " ready");
  if (event != 0) { NtSetEvent(event, 0); Log(LSA_AUTHENTICATION_EVENT_NAME + " set"); }
  let reply: usize = 0;
  while (true) {
    const s = NtReplyWaitReceivePort(port, contextOut, reply, request);
    reply = 0;
    if (s != STATUS_SUCCESS) { LogFailure("NtReplyWaitReceivePort", s, ""); continue; }
    const type = <u32>load<u16>(request + PORT_MESSAGE_TYPE) & 0xFF;
    const context = load<u32>(contextOut);
    if (type == LPC_CONNECTION_REQUEST) { LsapConnection(); continue; }
    if (type == LPC_PORT_CLOSED || type == LPC_CLIENT_DIED) {
      if (context >= 1 && context <= MAX_CLIENTS && load<u32>(Clients + (context - 1) * 4) != 0) {
        NtClose(load<u32>(Clients + (context - 1) * 4));
        store<u32>(Clients + (context - 1) * 4, 0);
      }
      continue;
    }
    if (type != LPC_REQUEST || context == 0) continue;
    LsapRequest(context);
    reply = request;
    if (load<u32>(request + LSA_API_MSG_API_NUMBER) == LsapDeregisterLogonProcessApi && load<u32>(request + LSA_API_MSG_STATUS) == STATUS_SUCCESS && context <= MAX_CLIENTS && load<u32>(Clients + (context - 1) * 4) != 0) {
      // The answer first (on this port), then the connection goes.
      NtReplyPort(load<u32>(Clients + (context - 1) * 4), request);
      reply = 0;
      NtClose(load<u32>(Clients + (context - 1) * 4));
      store<u32>(Clients + (context - 1) * 4, 0);
      Log("logon process (process " + Decimal(load<u32>(request + PORT_MESSAGE_CLIENT_ID)) + ") deregistered");
    }
  }
}


// LPC services around a port's life: NtCreatePort and NtCreateWaitablePort
// (a server's connection port), NtQueryInformationPort and
// NtRegisterThreadTerminatePort.

import { ExWriteUserUlong, ProbeUserRange } from "../ke/probe";
import { ObCreateObjectService } from "../ob/obsvc";
import { ObDereferenceObject } from "../ob/obref";
import {
  LPCP_PORT_SIZE, LpcPortObjectType, LpcWaitablePortObjectType, LpcpInitializePort, Port, SERVER_CONNECTION_PORT, PORT_WAITABLE,
  LpcpReferencePort, LpcpReferenceStatus, LpcpCurrentThread, LpcpAddTerminatePort,
} from "./lpcp";
import {
  PORT_ALL_ACCESS, PORT_CREATE_MAXIMUM_CONNECTION_INFO_SIZE, PORT_CREATE_MAXIMUM_MESSAGE_LENGTH, PortBasicInformation,
} from "../sdk/lpc";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER_3,
  STATUS_INVALID_PARAMETER_4, STATUS_NO_MEMORY, STATUS_SUCCESS,
} from "../sdk/ntstatus";

function LpcpInitConnectionPort(port: usize, maxConnectionInfo: u32, maxMessage: u32): u32 {
  LpcpInitializePort(port, SERVER_CONNECTION_PORT, maxConnectionInfo, maxMessage);
  Port(port).ConnectionPort = port;
  return STATUS_SUCCESS;
}
function LpcpInitWaitableConnectionPort(port: usize, maxConnectionInfo: u32, maxMessage: u32): u32 {
  LpcpInitializePort(port, SERVER_CONNECTION_PORT | PORT_WAITABLE, maxConnectionInfo, maxMessage);
  Port(port).ConnectionPort = port;
  return STATUS_SUCCESS;
}

function LpcpCreatePort(handle: usize, objectAttributes: usize, maxConnectionInfo: u32, maxMessage: u32, waitable: bool): u32 {
  if (maxConnectionInfo > PORT_CREATE_MAXIMUM_CONNECTION_INFO_SIZE) return STATUS_INVALID_PARAMETER_3;
  if (maxMessage > PORT_CREATE_MAXIMUM_MESSAGE_LENGTH) return STATUS_INVALID_PARAMETER_4;
  return waitable
    ? ObCreateObjectService(handle, PORT_ALL_ACCESS, objectAttributes, LpcWaitablePortObjectType, LPCP_PORT_SIZE, LpcpInitWaitableConnectionPort, maxConnectionInfo, maxMessage)
    : ObCreateObjectService(handle, PORT_ALL_ACCESS, objectAttributes, LpcPortObjectType, LPCP_PORT_SIZE, LpcpInitConnectionPort, maxConnectionInfo, maxMessage);
}

/**
 * NtCreatePort(PortHandle, ObjectAttributes, MaxConnectionInfoLength,
 * MaxMessageLength (header included), MaxPoolUsage (accepted; pool is not
 * charged per port)): a connection port, named or not.
 */
export function NtCreatePort(handle: usize, objectAttributes: usize, maxConnectionInfo: u32, maxMessage: u32, maxPoolUsage: u32): u32 {
  return LpcpCreatePort(handle, objectAttributes, maxConnectionInfo, maxMessage, false);
}

/** NtCreateWaitablePort: the same, and its handle may be waited on (signalled while a message is queued). */
export function NtCreateWaitablePort(handle: usize, objectAttributes: usize, maxConnectionInfo: u32, maxMessage: u32, maxPoolUsage: u32): u32 {
  return LpcpCreatePort(handle, objectAttributes, maxConnectionInfo, maxMessage, true);
}

/**
 * NtQueryInformationPort(PortHandle, PortInformationClass, PortInformation,
 * Length, ReturnLength): as NT's, PortBasicInformation only checks that the
 * handle is a port; nothing is written but ReturnLength (0).
 */
export function NtQueryInformationPort(handle: u32, infoClass: u32, information: usize, length: u32, returnLength: usize): u32 {
  if (infoClass != PortBasicInformation) return STATUS_INVALID_INFO_CLASS;
  if (length != 0 && !ProbeUserRange(information, length, 4)) return STATUS_ACCESS_VIOLATION;
  if (returnLength != 0 && !ProbeUserRange(returnLength, 4, 4)) return STATUS_ACCESS_VIOLATION;
  const port = LpcpReferencePort(handle);
  if (port == 0) return LpcpReferenceStatus();
  ObDereferenceObject(port);
  return returnLength == 0 || ExWriteUserUlong(returnLength, 0) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

/**
 * NtRegisterThreadTerminatePort(PortHandle): when the calling thread ends,
 * an LPC_CLIENT_DIED message goes through this port (to the server, for a
 * client port).
 */
export function NtRegisterThreadTerminatePort(handle: u32): u32 {
  const port = LpcpReferencePort(handle);
  if (port == 0) return LpcpReferenceStatus();
  const lt = LpcpCurrentThread();
  const ok = lt != 0 && LpcpAddTerminatePort(lt, port);
  ObDereferenceObject(port);
  return ok ? STATUS_SUCCESS : STATUS_NO_MEMORY;
}

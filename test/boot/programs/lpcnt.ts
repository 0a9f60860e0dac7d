// The LPC services for the ring-3 LPC test programs (lpc*.ts), and helpers
// that build and read PORT_MESSAGEs in the layout of kernel/sdk/lpc.ts.
import { InitializeSecurityQualityOfService, PORT_MESSAGE, SECURITY_STATIC_TRACKING, SecurityImpersonation, SIZEOF_PORT_MESSAGE } from "../../../kernel/sdk/lpc";

@external("ntdll", "NtCreatePort") export declare function NtCreatePort(handle: usize, oa: usize, maxConnectionInfo: u32, maxMessage: u32, maxPool: u32): u32;
@external("ntdll", "NtCreateWaitablePort") export declare function NtCreateWaitablePort(handle: usize, oa: usize, maxConnectionInfo: u32, maxMessage: u32, maxPool: u32): u32;
@external("ntdll", "NtConnectPort") export declare function NtConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, serverView: usize, maxMessage: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtSecureConnectPort") export declare function NtSecureConnectPort(handle: usize, name: usize, qos: usize, clientView: usize, sid: usize, serverView: usize, maxMessage: usize, info: usize, infoLength: usize): u32;
@external("ntdll", "NtListenPort") export declare function NtListenPort(handle: u32, request: usize): u32;
@external("ntdll", "NtAcceptConnectPort") export declare function NtAcceptConnectPort(handle: usize, context: u32, request: usize, accept: u32, serverView: usize, clientView: usize): u32;
@external("ntdll", "NtCompleteConnectPort") export declare function NtCompleteConnectPort(handle: u32): u32;
@external("ntdll", "NtRequestPort") export declare function NtRequestPort(handle: u32, request: usize): u32;
@external("ntdll", "NtRequestWaitReplyPort") export declare function NtRequestWaitReplyPort(handle: u32, request: usize, reply: usize): u32;
@external("ntdll", "NtReplyPort") export declare function NtReplyPort(handle: u32, reply: usize): u32;
@external("ntdll", "NtReplyWaitReceivePort") export declare function NtReplyWaitReceivePort(handle: u32, context: usize, reply: usize, receive: usize): u32;
@external("ntdll", "NtReplyWaitReceivePortEx") export declare function NtReplyWaitReceivePortEx(handle: u32, context: usize, reply: usize, receive: usize, timeout: usize): u32;
@external("ntdll", "NtReplyWaitReplyPort") export declare function NtReplyWaitReplyPort(handle: u32, reply: usize): u32;
@external("ntdll", "NtImpersonateClientOfPort") export declare function NtImpersonateClientOfPort(handle: u32, message: usize): u32;
@external("ntdll", "NtRegisterThreadTerminatePort") export declare function NtRegisterThreadTerminatePort(handle: u32): u32;
@external("ntdll", "NtQueryInformationPort") export declare function NtQueryInformationPort(handle: u32, infoClass: u32, buffer: usize, length: u32, returnLength: usize): u32;

/** Writes a message header at `at`: DataLength, TotalLength (DataLength + 24 unless given), type and ids as given. */
export function header(at: usize, dataLength: u32, totalLength: u32): usize {
  const m = changetype<PORT_MESSAGE>(at);
  m.DataLength = <u16>dataLength;
  m.TotalLength = <u16>(totalLength == 0xFFFFFFFF ? dataLength + SIZEOF_PORT_MESSAGE : totalLength);
  m.Type = 0; m.DataInfoOffset = 0;
  m.UniqueProcess = 0; m.UniqueThread = 0; m.MessageId = 0; m.ClientViewSize = 0;
  return at;
}
@inline export function msgType(at: usize): u32 { return <u32>changetype<PORT_MESSAGE>(at).Type; }
@inline export function msgPid(at: usize): u32 { return changetype<PORT_MESSAGE>(at).UniqueProcess; }
@inline export function msgTid(at: usize): u32 { return changetype<PORT_MESSAGE>(at).UniqueThread; }
@inline export function msgId(at: usize): u32 { return changetype<PORT_MESSAGE>(at).MessageId; }
@inline export function msgData(at: usize, index: u32): u32 { return load<u32>(at + SIZEOF_PORT_MESSAGE + index * 4); }
@inline export function setData(at: usize, index: u32, value: u32): void { store<u32>(at + SIZEOF_PORT_MESSAGE + index * 4, value); }

/** SECURITY_QUALITY_OF_SERVICE: Length 12, SecurityImpersonation, static tracking, not effective-only. */
export function qos(at: usize): usize { InitializeSecurityQualityOfService(at, SecurityImpersonation, SECURITY_STATIC_TRACKING, false); return at; }

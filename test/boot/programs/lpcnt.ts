// The LPC services for the ring-3 LPC test programs (lpc*.ts), and helpers
// that build and read PORT_MESSAGEs in the layout of kernel/sdk/lpc.ts.
import { SIZEOF_PORT_MESSAGE } from "../../../kernel/sdk/lpc";

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
  store<u16>(at, <u16>dataLength);
  store<u16>(at, <u16>(totalLength == 0xFFFFFFFF ? dataLength + SIZEOF_PORT_MESSAGE : totalLength), 2);
  store<u32>(at, 0, 4);
  store<u32>(at, 0, 8); store<u32>(at, 0, 12); store<u32>(at, 0, 16); store<u32>(at, 0, 20);
  return at;
}
@inline export function msgType(at: usize): u32 { return <u32>load<u16>(at, 4); }
@inline export function msgPid(at: usize): u32 { return load<u32>(at, 8); }
@inline export function msgTid(at: usize): u32 { return load<u32>(at, 12); }
@inline export function msgId(at: usize): u32 { return load<u32>(at, 16); }
@inline export function msgData(at: usize, index: u32): u32 { return load<u32>(at + SIZEOF_PORT_MESSAGE + index * 4); }
@inline export function setData(at: usize, index: u32, value: u32): void { store<u32>(at + SIZEOF_PORT_MESSAGE + index * 4, value); }

/** SECURITY_QUALITY_OF_SERVICE: Length 12, SecurityImpersonation, static tracking, not effective-only. */
export function qos(at: usize): usize { store<u32>(at, 12); store<u32>(at, 2, 4); store<u32>(at, 0, 8); return at; }

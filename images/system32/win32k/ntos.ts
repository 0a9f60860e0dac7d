// What win32k.sys imports from ntoskrnl.exe (kernel/exports.ts lists
// the kernel's side). Every routine is stdcall; BOOLEANs come back as 0/1.

@external("ntoskrnl.exe", "ExAllocatePoolWithTag") export declare function ExAllocatePoolWithTag(poolType: u32, bytes: u32, tag: u32): usize;
@external("ntoskrnl.exe", "ExFreePoolWithTag") export declare function ExFreePoolWithTag(p: usize, tag: u32): void;
@external("ntoskrnl.exe", "KeAddSystemServiceTable") export declare function KeAddSystemServiceTable(base: usize, count: usize, limit: u32, number: usize, index: u32): u32;
/** TRUE when the range is aligned and below MM_USER_PROBE_ADDRESS (always in kernel mode): a range check, no page walk. */
@external("ntoskrnl.exe", "ProbeUserRange") export declare function ProbeUserRange(address: usize, length: u32, alignment: u32): bool;
/** Ours: the kernel's guarded user copies, after ProbeUserRange; FALSE when a page faulted (STATUS_ACCESS_VIOLATION). */
@external("ntoskrnl.exe", "ExCopyFromUser") export declare function ExCopyFromUser(kernel: usize, user: usize, length: u32): bool;
@external("ntoskrnl.exe", "ExCopyToUser") export declare function ExCopyToUser(user: usize, kernel: usize, length: u32): bool;
@external("ntoskrnl.exe", "ExWriteUserUlong") export declare function ExWriteUserUlong(user: usize, value: u32): bool;
@external("ntoskrnl.exe", "PsGetCurrentProcessSessionId") export declare function PsGetCurrentProcessSessionId(): u32;
@external("ntoskrnl.exe", "PsEstablishWin32Callouts") export declare function PsEstablishWin32Callouts(callouts: usize): void;
@external("ntoskrnl.exe", "InbvAcquireDisplayOwnership") export declare function InbvAcquireDisplayOwnership(): void;
@external("ntoskrnl.exe", "InbvCheckDisplayOwnership") export declare function InbvCheckDisplayOwnership(): bool;
@external("ntoskrnl.exe", "KeLogDriverMessage") export declare function KeLogDriverMessage(component: usize, componentChars: u32, message: usize, messageChars: u32): void;
@external("ntoskrnl.exe", "HalDisplaySetCursor") export declare function HalDisplaySetCursor(column: u32, row: u32): void;
@external("ntoskrnl.exe", "KeGetActiveSession") export declare function KeGetActiveSession(): u32;
@external("ntoskrnl.exe", "PsSwitchActiveSession") export declare function PsSwitchActiveSession(session: u32): u32;
/** NT's SeSinglePrivilegeCheck(LUID PrivilegeValue, KPROCESSOR_MODE PreviousMode): the LUID by value, two words. */
@external("ntoskrnl.exe", "SeSinglePrivilegeCheck") export declare function SeSinglePrivilegeCheck(luidLow: u32, luidHigh: u32, previousMode: u32): bool;
@external("ntoskrnl.exe", "ExGetPreviousMode") export declare function ExGetPreviousMode(): u32;
@external("ntoskrnl.exe", "IoReadKeyboardEvent") export declare function IoReadKeyboardEvent(record: usize, timeout: usize): u32;

/** POOL_TYPE NonPagedPool. */
export const NonPagedPool: u32 = 0;
export {
  STATUS_SUCCESS, STATUS_UNSUCCESSFUL, STATUS_INVALID_PARAMETER, STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_PRIVILEGE_NOT_HELD,
} from "../../../kernel/sdk/ntstatus";

/** One log line `win32k: <message>`. */
export function W32pLog(message: string): void {
  const component = "win32k";
  KeLogDriverMessage(changetype<usize>(component), <u32>component.length, changetype<usize>(message), <u32>message.length);
}

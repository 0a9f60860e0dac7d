// SharedUserData: NT's KUSER_SHARED_DATA, one page the kernel fills and every
// process maps read-only at MM_SHARED_USER_DATA_VA (0x7FFE0000).
//
// What user mode finds there that matters here is the system call stub: ntdll's
// Nt* stubs are `mov eax, N; mov edx, 0x7FFE0300; call edx; ret 4*args`, as in
// Windows XP, and the code at SystemCall (+0x300) enters the kernel with
// `sysenter`; the kernel's `sysexit` comes back to SystemCallReturn (+0x304),
// a `ret` to the ntdll stub. A program that calls ntdll therefore uses the fast
// system call without knowing it; `int 0x2e` stays for anyone who issues it.
//
//   +0x02C ImageNumberLow, +0x02E ImageNumberHigh (u16, 0x014C: i386)
//   +0x030 NtSystemRoot (WCHAR[260])      +0x264 NtProductType (1: WinNt)
//   +0x268 ProductTypeIsValid (u8)        +0x26C NtMajorVersion, +0x270 NtMinorVersion
//   +0x2E8 NumberOfPhysicalPages          +0x2F8 TestRetInstruction (0xC3)
//   +0x300 SystemCall: 8B D4 0F 34        mov edx, esp; sysenter
//   +0x304 SystemCallReturn: C3           ret

import { MmAllocatePhysicalPage, MmPageToVirtual, MmNumberOfManagedPages } from "./pfn";
import { KeLogBegin, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "../ke/log";
import { KeBugCheckEx, MEMORY_MANAGEMENT } from "../ke/bugcheck";
import { MM_SHARED_USER_DATA_VA } from "../sdk/ntdef";

/** Offsets in KUSER_SHARED_DATA (Windows XP's layout). */
const USER_SHARED_IMAGE_NUMBER_LOW: u32 = 0x02C;
const USER_SHARED_IMAGE_NUMBER_HIGH: u32 = 0x02E;
const USER_SHARED_NT_SYSTEM_ROOT: u32 = 0x030;
const USER_SHARED_NT_PRODUCT_TYPE: u32 = 0x264;
const USER_SHARED_PRODUCT_TYPE_IS_VALID: u32 = 0x268;
const USER_SHARED_NT_MAJOR_VERSION: u32 = 0x26C;
const USER_SHARED_NT_MINOR_VERSION: u32 = 0x270;
const USER_SHARED_NUMBER_OF_PHYSICAL_PAGES: u32 = 0x2E8;
const USER_SHARED_TEST_RET_INSTRUCTION: u32 = 0x2F8;
export const USER_SHARED_SYSTEM_CALL: u32 = 0x300;
export const USER_SHARED_SYSTEM_CALL_RETURN: u32 = 0x304;
/** IMAGE_FILE_MACHINE_I386. */
const IMAGE_FILE_MACHINE_I386: u16 = 0x014C;
/** NtProductWinNt. */
const NT_PRODUCT_WIN_NT: u32 = 1;

/** The page frame of SharedUserData (0 until phase 0 makes it). */
export let MmSharedUserDataPage: u32 = 0;

/** Phase 0: allocates and fills SharedUserData (processes map it as they are made). */
export function MmInitializeSharedUserData(): void {
  const page = MmAllocatePhysicalPage();
  if (page == 0) KeBugCheckEx(MEMORY_MANAGEMENT, 0x5A0001, 0, 0, 0);
  const data = MmPageToVirtual(page);
  store<u16>(data + USER_SHARED_IMAGE_NUMBER_LOW, IMAGE_FILE_MACHINE_I386);
  store<u16>(data + USER_SHARED_IMAGE_NUMBER_HIGH, IMAGE_FILE_MACHINE_I386);
  const root = "C:\\Windows";
  for (let i = 0; i < root.length; i++) store<u16>(data + USER_SHARED_NT_SYSTEM_ROOT + (<u32>i << 1), <u16>root.charCodeAt(i));
  store<u32>(data + USER_SHARED_NT_PRODUCT_TYPE, NT_PRODUCT_WIN_NT);
  store<u8>(data + USER_SHARED_PRODUCT_TYPE_IS_VALID, 1);
  store<u32>(data + USER_SHARED_NT_MAJOR_VERSION, 5);
  store<u32>(data + USER_SHARED_NT_MINOR_VERSION, 1);
  store<u32>(data + USER_SHARED_NUMBER_OF_PHYSICAL_PAGES, MmNumberOfManagedPages);
  store<u8>(data + USER_SHARED_TEST_RET_INSTRUCTION, 0xC3);
  store<u32>(data + USER_SHARED_SYSTEM_CALL, 0x340FD48B);   // 8B D4 0F 34: mov edx, esp; sysenter
  store<u8>(data + USER_SHARED_SYSTEM_CALL_RETURN, 0xC3);   // ret
  MmSharedUserDataPage = page;
  KeLogFormat2("mm", "SharedUserData at %x (read-only in every process): SystemCall stub at %x (sysenter)", <u32>MM_SHARED_USER_DATA_VA, <u32>MM_SHARED_USER_DATA_VA + USER_SHARED_SYSTEM_CALL);
}

/*
 * sehstack.exe <unmapped|kernel|readonly>: an illegal instruction with a
 * stack pointer the kernel cannot push the exception frame on (an unmapped
 * page, a kernel address, the read-only code of the image). The kernel
 * cannot give the exception to user mode, so the process ends with the
 * exception code 0xC000001D, and the kernel goes on.
 */
#include "seh.h"

extern char __ImageBase;

void NTAPI NtProcessStartup(PEB *peb) {
  const UNICODE_STRING *cmd = &peb->ProcessParameters->CommandLine;
  WCHAR last = cmd->Length >= 2 ? cmd->Buffer[cmd->Length / 2 - 1] : 0;
  ULONG esp = last == L'd' ? 0x00210000              /* unmapped */
            : last == L'l' ? 0x80100000              /* kernel */
            : (ULONG)&__ImageBase + 0x1800;          /* readonly: the image's headers and code */
  put("stack pointer "); puthex(esp); flush();
  __asm__ volatile ("movl %0, %%esp\n\tud2" :: "r"(esp) : "memory");
  put("still running"); flush();
  NtTerminateProcess(NtCurrentProcess(), 0);
}

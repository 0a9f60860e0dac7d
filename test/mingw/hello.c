/*
 * hello.exe: the smallest MinGW native program. It shows a line, checks
 * that its argument is the PEB (fs:[0x30]) and that the PEB names its
 * image base, reports its process parameters if its creator gave it any,
 * prints through DbgPrint (cdecl, with a format), and ends with 0x1234.
 */
#include "nt.h"

extern char __ImageBase; /* ld's symbol for the image's own base */

void NTAPI NtProcessStartup(PEB *peb) {
  put("Hello from MinGW"); flush();
  put("peb argument "); put(peb == CurrentPeb() ? "is" : "is not"); put(" fs:[0x30]"); flush();
  put("image base "); puthex((ULONG)peb->ImageBaseAddress);
  put((char *)peb->ImageBaseAddress == &__ImageBase ? " (ours)" : " (not ours)"); flush();
  RTL_USER_PROCESS_PARAMETERS *params = peb->ProcessParameters;
  if (params) {
    put("parameters flags "); puthex(params->Flags); put(" image "); putw(&params->ImagePathName); flush();
    put("command line "); putw(&params->CommandLine); flush();
  } else {
    put("no process parameters"); flush();
  }
  DbgPrint("DbgPrint: %s %d %u 0x%08lX %c%c %wZ %%\n", "text", -42, 7u, 0xCAFEul, 'o', 'k', &(UNICODE_STRING){ 10, 10, L"wide!" });
  NtTerminateProcess(NtCurrentProcess(), 0x1234);
}

/*
 * sehdie.exe: an access violation nobody handles. The vectored handler sees
 * it and passes; no frame takes it; the second chance ends the process,
 * whose exit status (read by its parent) is the exception code 0xC0000005.
 */
#include "seh.h"

static LONG NTAPI vectored(EXCEPTION_POINTERS *p) {
  put("vectored handler saw "); puthex((ULONG)p->ExceptionRecord->ExceptionCode);
  put(" writing "); puthex(p->ExceptionRecord->ExceptionInformation[1]); flush();
  return EXCEPTION_CONTINUE_SEARCH;
}

void NTAPI NtProcessStartup(PEB *peb) {
  (void)peb;
  RtlAddVectoredExceptionHandler(0, vectored);
  put("writing to 0x00000040"); flush();
  *(volatile ULONG *)0x40 = 1;
  put("still running"); flush();
  NtTerminateProcess(NtCurrentProcess(), 0);
}

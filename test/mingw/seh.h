/*
 * What the exception test programs (seh*.c) share: NT's x86 exception
 * structures, checked against their Windows offsets, ntdll's exception
 * routines (in MinGW's libntdll.a), and an fs:[0] registration made by hand:
 * MinGW's gcc has no __try, so a frame pushes an EXCEPTION_REGISTRATION on
 * its own stack and links it at fs:[0], as MSVC's prologues do.
 */
#ifndef MINGW_SEH_H
#define MINGW_SEH_H
#include "nt.h"

typedef struct _EXCEPTION_RECORD {
  NTSTATUS ExceptionCode;
  ULONG ExceptionFlags;
  struct _EXCEPTION_RECORD *ExceptionRecord;
  PVOID ExceptionAddress;
  ULONG NumberParameters;
  ULONG_PTR ExceptionInformation[15];
} EXCEPTION_RECORD;
CHECK(sizeof(EXCEPTION_RECORD), 0x50);

typedef struct {
  ULONG ContextFlags;
  ULONG Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
  UCHAR FloatSave[112];
  ULONG SegGs, SegFs, SegEs, SegDs;
  ULONG Edi, Esi, Ebx, Edx, Ecx, Eax;
  ULONG Ebp, Eip, SegCs, EFlags, Esp, SegSs;
  UCHAR ExtendedRegisters[512];
} CONTEXT;
CHECK(OFFSET(CONTEXT, SegGs), 0x8C);
CHECK(OFFSET(CONTEXT, Edi), 0x9C);
CHECK(OFFSET(CONTEXT, Eip), 0xB8);
CHECK(OFFSET(CONTEXT, SegSs), 0xC8);
CHECK(sizeof(CONTEXT), 0x2CC);
#define CONTEXT_FULL 0x10007

typedef struct { EXCEPTION_RECORD *ExceptionRecord; CONTEXT *ContextRecord; } EXCEPTION_POINTERS;
typedef struct _EXCEPTION_REGISTRATION { struct _EXCEPTION_REGISTRATION *Next; PVOID Handler; } EXCEPTION_REGISTRATION;
typedef ULONG (__cdecl *EXCEPTION_HANDLER)(EXCEPTION_RECORD *, EXCEPTION_REGISTRATION *, CONTEXT *, PVOID);
typedef LONG (NTAPI *VECTORED_HANDLER)(EXCEPTION_POINTERS *);

#define ExceptionContinueExecution 0
#define ExceptionContinueSearch 1
#define EXCEPTION_CONTINUE_EXECUTION (-1)
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_NONCONTINUABLE 1
#define EXCEPTION_UNWINDING 2

#define STATUS_ACCESS_VIOLATION        ((NTSTATUS)0xC0000005)
#define STATUS_INTEGER_DIVIDE_BY_ZERO  ((NTSTATUS)0xC0000094)
#define STATUS_ILLEGAL_INSTRUCTION     ((NTSTATUS)0xC000001D)
#define STATUS_PRIVILEGED_INSTRUCTION  ((NTSTATUS)0xC0000096)
#define STATUS_BREAKPOINT              ((NTSTATUS)0x80000003)

NTSYSAPI PVOID NTAPI RtlAddVectoredExceptionHandler(ULONG First, VECTORED_HANDLER Handler);
NTSYSAPI ULONG NTAPI RtlRemoveVectoredExceptionHandler(PVOID Handle);
NTSYSAPI void NTAPI RtlRaiseException(EXCEPTION_RECORD *ExceptionRecord);
NTSYSAPI void NTAPI RtlUnwind(PVOID TargetFrame, PVOID TargetIp, EXCEPTION_RECORD *ExceptionRecord, PVOID ReturnValue);
NTSYSAPI __attribute__((returns_twice)) void NTAPI RtlCaptureContext(CONTEXT *ContextRecord);
NTSYSAPI NTSTATUS NTAPI NtContinue(CONTEXT *ContextRecord, BOOLEAN TestAlert);
NTSYSAPI NTSTATUS NTAPI NtGetContextThread(HANDLE Thread, CONTEXT *Context);
NTSYSAPI NTSTATUS NTAPI NtSetContextThread(HANDLE Thread, CONTEXT *Context);

/* Links `r` at fs:[0] with `handler`; frame_pop takes it off again. */
static inline void frame_push(EXCEPTION_REGISTRATION *r, EXCEPTION_HANDLER handler) {
  r->Handler = (PVOID)handler;
  __asm__ volatile ("movl %%fs:0, %0" : "=r"(r->Next) :: "memory");
  __asm__ volatile ("movl %0, %%fs:0" :: "r"(r) : "memory");
}
static inline void frame_pop(EXCEPTION_REGISTRATION *r) {
  __asm__ volatile ("movl %0, %%fs:0" :: "r"(r->Next) : "memory");
}
static inline EXCEPTION_REGISTRATION *frame_top(void) {
  EXCEPTION_REGISTRATION *r;
  __asm__ volatile ("movl %%fs:0, %0" : "=r"(r) :: "memory");
  return r;
}

#endif

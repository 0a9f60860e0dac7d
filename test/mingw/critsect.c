/*
 * critsect.exe: ntdll's critical sections and its heap lock under the
 * kernel's preemption. Four threads (RtlCreateUserThread) each run ROUNDS
 * rounds of: enter the section, read the shared counter, sometimes yield
 * the processor while holding the section (so the others must wait on it)
 * or enter it again recursively, write counter + 1, leave; then allocate a
 * block from the process heap, fill it with the thread's pattern, sometimes
 * yield, check the pattern and free it. The main thread waits for all four
 * and checks: the counter is exactly THREADS * ROUNDS, no two threads were
 * ever inside together, every block kept its pattern, the heap validates,
 * contention made the section's event, and the section is free again.
 */
#include "nt.h"

typedef struct {
  PVOID DebugInfo;
  LONG LockCount;
  LONG RecursionCount;
  HANDLE OwningThread;
  HANDLE LockSemaphore;
  ULONG_PTR SpinCount;
} RTL_CRITICAL_SECTION;
CHECK(sizeof(RTL_CRITICAL_SECTION), 24);
CHECK(OFFSET(RTL_CRITICAL_SECTION, LockCount), 4);
CHECK(OFFSET(RTL_CRITICAL_SECTION, OwningThread), 12);
CHECK(OFFSET(RTL_CRITICAL_SECTION, LockSemaphore), 16);

NTSYSAPI NTSTATUS NTAPI RtlInitializeCriticalSection(RTL_CRITICAL_SECTION *Section);
NTSYSAPI NTSTATUS NTAPI RtlEnterCriticalSection(RTL_CRITICAL_SECTION *Section);
NTSYSAPI NTSTATUS NTAPI RtlLeaveCriticalSection(RTL_CRITICAL_SECTION *Section);
NTSYSAPI BOOLEAN NTAPI RtlTryEnterCriticalSection(RTL_CRITICAL_SECTION *Section);
NTSYSAPI NTSTATUS NTAPI RtlDeleteCriticalSection(RTL_CRITICAL_SECTION *Section);
NTSYSAPI NTSTATUS NTAPI RtlCreateUserThread(HANDLE Process, PVOID SecurityDescriptor, BOOLEAN CreateSuspended,
  ULONG ZeroBits, SIZE_T MaximumStackSize, SIZE_T CommittedStackSize, PVOID StartAddress, PVOID Parameter,
  HANDLE *Thread, CLIENT_ID *ClientId);
NTSYSAPI PVOID NTAPI RtlAllocateHeap(PVOID Heap, ULONG Flags, SIZE_T Size);
NTSYSAPI BOOLEAN NTAPI RtlFreeHeap(PVOID Heap, ULONG Flags, PVOID Block);
NTSYSAPI BOOLEAN NTAPI RtlValidateHeap(PVOID Heap, ULONG Flags, PVOID Block);
NTSYSAPI NTSTATUS NTAPI NtYieldExecution(void);
NTSYSAPI NTSTATUS NTAPI NtTerminateThread(HANDLE Thread, NTSTATUS ExitStatus);

/* TEB->ClientId.UniqueThread (fs:[0x24]), what OwningThread holds. */
static inline HANDLE CurrentThreadId(void) {
  HANDLE id;
  __asm__ volatile ("movl %%fs:0x24, %0" : "=r"(id));
  return id;
}

#define THREADS 4
#define ROUNDS 1000

static RTL_CRITICAL_SECTION section;
static volatile ULONG counter;   /* guarded by section */
static volatile ULONG inside;    /* threads inside the section: 1 while one is */
static volatile ULONG overlaps;  /* times a thread found another inside */
static volatile ULONG recursions;
static volatile ULONG heapErrors;

static NTSTATUS NTAPI worker(PVOID parameter) {
  ULONG id = (ULONG)parameter;
  PVOID heap = CurrentPeb()->ProcessHeap;
  for (ULONG i = 0; i < ROUNDS; i++) {
    RtlEnterCriticalSection(&section);
    if (++inside != 1) overlaps++;
    ULONG v = counter;
    if (i % 16 == id) NtYieldExecution();
    if (i % 64 == 0) {
      RtlEnterCriticalSection(&section);
      if (section.RecursionCount == 2 && section.OwningThread == CurrentThreadId()) recursions++;
      RtlLeaveCriticalSection(&section);
    }
    counter = v + 1;
    inside--;
    RtlLeaveCriticalSection(&section);

    ULONG size = 8 + (i * 37 + id * 101) % 500;
    volatile UCHAR *p = RtlAllocateHeap(heap, 0, size);
    if (!p) { heapErrors++; continue; }
    for (ULONG k = 0; k < size; k++) p[k] = (UCHAR)(id * 64 + k);
    if (i % 8 == id) NtYieldExecution();
    for (ULONG k = 0; k < size; k++) if (p[k] != (UCHAR)(id * 64 + k)) { heapErrors++; break; }
    if (!RtlFreeHeap(heap, 0, (PVOID)p)) heapErrors++;
  }
  NtTerminateThread(NtCurrentThread(), 0x100 + id);
  return 0;
}

void NTAPI NtProcessStartup(PEB *peb) {
  ULONG firstFailure = 0;
#define EXPECT(c) do { if (!(c) && !firstFailure) firstFailure = __LINE__; } while (0)
  EXPECT(RtlInitializeCriticalSection(&section) == STATUS_SUCCESS);
  EXPECT(section.LockCount == -1 && section.LockSemaphore == NULL);
  HANDLE threads[THREADS];
  for (ULONG t = 0; t < THREADS; t++) {
    NTSTATUS s = RtlCreateUserThread(NtCurrentProcess(), NULL, FALSE, 0, 0, 0, (PVOID)worker, (PVOID)t, &threads[t], NULL);
    EXPECT(s == STATUS_SUCCESS);
  }
  for (ULONG t = 0; t < THREADS; t++) EXPECT(NtWaitForSingleObject(threads[t], FALSE, NULL) == STATUS_SUCCESS);
  put("counter "); putdec(counter); put(" of "); putdec(THREADS * ROUNDS); flush();
  put("overlaps "); putdec(overlaps); put(" recursions "); putdec(recursions); put(" heap errors "); putdec(heapErrors); flush();
  put("heap valid "); putdec(RtlValidateHeap(peb->ProcessHeap, 0, NULL)); flush();
  put("contended "); put(section.LockSemaphore != NULL ? "yes" : "no"); flush();
  put("after: lock count "); putdec((ULONG)(section.LockCount + 1)); put(" recursion "); putdec(section.RecursionCount);
  put(" owner "); puthex((ULONG)section.OwningThread); flush();
  EXPECT(RtlTryEnterCriticalSection(&section) == TRUE);
  EXPECT(section.OwningThread == CurrentThreadId());
  RtlLeaveCriticalSection(&section);
  EXPECT(RtlDeleteCriticalSection(&section) == STATUS_SUCCESS);
  EXPECT(section.LockSemaphore == NULL);
  for (ULONG t = 0; t < THREADS; t++) EXPECT(NtClose(threads[t]) == STATUS_SUCCESS);
  put("done, first failed check at line "); putdec(firstFailure); flush();
  NtTerminateProcess(NtCurrentProcess(), firstFailure ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS);
}

/*
 * seh.exe: user-mode exceptions caught the way a Windows program catches
 * them. A vectored handler (RtlAddVectoredExceptionHandler) and frame
 * handlers linked at fs:[0] by hand see an access violation, a divide by
 * zero, an int3, an illegal instruction and a raised exception; each goes
 * on with a CONTEXT the handler changed; RtlUnwind calls an inner frame's
 * handler and takes it off the chain; NtContinue and NtSetContextThread
 * with kernel selectors and IOPL 3 in the CONTEXT leave the thread in ring 3.
 * Every line is a fact the test compares; the exit status is 0.
 */
#include "seh.h"

/* What the handlers saw, in order: V vectored, F frame, I inner, U inner unwinding, O outer. */
static char seen[64];
static ULONG nseen;
static void saw(char c) { if (nseen < sizeof seen - 1) seen[nseen++] = c; }
static void show_seen(const char *what) { seen[nseen] = 0; put(what); put(" order "); put(seen); flush(); nseen = 0; }

static NTSTATUS lastCode;
static ULONG lastInfo0, lastInfo1, lastParams;
static PVOID lastAddress;

/* Fault sites and where their handlers send the thread on (global labels in the asm blocks below). */
extern char seh_av_fault[], seh_av_resume[], seh_div_fault[], seh_div_resume[], seh_ud_fault[], seh_ud_resume[];
extern char seh_cli_fault[], seh_cli_resume[], seh_nest_fault[], seh_nest_resume[], seh_nud_fault[], seh_nud_resume[];

static LONG NTAPI vectored(EXCEPTION_POINTERS *p) {
  saw('V');
  if (p->ExceptionRecord->ExceptionCode == STATUS_BREAKPOINT) {
    /* The kernel points Eip at the int3 itself, as NT does; step over it. */
    lastAddress = p->ExceptionRecord->ExceptionAddress;
    put("breakpoint at the int3: "); put(*(UCHAR *)p->ContextRecord->Eip == 0xCC ? "yes" : "no");
    put(", address == Eip: "); put((ULONG)lastAddress == p->ContextRecord->Eip ? "yes" : "no"); flush();
    p->ContextRecord->Eip += 1;
    return EXCEPTION_CONTINUE_EXECUTION;
  }
  return EXCEPTION_CONTINUE_SEARCH;
}

/* The frame handler of the fault sites: records the exception and resumes after the faulting instruction. */
static ULONG __cdecl handler(EXCEPTION_RECORD *rec, EXCEPTION_REGISTRATION *frame, CONTEXT *ctx, PVOID dc) {
  (void)dc;
  if (rec->ExceptionFlags & EXCEPTION_UNWINDING) return ExceptionContinueSearch;
  saw('F');
  lastCode = rec->ExceptionCode;
  lastAddress = rec->ExceptionAddress;
  lastParams = rec->NumberParameters;
  lastInfo0 = rec->NumberParameters > 0 ? rec->ExceptionInformation[0] : 0xFFFF;
  lastInfo1 = rec->NumberParameters > 1 ? rec->ExceptionInformation[1] : 0xFFFF;
  if (frame != frame_top()->Next && frame != frame_top()) { put("frame is not on the chain"); flush(); }
  if (ctx->Eip == (ULONG)seh_av_fault) { ctx->Eip = (ULONG)seh_av_resume; ctx->Eax = 0x5EC0A; return ExceptionContinueExecution; }
  if (ctx->Eip == (ULONG)seh_div_fault) { ctx->Eip = (ULONG)seh_div_resume; ctx->Eax = 0xD1D0; return ExceptionContinueExecution; }
  if (ctx->Eip == (ULONG)seh_cli_fault) { ctx->Eip = (ULONG)seh_cli_resume; return ExceptionContinueExecution; }
  if (rec->ExceptionCode == (NTSTATUS)0xE0531111 && !(rec->ExceptionFlags & EXCEPTION_NONCONTINUABLE)) return ExceptionContinueExecution;
  return ExceptionContinueSearch;
}

static void report(const char *what) {
  put(what); put(" code "); puthex((ULONG)lastCode); put(" params "); putdec(lastParams);
  if (lastParams >= 2) { put(" "); puthex(lastInfo0); put(" "); puthex(lastInfo1); }
  flush();
}

__attribute__((noinline)) static ULONG access_violation(void) {
  ULONG r;
  __asm__ volatile ("movl $0x1111, %%eax\n\t"
                    "xorl %%ecx, %%ecx\n"
                    ".globl _seh_av_fault\n_seh_av_fault:\n\t"
                    "movl 0x10(%%ecx), %%eax\n"
                    ".globl _seh_av_resume\n_seh_av_resume:\n\t"
                    : "=a"(r) :: "ecx", "memory");
  return r;
}

__attribute__((noinline)) static ULONG divide_by_zero(void) {
  ULONG r;
  __asm__ volatile ("movl $100, %%eax\n\t"
                    "cltd\n\t"
                    "xorl %%ecx, %%ecx\n"
                    ".globl _seh_div_fault\n_seh_div_fault:\n\t"
                    "idivl %%ecx\n"
                    ".globl _seh_div_resume\n_seh_div_resume:\n\t"
                    : "=a"(r) :: "ecx", "edx", "memory");
  return r;
}

__attribute__((noinline)) static void privileged(void) {
  __asm__ volatile (".globl _seh_cli_fault\n_seh_cli_fault:\n\t"
                    "cli\n"
                    ".globl _seh_cli_resume\n_seh_cli_resume:\n\t" ::: "memory");
}

/* RtlUnwind from the outer handler: the inner handler is called again, unwinding, and leaves the chain. */
static ULONG __cdecl inner_handler(EXCEPTION_RECORD *rec, EXCEPTION_REGISTRATION *frame, CONTEXT *ctx, PVOID dc) {
  (void)frame; (void)ctx; (void)dc;
  saw(rec->ExceptionFlags & EXCEPTION_UNWINDING ? 'U' : 'I');
  return ExceptionContinueSearch;
}
static ULONG __cdecl outer_handler(EXCEPTION_RECORD *rec, EXCEPTION_REGISTRATION *frame, CONTEXT *ctx, PVOID dc) {
  (void)dc;
  if (rec->ExceptionFlags & EXCEPTION_UNWINDING) { saw('u'); return ExceptionContinueSearch; }
  saw('O');
  RtlUnwind(frame, NULL, rec, NULL);
  saw(frame_top() == frame ? 'W' : 'w');
  if (ctx->Eip != (ULONG)seh_ud_fault) return ExceptionContinueSearch;
  ctx->Eip = (ULONG)seh_ud_resume;
  return ExceptionContinueExecution;
}

/* The inner registration in a callee, so that it lies below the outer one on the stack (RtlUnwind checks). */
__attribute__((noinline)) static void inner_fault(EXCEPTION_REGISTRATION *outer) {
  EXCEPTION_REGISTRATION inner;
  frame_push(&inner, inner_handler);
  __asm__ volatile (".globl _seh_ud_fault\n_seh_ud_fault:\n\t"
                    "ud2\n"
                    ".globl _seh_ud_resume\n_seh_ud_resume:\n\t" ::: "memory");
  put("after the unwind the top frame is the outer one: "); put(frame_top() == outer ? "yes" : "no"); flush();
}

__attribute__((noinline)) static void unwind_test(void) {
  EXCEPTION_REGISTRATION outer;
  frame_push(&outer, outer_handler);
  inner_fault(&outer);
  frame_pop(&outer);
}

/*
 * A nested exception: the inner frame's handler faults itself. ntdll's own registration around the
 * handler (RtlpNestedHandler) answers ExceptionNestedException, so the inner frame sees the second
 * exception with EXCEPTION_NESTED_CALL; the outer frame, past it, sees it without, and fixes it.
 */
static ULONG nestSeen[4], nestCount;
__attribute__((noinline)) static void fault_in_handler(void) {
  __asm__ volatile ("xorl %%ecx, %%ecx\n"
                    ".globl _seh_nest_fault\n_seh_nest_fault:\n\t"
                    "movl (%%ecx), %%eax\n"
                    ".globl _seh_nest_resume\n_seh_nest_resume:\n\t" ::: "eax", "ecx", "memory");
}
static ULONG __cdecl nest_inner(EXCEPTION_RECORD *rec, EXCEPTION_REGISTRATION *frame, CONTEXT *ctx, PVOID dc) {
  (void)frame; (void)dc;
  if (rec->ExceptionFlags & EXCEPTION_UNWINDING) return ExceptionContinueSearch;
  if (nestCount < 4) nestSeen[nestCount++] = (ULONG)rec->ExceptionCode ^ rec->ExceptionFlags;
  if (rec->ExceptionCode != STATUS_ILLEGAL_INSTRUCTION) return ExceptionContinueSearch;
  fault_in_handler();
  ctx->Eip = (ULONG)seh_nud_resume;
  return ExceptionContinueExecution;
}
static ULONG __cdecl nest_outer(EXCEPTION_RECORD *rec, EXCEPTION_REGISTRATION *frame, CONTEXT *ctx, PVOID dc) {
  (void)frame; (void)dc;
  if (rec->ExceptionFlags & EXCEPTION_UNWINDING) return ExceptionContinueSearch;
  if (nestCount < 4) nestSeen[nestCount++] = (ULONG)rec->ExceptionCode ^ rec->ExceptionFlags;
  if (ctx->Eip != (ULONG)seh_nest_fault) return ExceptionContinueSearch;
  ctx->Eip = (ULONG)seh_nest_resume;
  return ExceptionContinueExecution;
}
__attribute__((noinline)) static void nested_inner(void) {
  EXCEPTION_REGISTRATION inner;
  frame_push(&inner, nest_inner);
  __asm__ volatile (".globl _seh_nud_fault\n_seh_nud_fault:\n\t"
                    "ud2\n"
                    ".globl _seh_nud_resume\n_seh_nud_resume:\n\t" ::: "memory");
  frame_pop(&inner);
}
__attribute__((noinline)) static void nested_test(void) {
  EXCEPTION_REGISTRATION outer;
  frame_push(&outer, nest_outer);
  nested_inner();
  frame_pop(&outer);
  put("nested: inner saw "); puthex(nestSeen[0]); put(", then "); puthex(nestSeen[1] ^ STATUS_ACCESS_VIOLATION);
  put("; outer saw "); puthex(nestSeen[2]); put("; seen "); putdec(nestCount); flush();
}

static ULONG reg(int which) {
  ULONG v = 0;
  switch (which) {
  case 0: __asm__ volatile ("xorl %0, %0; movw %%cs, %w0" : "=r"(v)); break;
  case 1: __asm__ volatile ("xorl %0, %0; movw %%ss, %w0" : "=r"(v)); break;
  case 2: __asm__ volatile ("xorl %0, %0; movw %%ds, %w0" : "=r"(v)); break;
  case 3: __asm__ volatile ("xorl %0, %0; movw %%fs, %w0" : "=r"(v)); break;
  default: __asm__ volatile ("pushfl; popl %0" : "=r"(v)); break;
  }
  return v;
}

/* After a hostile context: ring 3's selectors, IOPL 0 (so cli still faults), IF on, no trap flag. */
static void check_ring3(const char *what) {
  ULONG fl = reg(4);
  put(what); put(": cs "); puthex(reg(0)); put(" ss "); puthex(reg(1)); put(" ds "); puthex(reg(2)); put(" fs "); puthex(reg(3));
  put(" iopl "); putdec((fl >> 12) & 3); put(" if "); putdec((fl >> 9) & 1); put(" tf "); putdec((fl >> 8) & 1); flush();
  EXCEPTION_REGISTRATION r;
  frame_push(&r, handler);
  lastCode = 0;
  privileged();
  frame_pop(&r);
  report("cli after it");
}

static void make_hostile(CONTEXT *c) {
  c->ContextFlags = CONTEXT_FULL;
  c->SegCs = 0x08; c->SegSs = 0x10; c->SegDs = 0x10; c->SegEs = 0x10; c->SegFs = 0x30; c->SegGs = 0x10;
  c->EFlags |= 0x3000 | 0x100; /* IOPL 3 and the trap flag */
}

static volatile int continued;
static CONTEXT c;

void NTAPI NtProcessStartup(PEB *peb) {
  (void)peb;
  PVOID v = RtlAddVectoredExceptionHandler(1, vectored);
  put("vectored handler "); put(v ? "added" : "refused"); flush();
  EXCEPTION_REGISTRATION r;
  frame_push(&r, handler);

  ULONG got = access_violation();
  report("access violation"); put("resumed with eax "); puthex(got); flush();
  put("address is the faulting instruction: "); put(lastAddress == (PVOID)seh_av_fault ? "yes" : "no"); flush();
  show_seen("access violation");

  got = divide_by_zero();
  report("divide by zero"); put("resumed with eax "); puthex(got); flush();
  show_seen("divide by zero");

  __asm__ volatile ("int3" ::: "memory");
  put("after int3"); flush();
  show_seen("breakpoint");

  EXCEPTION_RECORD raise = { (NTSTATUS)0xE0531111, 0, NULL, NULL, 2, { 0xAAAA, 0xBBBB } };
  RtlRaiseException(&raise);
  report("raised"); put("RtlRaiseException returned, parameters "); puthex(lastInfo0); put(" "); puthex(lastInfo1); flush();
  show_seen("raised");
  frame_pop(&r);

  unwind_test();
  show_seen("unwind");

  nested_test();
  show_seen("nested");

  /* NtContinue with kernel selectors, IOPL 3 and TF: RtlCaptureContext returns a second time, in ring 3. */
  continued = 0;
  RtlCaptureContext(&c);
  if (!continued) {
    continued = 1;
    make_hostile(&c);
    show("NtContinue returned", NtContinue(&c, FALSE));
  }
  check_ring3("after NtContinue");

  /* The same through NtSetContextThread on the thread itself. */
  continued = 0;
  RtlCaptureContext(&c);
  if (!continued) {
    continued = 1;
    make_hostile(&c);
    show("NtSetContextThread returned", NtSetContextThread(NtCurrentThread(), &c));
  }
  check_ring3("after NtSetContextThread");

  CONTEXT g;
  memset(&g, 0, sizeof g);
  g.ContextFlags = CONTEXT_FULL;
  NTSTATUS s = NtGetContextThread(NtCurrentThread(), &g);
  put("NtGetContextThread "); puthex((ULONG)s); put(" cs "); puthex(g.SegCs); put(" ss "); puthex(g.SegSs);
  ULONG base, limit;
  __asm__ volatile ("movl %%fs:4, %0; movl %%fs:8, %1" : "=r"(base), "=r"(limit));
  put(" esp below ours on our stack: "); put(g.Esp < (ULONG)&g && g.Esp >= limit && g.Esp < base ? "yes" : "no"); flush();

  put("vectored handler removed: "); putdec(RtlRemoveVectoredExceptionHandler(v)); put(", again: "); putdec(RtlRemoveVectoredExceptionHandler(v)); flush();
  NtTerminateProcess(NtCurrentProcess(), 0);
}

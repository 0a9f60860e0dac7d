/*
 * smapi.exe: a client of the Session Manager's \SmApiPort built by another
 * toolchain, with the SM message laid out by its own C declarations (the
 * facts of NT's smmsg.h: SM_API_MSG is 0x130 bytes on x86). The smss tests
 * run it from BootExecute. It connects without connection information and
 * sends requests smss must refuse, then connects with a subsystem's
 * SB_CONNECTION_INFO and asks for a session API it may not use; one line
 * each with what came back. Exit status 0x5A5A when every call got an
 * answer (what the answers are is the test's to check).
 */
#include "nt.h"

typedef struct {
  USHORT DataLength, TotalLength;
  USHORT Type, DataInfoOffset;
  CLIENT_ID ClientId;
  ULONG MessageId;
  ULONG ClientViewSize;
} PORT_MESSAGE;
CHECK(sizeof(PORT_MESSAGE), 24);

typedef struct {
  ULONG Length;
  ULONG ImpersonationLevel;
  BOOLEAN ContextTrackingMode;
  BOOLEAN EffectiveOnly;
} SECURITY_QUALITY_OF_SERVICE;
CHECK(sizeof(SECURITY_QUALITY_OF_SERVICE), 12);

typedef struct {
  ULONG MuSessionId;
  ULONG Length;
  WCHAR Buffer[128];
  HANDLE WindowsSubSysProcessId;
  HANDLE SmpInitialCommandProcessId;
} SM_START_CSR_MSG;
CHECK(sizeof(SM_START_CSR_MSG), 0x110);

typedef struct {
  PORT_MESSAGE h;
  ULONG ApiNumber;
  NTSTATUS ReturnValue;
  union {
    struct { ULONG SessionId; NTSTATUS SessionStatus; } SessionComplete;
    SM_START_CSR_MSG StartCsr;
  } u;
} SM_API_MSG;
CHECK(sizeof(SM_API_MSG), 0x130);
CHECK(OFFSET(SM_API_MSG, ApiNumber), 0x18);
CHECK(OFFSET(SM_API_MSG, u), 0x20);

typedef struct {
  ULONG SubsystemType;
  WCHAR SbApiPortName[120];
} SB_CONNECTION_INFO;
CHECK(sizeof(SB_CONNECTION_INFO), 0xF4);

NTSYSAPI NTSTATUS NTAPI NtConnectPort(HANDLE *PortHandle, UNICODE_STRING *PortName, SECURITY_QUALITY_OF_SERVICE *Qos,
  PVOID ClientView, PVOID ServerView, ULONG *MaxMessageLength, PVOID ConnectionInformation, ULONG *ConnectionInformationLength);
NTSYSAPI NTSTATUS NTAPI NtRequestWaitReplyPort(HANDLE PortHandle, PORT_MESSAGE *Request, PORT_MESSAGE *Reply);

static int answered = 1;

static void request(HANDLE port, const char *what, ULONG api) {
  SM_API_MSG m;
  memset(&m, 0, sizeof m);
  m.h.DataLength = sizeof m - sizeof m.h;
  m.h.TotalLength = sizeof m;
  m.ApiNumber = api;
  m.ReturnValue = (NTSTATUS)0xDEADBEEF;
  NTSTATUS status = NtRequestWaitReplyPort(port, &m.h, &m.h);
  if (!NT_SUCCESS(status)) answered = 0;
  put(what); put(" ApiNumber "); puthex(api); put(" -> "); puthex(status); put(" ReturnValue "); puthex(m.ReturnValue); flush();
}

void NTAPI NtProcessStartup(PEB *peb) {
  (void)peb;
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"\\SmApiPort");
  SECURITY_QUALITY_OF_SERVICE qos = { sizeof qos, 1 /* SecurityIdentification */, 1, 1 };
  HANDLE port;
  ULONG max = 0;
  NTSTATUS status = NtConnectPort(&port, &name, &qos, NULL, NULL, &max, NULL, NULL);
  put("connect "); puthex(status); put(" max message "); puthex(max); flush();
  if (!NT_SUCCESS(status)) NtTerminateProcess(NtCurrentProcess(), status);
  request(port, "plain", 7);
  request(port, "plain", 5); /* StartCsr: part 2's */
  request(port, "plain", 0);
  NtClose(port);

  SB_CONNECTION_INFO info;
  memset(&info, 0, sizeof info);
  info.SubsystemType = 3; /* IMAGE_SUBSYSTEM_WINDOWS_CUI */
  const WCHAR *sb = L"\\MinGW\\SbApiPort";
  for (int i = 0; sb[i]; i++) info.SbApiPortName[i] = sb[i];
  ULONG length = sizeof info;
  status = NtConnectPort(&port, &name, &qos, NULL, NULL, NULL, &info, &length);
  put("connect with information "); puthex(status); flush();
  if (!NT_SUCCESS(status)) NtTerminateProcess(NtCurrentProcess(), status);
  request(port, "typed", 1);
  NtClose(port);
  NtTerminateProcess(NtCurrentProcess(), answered ? 0x5A5A : 0xBAD);
}

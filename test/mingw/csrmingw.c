/*
 * csrmingw.exe: a csrss client built by another toolchain, with NT's x86
 * layouts written out in its own C declarations (PORT_VIEW,
 * REMOTE_PORT_VIEW, CSR_API_CONNECTINFO, the base server's API message,
 * CSR_CAPTURE_BUFFER as csrmsg.h has them) and ntdll's Csr* routines
 * resolved through MinGW's libntdll.a. test/boot/csrss.test.ts runs it from
 * BootExecute after csrss: it connects a port of its own to <dir>\ApiPort
 * with a PORT_VIEW (the kernel maps the view in both processes), then goes
 * through CsrClientConnectToServer / CsrClientCallServer with a capture
 * buffer, and raises a hard error csrss answers. One line per step.
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

typedef struct {
  ULONG Length;
  HANDLE SectionHandle;
  ULONG SectionOffset;
  SIZE_T ViewSize;
  PVOID ViewBase;
  PVOID ViewRemoteBase;
} PORT_VIEW;
CHECK(sizeof(PORT_VIEW), 24);

typedef struct {
  ULONG Length;
  SIZE_T ViewSize;
  PVOID ViewBase;
} REMOTE_PORT_VIEW;
CHECK(sizeof(REMOTE_PORT_VIEW), 12);

typedef struct {
  HANDLE ObjectDirectory;
  PVOID SharedSectionBase, SharedStaticServerData, SharedSectionHeap;
  ULONG DebugFlags, SizeOfPebData, SizeOfTebData, NumberOfServerDllNames;
  HANDLE ServerProcessId;
} CSR_API_CONNECTINFO;
CHECK(sizeof(CSR_API_CONNECTINFO), 0x24);

typedef struct _CSR_CAPTURE_BUFFER {
  ULONG Size;
  struct _CSR_CAPTURE_BUFFER *PreviousCaptureBuffer;
  ULONG PointerCount;
  PVOID BufferEnd;
  ULONG_PTR PointerOffsetsArray[1];
} CSR_CAPTURE_BUFFER;
CHECK(OFFSET(CSR_CAPTURE_BUFFER, PointerOffsetsArray), 16);

typedef struct { ULONG Flags; UNICODE_STRING DeviceName; UNICODE_STRING TargetPath; } BASE_DEFINE_DOS_DEVICE;
CHECK(sizeof(BASE_DEFINE_DOS_DEVICE), 20);

typedef struct {
  PORT_MESSAGE Header;
  CSR_CAPTURE_BUFFER *CsrCaptureData;
  ULONG ApiNumber;
  NTSTATUS Status;
  ULONG Reserved;
  union {
    ULONG UniqueID;              /* BASE_GET_TEMP_FILE */
    BASE_DEFINE_DOS_DEVICE DefineDosDevice;
    ULONG_PTR ApiMessageData[39];
  } Data;
} BASE_API_MESSAGE;
CHECK(OFFSET(BASE_API_MESSAGE, Data), 0x28);
CHECK(sizeof(BASE_API_MESSAGE), 0xC4);

#define CSR_CREATE_API_NUMBER(server, api) (((server) << 16) | (api))
#define BASESRV 1

NTSYSAPI NTSTATUS NTAPI NtConnectPort(HANDLE *PortHandle, UNICODE_STRING *PortName, SECURITY_QUALITY_OF_SERVICE *Qos,
  PORT_VIEW *ClientView, REMOTE_PORT_VIEW *ServerView, ULONG *MaxMessageLength, PVOID ConnectionInformation, ULONG *ConnectionInformationLength);
NTSYSAPI NTSTATUS NTAPI NtCreateSection(HANDLE *SectionHandle, ULONG DesiredAccess, OBJECT_ATTRIBUTES *ObjectAttributes,
  LARGE_INTEGER *MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes, HANDLE FileHandle);
NTSYSAPI NTSTATUS NTAPI NtOpenSymbolicLinkObject(HANDLE *LinkHandle, ULONG DesiredAccess, OBJECT_ATTRIBUTES *ObjectAttributes);
NTSYSAPI NTSTATUS NTAPI NtQuerySymbolicLinkObject(HANDLE LinkHandle, UNICODE_STRING *LinkTarget, ULONG *ReturnedLength);
NTSYSAPI NTSTATUS NTAPI NtRaiseHardError(NTSTATUS ErrorStatus, ULONG NumberOfParameters, ULONG UnicodeStringParameterMask,
  ULONG_PTR *Parameters, ULONG ValidResponseOptions, ULONG *Response);
NTSYSAPI NTSTATUS NTAPI CsrClientConnectToServer(WCHAR *ObjectDirectory, ULONG ServerId, PVOID ConnectionInfo,
  ULONG *ConnectionInfoSize, BOOLEAN *ServerToServerCall);
NTSYSAPI NTSTATUS NTAPI CsrClientCallServer(PVOID ApiMessage, CSR_CAPTURE_BUFFER *CaptureBuffer, ULONG ApiNumber, ULONG DataLength);
NTSYSAPI CSR_CAPTURE_BUFFER *NTAPI CsrAllocateCaptureBuffer(ULONG ArgumentCount, ULONG BufferSize);
NTSYSAPI void NTAPI CsrCaptureMessageBuffer(CSR_CAPTURE_BUFFER *CaptureBuffer, PVOID MessageBuffer, ULONG MessageLength, PVOID *CapturedData);
NTSYSAPI void NTAPI CsrFreeCaptureBuffer(CSR_CAPTURE_BUFFER *CaptureBuffer);
NTSYSAPI HANDLE NTAPI CsrGetProcessId(void);

static WCHAR directory[] = L"\\CsrTest";

void NTAPI NtProcessStartup(PEB *peb) {
  (void)peb;
  /* A port of its own with a 64 KiB view: the kernel fills both addresses. */
  HANDLE section;
  LARGE_INTEGER size = { .QuadPart = 0x10000 };
  show("create section", NtCreateSection(&section, 0xF001F, NULL, &size, 0x04 /* PAGE_READWRITE */, 0x8000000 /* SEC_COMMIT */, NULL));
  PORT_VIEW view = { sizeof view, section, 0, 0x10000, NULL, NULL };
  REMOTE_PORT_VIEW remote = { sizeof remote, 0, NULL };
  CSR_API_CONNECTINFO info;
  memset(&info, 0, sizeof info);
  ULONG infoLength = sizeof info;
  SECURITY_QUALITY_OF_SERVICE qos = { sizeof qos, 2, 1, 1 };
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"\\CsrTest\\ApiPort");
  HANDLE port;
  show("raw connect with a port view", NtConnectPort(&port, &name, &qos, &view, &remote, NULL, &info, &infoLength));
  put("view size "); puthex(view.ViewSize); put(view.ViewBase ? ", base set" : ", no base"); put(view.ViewRemoteBase ? ", remote base set" : ", no remote base");
  put(", server view (csrss's shared section) "); puthex(remote.ViewSize); put(remote.ViewBase ? " mapped" : " not mapped");
  put(info.SharedSectionBase ? ", csrss's base named" : ", no base named"); flush();
  put("connection information length "); puthex(infoLength); put(", server dlls "); puthex(info.NumberOfServerDllNames); flush();
  NtClose(port);
  NtClose(section);

  /* ntdll's client. */
  ULONG connectSize = 0;
  BOOLEAN serverToServer = 1;
  show("CsrClientConnectToServer", CsrClientConnectToServer(directory, 0, NULL, &connectSize, &serverToServer));
  put("csrss is the process that answered the raw connection "); puthex(CsrGetProcessId() == info.ServerProcessId); flush();
  BASE_API_MESSAGE m;
  memset(&m, 0, sizeof m);
  show("GetTempFile", CsrClientCallServer(&m, NULL, CSR_CREATE_API_NUMBER(BASESRV, 2), sizeof(ULONG)));
  put("unique id nonzero "); puthex(m.Data.UniqueID != 0); flush();

  static WCHAR device[] = L"M:", target[] = L"\\Device\\Null";
  CSR_CAPTURE_BUFFER *buffer = CsrAllocateCaptureBuffer(2, sizeof device + sizeof target);
  m.Data.DefineDosDevice.Flags = 1; /* DDD_RAW_TARGET_PATH */
  m.Data.DefineDosDevice.DeviceName.Length = m.Data.DefineDosDevice.DeviceName.MaximumLength = sizeof device - 2;
  CsrCaptureMessageBuffer(buffer, device, sizeof device - 2, (PVOID *)&m.Data.DefineDosDevice.DeviceName.Buffer);
  m.Data.DefineDosDevice.TargetPath.Length = m.Data.DefineDosDevice.TargetPath.MaximumLength = sizeof target - 2;
  CsrCaptureMessageBuffer(buffer, target, sizeof target - 2, (PVOID *)&m.Data.DefineDosDevice.TargetPath.Buffer);
  show("DefineDosDevice M:", CsrClientCallServer(&m, buffer, CSR_CREATE_API_NUMBER(BASESRV, 23), sizeof m.Data.DefineDosDevice));
  CsrFreeCaptureBuffer(buffer);
  OBJECT_ATTRIBUTES oa;
  UNICODE_STRING linkName;
  RtlInitUnicodeString(&linkName, L"\\??\\M:");
  InitializeObjectAttributes(&oa, &linkName, OBJ_CASE_INSENSITIVE, NULL);
  HANDLE link;
  WCHAR text[64];
  UNICODE_STRING linkTarget = { 0, sizeof text, text };
  if (show("open \\??\\M:", NtOpenSymbolicLinkObject(&link, 1, &oa)) == STATUS_SUCCESS) {
    NtQuerySymbolicLinkObject(link, &linkTarget, NULL);
    NtClose(link);
  }
  put("\\??\\M: -> "); putw(&linkTarget); flush();

  /* A hard error: STATUS_ENTRYPOINT_NOT_FOUND with two strings, answered with the default button. */
  UNICODE_STRING entry, dll;
  RtlInitUnicodeString(&entry, L"MissingEntry");
  RtlInitUnicodeString(&dll, L"mathlib.dll");
  ULONG_PTR parameters[2] = { (ULONG_PTR)&entry, (ULONG_PTR)&dll };
  ULONG response = 0xDEAD;
  show("hard error", NtRaiseHardError((NTSTATUS)0xC0000139, 2, 3, parameters, 2 /* OptionOkCancel */, &response));
  put("response "); puthex(response); flush();
  NtTerminateProcess(NtCurrentProcess(), 0x5A5A);
}

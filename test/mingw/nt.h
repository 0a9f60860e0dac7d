/*
 * The native API as the MinGW test programs use it: the Windows x86 layouts
 * of the structures, written out here (not taken from MinGW's winternl.h or
 * ntdef.h), the ntdll.dll imports (stdcall, resolved through MinGW's
 * libntdll.a import library), and a line printer on NtDisplayString.
 *
 * Each program includes this once; it is built with
 *   i686-w64-mingw32-gcc -nostdlib -ffreestanding -O2 -Wl,--subsystem,native
 *     -e _NtProcessStartup@4 prog.c -lntdll
 * (see test/mingw/build.ts). No C library: memset and memcpy are here, for
 * what gcc emits on its own.
 */
#ifndef MINGW_NT_H
#define MINGW_NT_H

typedef unsigned char UCHAR, BOOLEAN;
typedef unsigned short USHORT, WCHAR;
typedef unsigned long ULONG, ULONG_PTR, SIZE_T;
typedef long LONG, NTSTATUS, KPRIORITY;
typedef long long LONGLONG;
typedef void *PVOID, *HANDLE;
typedef char CHAR;

#define NTAPI __stdcall
#define NTSYSAPI __declspec(dllimport)
#define NULL ((void *)0)
#define TRUE 1
#define FALSE 0
#define NT_SUCCESS(s) ((NTSTATUS)(s) >= 0)
#define NtCurrentProcess() ((HANDLE)-1)
#define NtCurrentThread() ((HANDLE)-2)
#define OFFSET(type, field) __builtin_offsetof(type, field)
#define CHECK(what, value) _Static_assert((what) == (value), #what " is " #value " on x86 Windows")

/* ---- statuses ---- */
#define STATUS_SUCCESS               ((NTSTATUS)0x00000000)
#define STATUS_BUFFER_OVERFLOW       ((NTSTATUS)0x80000005)
#define STATUS_END_OF_FILE           ((NTSTATUS)0xC0000011)
#define STATUS_OBJECT_NAME_NOT_FOUND ((NTSTATUS)0xC0000034)
#define STATUS_BUFFER_TOO_SMALL      ((NTSTATUS)0xC0000023)
#define STATUS_UNSUCCESSFUL          ((NTSTATUS)0xC0000001)

/* ---- basic structures ---- */
typedef union { struct { ULONG LowPart; LONG HighPart; } u; LONGLONG QuadPart; } LARGE_INTEGER;
CHECK(sizeof(LARGE_INTEGER), 8);

typedef struct { USHORT Length, MaximumLength; WCHAR *Buffer; } UNICODE_STRING;
typedef struct { USHORT Length, MaximumLength; CHAR *Buffer; } STRING;
CHECK(sizeof(UNICODE_STRING), 8);

typedef struct {
  ULONG Length;
  HANDLE RootDirectory;
  UNICODE_STRING *ObjectName;
  ULONG Attributes;
  PVOID SecurityDescriptor;
  PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES;
CHECK(sizeof(OBJECT_ATTRIBUTES), 24);
#define OBJ_CASE_INSENSITIVE 0x40

typedef struct { union { NTSTATUS Status; PVOID Pointer; }; ULONG_PTR Information; } IO_STATUS_BLOCK;
CHECK(sizeof(IO_STATUS_BLOCK), 8);

typedef struct { HANDLE UniqueProcess, UniqueThread; } CLIENT_ID;
CHECK(sizeof(CLIENT_ID), 8);

/* ---- files ---- */
#define DELETE                 0x00010000
#define SYNCHRONIZE            0x00100000
#define GENERIC_READ           0x80000000
#define GENERIC_WRITE          0x40000000
#define FILE_READ_ATTRIBUTES   0x0080
#define FILE_ATTRIBUTE_NORMAL  0x80
#define FILE_SHARE_READ        1
#define FILE_OPEN              1
#define FILE_CREATE            2
#define FILE_CREATED           2
#define FILE_SYNCHRONOUS_IO_NONALERT 0x20
#define FILE_NON_DIRECTORY_FILE      0x40

typedef enum {
  FileBasicInformation = 4,
  FileStandardInformation = 5,
  FileDispositionInformation = 13,
  FilePositionInformation = 14,
} FILE_INFORMATION_CLASS;

typedef struct {
  LARGE_INTEGER CreationTime, LastAccessTime, LastWriteTime, ChangeTime;
  ULONG FileAttributes;
} FILE_BASIC_INFORMATION;
CHECK(sizeof(FILE_BASIC_INFORMATION), 40);

typedef struct {
  LARGE_INTEGER AllocationSize, EndOfFile;
  ULONG NumberOfLinks;
  BOOLEAN DeletePending, Directory;
} FILE_STANDARD_INFORMATION;
CHECK(sizeof(FILE_STANDARD_INFORMATION), 24);
CHECK(OFFSET(FILE_STANDARD_INFORMATION, DeletePending), 20);

typedef struct { LARGE_INTEGER CurrentByteOffset; } FILE_POSITION_INFORMATION;
typedef struct { BOOLEAN DeleteFile; } FILE_DISPOSITION_INFORMATION;
CHECK(sizeof(FILE_DISPOSITION_INFORMATION), 1);

typedef void (NTAPI *PIO_APC_ROUTINE)(PVOID, IO_STATUS_BLOCK *, ULONG);

/* ---- registry ---- */
#define KEY_READ 0x20019
#define REG_SZ 1
#define REG_DWORD 4
typedef enum { KeyValueBasicInformation = 0, KeyValueFullInformation = 1, KeyValuePartialInformation = 2 } KEY_VALUE_INFORMATION_CLASS;
typedef struct { ULONG TitleIndex, Type, DataLength; UCHAR Data[1]; } KEY_VALUE_PARTIAL_INFORMATION;
CHECK(OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data), 12);

typedef NTSTATUS (NTAPI *PRTL_QUERY_REGISTRY_ROUTINE)(WCHAR *ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength,
  PVOID Context, PVOID EntryContext);
typedef struct {
  PRTL_QUERY_REGISTRY_ROUTINE QueryRoutine;
  ULONG Flags;
  WCHAR *Name;
  PVOID EntryContext;
  ULONG DefaultType;
  PVOID DefaultData;
  ULONG DefaultLength;
} RTL_QUERY_REGISTRY_TABLE;
CHECK(sizeof(RTL_QUERY_REGISTRY_TABLE), 28);
#define RTL_REGISTRY_ABSOLUTE 0
#define RTL_REGISTRY_CONTROL 2
#define RTL_QUERY_REGISTRY_REQUIRED 0x04
#define RTL_QUERY_REGISTRY_DIRECT 0x20

/* ---- processes ---- */
typedef struct { UNICODE_STRING DosPath; HANDLE Handle; } CURDIR;
typedef struct { USHORT Flags, Length; ULONG TimeStamp; STRING DosPath; } RTL_DRIVE_LETTER_CURDIR;
CHECK(sizeof(RTL_DRIVE_LETTER_CURDIR), 16);

typedef struct {
  ULONG MaximumLength;
  ULONG Length;
  ULONG Flags;
  ULONG DebugFlags;
  HANDLE ConsoleHandle;
  ULONG ConsoleFlags;
  HANDLE StandardInput, StandardOutput, StandardError;
  CURDIR CurrentDirectory;
  UNICODE_STRING DllPath;
  UNICODE_STRING ImagePathName;
  UNICODE_STRING CommandLine;
  PVOID Environment;
  ULONG StartingX, StartingY, CountX, CountY, CountCharsX, CountCharsY, FillAttribute, WindowFlags, ShowWindowFlags;
  UNICODE_STRING WindowTitle;
  UNICODE_STRING DesktopInfo;
  UNICODE_STRING ShellInfo;
  UNICODE_STRING RuntimeData;
  RTL_DRIVE_LETTER_CURDIR CurrentDirectores[32];
  ULONG EnvironmentSize;
  ULONG EnvironmentVersion;
} RTL_USER_PROCESS_PARAMETERS;
CHECK(OFFSET(RTL_USER_PROCESS_PARAMETERS, CurrentDirectory), 0x24);
CHECK(OFFSET(RTL_USER_PROCESS_PARAMETERS, DllPath), 0x30);
CHECK(OFFSET(RTL_USER_PROCESS_PARAMETERS, ImagePathName), 0x38);
CHECK(OFFSET(RTL_USER_PROCESS_PARAMETERS, CommandLine), 0x40);
CHECK(OFFSET(RTL_USER_PROCESS_PARAMETERS, Environment), 0x48);
CHECK(OFFSET(RTL_USER_PROCESS_PARAMETERS, WindowTitle), 0x70);
CHECK(OFFSET(RTL_USER_PROCESS_PARAMETERS, CurrentDirectores), 0x90);
CHECK(sizeof(RTL_USER_PROCESS_PARAMETERS), 0x298);
#define RTL_USER_PROC_PARAMS_NORMALIZED 1

/* The start of the PEB (x86). */
typedef struct {
  BOOLEAN InheritedAddressSpace, ReadImageFileExecOptions, BeingDebugged, SpareBool;
  HANDLE Mutant;
  PVOID ImageBaseAddress;
  PVOID Ldr;
  RTL_USER_PROCESS_PARAMETERS *ProcessParameters;
  PVOID SubSystemData;
  PVOID ProcessHeap;
} PEB;
CHECK(OFFSET(PEB, ImageBaseAddress), 8);
CHECK(OFFSET(PEB, ProcessParameters), 0x10);
CHECK(OFFSET(PEB, ProcessHeap), 0x18);

typedef struct {
  PVOID TransferAddress;
  ULONG ZeroBits;
  SIZE_T MaximumStackSize, CommittedStackSize;
  ULONG SubSystemType;
  USHORT SubSystemMinorVersion, SubSystemMajorVersion;
  ULONG GpValue;
  USHORT ImageCharacteristics, DllCharacteristics, Machine;
  BOOLEAN ImageContainsCode;
  UCHAR ImageFlags;
  ULONG LoaderFlags, ImageFileSize, CheckSum;
} SECTION_IMAGE_INFORMATION;
CHECK(sizeof(SECTION_IMAGE_INFORMATION), 0x30);

typedef struct {
  ULONG Length;
  HANDLE Process;
  HANDLE Thread;
  CLIENT_ID ClientId;
  SECTION_IMAGE_INFORMATION ImageInformation;
} RTL_USER_PROCESS_INFORMATION;
CHECK(sizeof(RTL_USER_PROCESS_INFORMATION), 0x44);

typedef struct {
  NTSTATUS ExitStatus;
  PEB *PebBaseAddress;
  ULONG_PTR AffinityMask;
  KPRIORITY BasePriority;
  ULONG_PTR UniqueProcessId;
  ULONG_PTR InheritedFromUniqueProcessId;
} PROCESS_BASIC_INFORMATION;
CHECK(sizeof(PROCESS_BASIC_INFORMATION), 24);
#define ProcessBasicInformation 0

/* ---- ntdll.dll ---- */
NTSYSAPI NTSTATUS NTAPI NtDisplayString(UNICODE_STRING *String);
NTSYSAPI NTSTATUS NTAPI NtTerminateProcess(HANDLE Process, NTSTATUS ExitStatus);
NTSYSAPI NTSTATUS NTAPI NtClose(HANDLE Handle);
NTSYSAPI NTSTATUS NTAPI NtCreateFile(HANDLE *FileHandle, ULONG DesiredAccess, OBJECT_ATTRIBUTES *ObjectAttributes,
  IO_STATUS_BLOCK *IoStatusBlock, LARGE_INTEGER *AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
  ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength);
NTSYSAPI NTSTATUS NTAPI NtOpenFile(HANDLE *FileHandle, ULONG DesiredAccess, OBJECT_ATTRIBUTES *ObjectAttributes,
  IO_STATUS_BLOCK *IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions);
NTSYSAPI NTSTATUS NTAPI NtReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
  IO_STATUS_BLOCK *IoStatusBlock, PVOID Buffer, ULONG Length, LARGE_INTEGER *ByteOffset, ULONG *Key);
NTSYSAPI NTSTATUS NTAPI NtWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
  IO_STATUS_BLOCK *IoStatusBlock, const void *Buffer, ULONG Length, LARGE_INTEGER *ByteOffset, ULONG *Key);
NTSYSAPI NTSTATUS NTAPI NtQueryInformationFile(HANDLE FileHandle, IO_STATUS_BLOCK *IoStatusBlock, PVOID FileInformation,
  ULONG Length, FILE_INFORMATION_CLASS FileInformationClass);
NTSYSAPI NTSTATUS NTAPI NtSetInformationFile(HANDLE FileHandle, IO_STATUS_BLOCK *IoStatusBlock, PVOID FileInformation,
  ULONG Length, FILE_INFORMATION_CLASS FileInformationClass);
NTSYSAPI NTSTATUS NTAPI NtQueryAttributesFile(OBJECT_ATTRIBUTES *ObjectAttributes, FILE_BASIC_INFORMATION *FileInformation);
NTSYSAPI NTSTATUS NTAPI NtDeleteFile(OBJECT_ATTRIBUTES *ObjectAttributes);
NTSYSAPI NTSTATUS NTAPI NtOpenKey(HANDLE *KeyHandle, ULONG DesiredAccess, OBJECT_ATTRIBUTES *ObjectAttributes);
NTSYSAPI NTSTATUS NTAPI NtQueryValueKey(HANDLE KeyHandle, UNICODE_STRING *ValueName, KEY_VALUE_INFORMATION_CLASS Class,
  PVOID KeyValueInformation, ULONG Length, ULONG *ResultLength);
NTSYSAPI NTSTATUS NTAPI NtResumeThread(HANDLE ThreadHandle, ULONG *SuspendCount);
NTSYSAPI NTSTATUS NTAPI NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, LARGE_INTEGER *Timeout);
NTSYSAPI NTSTATUS NTAPI NtQueryInformationProcess(HANDLE ProcessHandle, ULONG ProcessInformationClass,
  PVOID ProcessInformation, ULONG ProcessInformationLength, ULONG *ReturnLength);

NTSYSAPI void NTAPI RtlInitUnicodeString(UNICODE_STRING *Destination, const WCHAR *Source);
NTSYSAPI void NTAPI RtlFreeUnicodeString(UNICODE_STRING *String);
NTSYSAPI NTSTATUS NTAPI RtlQueryRegistryValues(ULONG RelativeTo, const WCHAR *Path, RTL_QUERY_REGISTRY_TABLE *QueryTable,
  PVOID Context, PVOID Environment);
NTSYSAPI NTSTATUS NTAPI RtlCreateProcessParameters(RTL_USER_PROCESS_PARAMETERS **ProcessParameters,
  UNICODE_STRING *ImagePathName, UNICODE_STRING *DllPath, UNICODE_STRING *CurrentDirectory, UNICODE_STRING *CommandLine,
  PVOID Environment, UNICODE_STRING *WindowTitle, UNICODE_STRING *DesktopInfo, UNICODE_STRING *ShellInfo,
  UNICODE_STRING *RuntimeData);
NTSYSAPI NTSTATUS NTAPI RtlDestroyProcessParameters(RTL_USER_PROCESS_PARAMETERS *ProcessParameters);
NTSYSAPI NTSTATUS NTAPI RtlCreateUserProcess(UNICODE_STRING *NtImagePathName, ULONG Attributes,
  RTL_USER_PROCESS_PARAMETERS *ProcessParameters, PVOID ProcessSecurityDescriptor, PVOID ThreadSecurityDescriptor,
  HANDLE ParentProcess, BOOLEAN InheritHandles, HANDLE DebugPort, HANDLE ExceptionPort,
  RTL_USER_PROCESS_INFORMATION *ProcessInformation);
NTSYSAPI ULONG __cdecl DbgPrint(const char *Format, ...);

/* ---- what gcc may call on its own ---- */
void *memset(void *d, int c, SIZE_T n) {
  volatile UCHAR *p = d;
  while (n--) *p++ = (UCHAR)c;
  return d;
}
void *memcpy(void *d, const void *s, SIZE_T n) {
  volatile UCHAR *p = d;
  const UCHAR *q = s;
  while (n--) *p++ = *q++;
  return d;
}

/* ---- helpers ---- */
static inline void InitializeObjectAttributes(OBJECT_ATTRIBUTES *oa, UNICODE_STRING *name, ULONG attributes, HANDLE root) {
  oa->Length = sizeof *oa;
  oa->RootDirectory = root;
  oa->ObjectName = name;
  oa->Attributes = attributes;
  oa->SecurityDescriptor = NULL;
  oa->SecurityQualityOfService = NULL;
}

static inline PEB *CurrentPeb(void) {
  PEB *peb;
  __asm__ volatile ("movl %%fs:0x30, %0" : "=r"(peb));
  return peb;
}

/* One output line, sent with NtDisplayString (the kernel logs it as "<process>: <text>"). */
static WCHAR line[200];
static ULONG lineLength;

static void put(const char *s) {
  while (*s && lineLength < sizeof line / sizeof line[0]) line[lineLength++] = (UCHAR)*s++;
}
__attribute__((unused)) static void putw(const UNICODE_STRING *s) {
  for (ULONG i = 0; i < s->Length / 2u && lineLength < sizeof line / sizeof line[0]; i++) line[lineLength++] = s->Buffer[i];
}
static void puthex(ULONG v) {
  put("0x");
  for (int i = 28; i >= 0; i -= 4) {
    ULONG d = (v >> i) & 15;
    char c[2] = { (char)(d < 10 ? '0' + d : 'A' + d - 10), 0 };
    put(c);
  }
}
__attribute__((unused)) static void putdec(ULONG v) {
  char digits[12];
  int n = 0;
  do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) { char c[2] = { digits[--n], 0 }; put(c); }
}
static void flush(void) {
  UNICODE_STRING u = { (USHORT)(lineLength * 2), (USHORT)(lineLength * 2), line };
  NtDisplayString(&u);
  lineLength = 0;
}
/* "<what> 0x<status>" on a line of its own. */
__attribute__((unused)) static NTSTATUS show(const char *what, NTSTATUS status) {
  put(what); put(" "); puthex((ULONG)status); flush();
  return status;
}

#endif

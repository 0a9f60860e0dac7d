/*
 * spawn.exe: starts hello.exe as a child the way a native program does:
 * RtlCreateProcessParameters, RtlCreateUserProcess (\??\C:\mingw\hello.exe,
 * its first thread suspended), NtResumeThread, NtWaitForSingleObject on the
 * process, then its exit status from NtQueryInformationProcess
 * (ProcessBasicInformation); RtlDestroyProcessParameters and the handles
 * closed. Exit status 0 when every check held, else the line number of the
 * first that did not.
 */
#include "nt.h"

static ULONG failed;
#define EXPECT(cond) do { if (!(cond) && !failed) failed = __LINE__; } while (0)

void NTAPI NtProcessStartup(PEB *peb) {
  (void)peb;
  UNICODE_STRING image, commandLine;
  RTL_USER_PROCESS_PARAMETERS *params = NULL;
  RTL_USER_PROCESS_INFORMATION info;
  PROCESS_BASIC_INFORMATION basic;
  NTSTATUS status;

  RtlInitUnicodeString(&image, L"\\??\\C:\\mingw\\hello.exe");
  RtlInitUnicodeString(&commandLine, L"hello.exe --from spawn");
  status = RtlCreateProcessParameters(&params, &image, NULL, NULL, &commandLine, NULL, NULL, NULL, NULL, NULL);
  put("parameters "); puthex(status);
  if (NT_SUCCESS(status)) {
    put(" length "); puthex(params->Length); put(" flags "); puthex(params->Flags);
    put(" image length "); putdec(params->ImagePathName.Length);
    /* Denormalized: the Buffers are offsets inside the block. */
    put((ULONG)params->ImagePathName.Buffer < params->Length ? " offsets" : " pointers");
  }
  flush();
  EXPECT(status == STATUS_SUCCESS && !(params->Flags & RTL_USER_PROC_PARAMS_NORMALIZED)
    && params->ImagePathName.Length == image.Length && (ULONG)params->CommandLine.Buffer < params->Length);

  memset(&info, 0xCC, sizeof info);
  status = RtlCreateUserProcess(&image, OBJ_CASE_INSENSITIVE, params, NULL, NULL, NULL, FALSE, NULL, NULL, &info);
  put("create "); puthex(status); put(" length "); puthex(info.Length); put(" subsystem "); putdec(info.ImageInformation.SubSystemType);
  put(" entry "); puthex((ULONG)info.ImageInformation.TransferAddress); flush();
  EXPECT(status == STATUS_SUCCESS && info.Length == sizeof info && info.ImageInformation.SubSystemType == 1);
  if (!NT_SUCCESS(status)) NtTerminateProcess(NtCurrentProcess(), status);
  put("child pid "); put(info.ClientId.UniqueProcess ? "nonzero" : "zero"); put(" tid "); put(info.ClientId.UniqueThread ? "nonzero" : "zero"); flush();
  EXPECT(info.ClientId.UniqueProcess && info.ClientId.UniqueThread);

  ULONG suspendCount = 0xFFFFFFFF;
  status = NtResumeThread(info.Thread, &suspendCount);
  put("resume "); puthex(status); put(" previous count "); putdec(suspendCount); flush();
  EXPECT(status == STATUS_SUCCESS && suspendCount == 1);

  LARGE_INTEGER timeout;
  timeout.QuadPart = -10000000LL * 20; /* 20 s */
  status = show("wait", NtWaitForSingleObject(info.Process, FALSE, &timeout));
  EXPECT(status == STATUS_SUCCESS);

  ULONG returned = 0;
  status = NtQueryInformationProcess(info.Process, ProcessBasicInformation, &basic, sizeof basic, &returned);
  put("basic information "); puthex(status); put(" returned "); putdec(returned); put(" child exit status "); puthex(basic.ExitStatus); flush();
  EXPECT(status == STATUS_SUCCESS && returned == sizeof basic && basic.ExitStatus == 0x1234);
  EXPECT((ULONG)basic.UniqueProcessId == (ULONG)info.ClientId.UniqueProcess);

  show("destroy parameters", RtlDestroyProcessParameters(params));
  show("close thread", NtClose(info.Thread));
  show("close process", NtClose(info.Process));

  put("done, first failed check at line "); putdec(failed); flush();
  NtTerminateProcess(NtCurrentProcess(), (NTSTATUS)failed);
}

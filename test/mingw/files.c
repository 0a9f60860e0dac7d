/*
 * files.exe: a file's life on the FAT volume through the I/O services.
 * Creates \??\C:\mingw.txt, writes to it, checks its size and position,
 * seeks back (FilePositionInformation) and reads it again, reads at an
 * offset and past the end, then deletes it with FileDispositionInformation
 * and finds it gone; a second file goes with NtDeleteFile. Each step shows
 * its status; the exit status is 0 when every check held, else the line
 * number of the first that did not.
 */
#include "nt.h"

static const char text[] = "Written by MinGW through NtWriteFile.";
#define TEXT_LENGTH (sizeof text - 1)
static ULONG failed;
#define EXPECT(cond) do { if (!(cond) && !failed) failed = __LINE__; } while (0)

static int same(const UCHAR *a, const char *b, ULONG n) {
  for (ULONG i = 0; i < n; i++) if (a[i] != (UCHAR)b[i]) return 0;
  return 1;
}

void NTAPI NtProcessStartup(PEB *peb) {
  (void)peb;
  UNICODE_STRING name, second;
  OBJECT_ATTRIBUTES oa, oa2;
  IO_STATUS_BLOCK iosb;
  HANDLE file = NULL;
  UCHAR buffer[128];
  NTSTATUS status;

  RtlInitUnicodeString(&name, L"\\??\\C:\\mingw.txt");
  InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE, NULL);

  status = NtCreateFile(&file, GENERIC_READ | GENERIC_WRITE | DELETE | SYNCHRONIZE, &oa, &iosb, NULL, FILE_ATTRIBUTE_NORMAL, 0,
    FILE_CREATE, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
  put("create "); puthex(status); put(" information "); putdec(iosb.Information); flush();
  EXPECT(status == STATUS_SUCCESS && iosb.Information == FILE_CREATED);

  status = NtWriteFile(file, NULL, NULL, NULL, &iosb, text, TEXT_LENGTH, NULL, NULL);
  put("write "); puthex(status); put(" bytes "); putdec(iosb.Information); flush();
  EXPECT(status == STATUS_SUCCESS && iosb.Information == TEXT_LENGTH);

  FILE_STANDARD_INFORMATION standard;
  memset(&standard, 0xEE, sizeof standard);
  status = NtQueryInformationFile(file, &iosb, &standard, sizeof standard, FileStandardInformation);
  put("standard "); puthex(status); put(" size "); putdec(standard.EndOfFile.u.LowPart);
  put(" links "); putdec(standard.NumberOfLinks); put(" delete pending "); putdec(standard.DeletePending);
  put(" directory "); putdec(standard.Directory); put(" returned "); putdec(iosb.Information); flush();
  EXPECT(status == STATUS_SUCCESS && standard.EndOfFile.QuadPart == TEXT_LENGTH && !standard.Directory && iosb.Information == sizeof standard);

  FILE_POSITION_INFORMATION position;
  status = NtQueryInformationFile(file, &iosb, &position, sizeof position, FilePositionInformation);
  put("position "); puthex(status); put(" at "); putdec(position.CurrentByteOffset.u.LowPart); flush();
  EXPECT(status == STATUS_SUCCESS && position.CurrentByteOffset.QuadPart == TEXT_LENGTH);

  position.CurrentByteOffset.QuadPart = 0;
  status = NtSetInformationFile(file, &iosb, &position, sizeof position, FilePositionInformation);
  show("seek", status);
  EXPECT(status == STATUS_SUCCESS);

  memset(buffer, 0, sizeof buffer);
  status = NtReadFile(file, NULL, NULL, NULL, &iosb, buffer, sizeof buffer, NULL, NULL);
  int equal = status == STATUS_SUCCESS && iosb.Information == TEXT_LENGTH && same(buffer, text, TEXT_LENGTH);
  put("read "); puthex(status); put(" bytes "); putdec(iosb.Information); put(equal ? " same" : " different"); flush();
  EXPECT(equal);

  status = NtReadFile(file, NULL, NULL, NULL, &iosb, buffer, sizeof buffer, NULL, NULL);
  show("read at the end", status);
  EXPECT(status == STATUS_END_OF_FILE);

  LARGE_INTEGER offset;
  offset.QuadPart = 11; /* "MinGW" */
  memset(buffer, 0, sizeof buffer);
  status = NtReadFile(file, NULL, NULL, NULL, &iosb, buffer, 5, &offset, NULL);
  put("read at 11 "); puthex(status); put(" bytes "); putdec(iosb.Information); put(" \"");
  for (ULONG i = 0; i < iosb.Information && i < 5; i++) { char c[2] = { (char)buffer[i], 0 }; put(c); }
  put("\""); flush();
  EXPECT(status == STATUS_SUCCESS && iosb.Information == 5 && same(buffer, "MinGW", 5));

  show("close", NtClose(file));

  FILE_BASIC_INFORMATION basic;
  status = NtQueryAttributesFile(&oa, &basic);
  put("attributes "); puthex(status); put(" "); puthex(basic.FileAttributes); flush();
  EXPECT(status == STATUS_SUCCESS && !(basic.FileAttributes & 0x10));

  status = NtOpenFile(&file, DELETE | SYNCHRONIZE, &oa, &iosb, 0, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE);
  show("open for delete", status);
  EXPECT(status == STATUS_SUCCESS);
  FILE_DISPOSITION_INFORMATION disposition = { TRUE };
  status = NtSetInformationFile(file, &iosb, &disposition, sizeof disposition, FileDispositionInformation);
  show("disposition", status);
  EXPECT(status == STATUS_SUCCESS);
  show("close", NtClose(file));

  status = NtQueryAttributesFile(&oa, &basic);
  show("gone", status);
  EXPECT(status == STATUS_OBJECT_NAME_NOT_FOUND);

  /* A second file, deleted by name. */
  RtlInitUnicodeString(&second, L"\\??\\C:\\mingw2.txt");
  InitializeObjectAttributes(&oa2, &second, OBJ_CASE_INSENSITIVE, NULL);
  status = NtCreateFile(&file, GENERIC_WRITE | SYNCHRONIZE, &oa2, &iosb, NULL, FILE_ATTRIBUTE_NORMAL, 0,
    FILE_CREATE, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
  show("create second", status);
  EXPECT(status == STATUS_SUCCESS);
  if (NT_SUCCESS(status)) {
    status = NtWriteFile(file, NULL, NULL, NULL, &iosb, "x", 1, NULL, NULL);
    NtClose(file);
  }
  status = NtDeleteFile(&oa2);
  show("delete second", status);
  EXPECT(status == STATUS_SUCCESS);
  status = NtQueryAttributesFile(&oa2, &basic);
  show("second gone", status);
  EXPECT(status == STATUS_OBJECT_NAME_NOT_FOUND);

  put("done, first failed check at line "); putdec(failed); flush();
  NtTerminateProcess(NtCurrentProcess(), (NTSTATUS)failed);
}

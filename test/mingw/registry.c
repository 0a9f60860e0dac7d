/*
 * registry.exe: reads the SYSTEM hive (images/registry/SYSTEM.reg) through
 * CurrentControlSet. NtOpenKey + NtQueryValueKey (KeyValuePartialInformation)
 * for a REG_SZ (Session Manager\Environment "OS") and a REG_DWORD (Session
 * Manager "CriticalSectionTimeout"), a short buffer and a missing value;
 * then RtlQueryRegistryValues with RTL_QUERY_REGISTRY_DIRECT (a DWORD and a
 * string) and with a query routine of ours (every value of Session
 * Manager\DOS Devices). Exit status 0 when every check held, else the line
 * number of the first that did not.
 */
#include "nt.h"

static ULONG failed;
#define EXPECT(cond) do { if (!(cond) && !failed) failed = __LINE__; } while (0)

static int sameText(const WCHAR *a, ULONG bytes, const WCHAR *b) {
  ULONG i = 0;
  for (; i < bytes / 2 && b[i]; i++) if (a[i] != b[i]) return 0;
  return i == bytes / 2 || (i == bytes / 2 - 1 && a[i] == 0);
}

/* The query routine: shows each value (name, type, data) and counts them in *Context. */
static NTSTATUS NTAPI showValue(WCHAR *name, ULONG type, PVOID data, ULONG length, PVOID context, PVOID entryContext) {
  UNICODE_STRING n, d;
  RtlInitUnicodeString(&n, name);
  put("routine value "); putw(&n); put(" type "); putdec(type); put(" length "); putdec(length);
  if (type == REG_SZ) { d.Buffer = data; d.Length = d.MaximumLength = (USHORT)(length >= 2 ? length - 2 : 0); put(" = "); putw(&d); }
  put(entryContext == (PVOID)0x5EED ? " entry context ok" : " entry context wrong");
  flush();
  ++*(ULONG *)context;
  return STATUS_SUCCESS;
}

void NTAPI NtProcessStartup(PEB *peb) {
  (void)peb;
  UNICODE_STRING name, valueName;
  OBJECT_ATTRIBUTES oa;
  HANDLE key = NULL;
  NTSTATUS status;
  ULONG result;
  union { KEY_VALUE_PARTIAL_INFORMATION info; UCHAR bytes[256]; } value;

  /* A REG_SZ. */
  RtlInitUnicodeString(&name, L"\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment");
  InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE, NULL);
  status = show("open Environment", NtOpenKey(&key, KEY_READ, &oa));
  EXPECT(status == STATUS_SUCCESS);
  RtlInitUnicodeString(&valueName, L"OS");
  status = NtQueryValueKey(key, &valueName, KeyValuePartialInformation, &value, sizeof value, &result);
  put("OS "); puthex(status); put(" type "); putdec(value.info.Type); put(" length "); putdec(value.info.DataLength);
  put(" result "); putdec(result); put(" = ");
  UNICODE_STRING text = { (USHORT)(value.info.DataLength - 2), (USHORT)value.info.DataLength, (WCHAR *)value.info.Data };
  if (status == STATUS_SUCCESS) putw(&text);
  flush();
  EXPECT(status == STATUS_SUCCESS && value.info.Type == REG_SZ && sameText((WCHAR *)value.info.Data, value.info.DataLength, L"Windows_NT"));
  EXPECT(result == 12 + value.info.DataLength);
  NtClose(key);

  /* A REG_DWORD, a short buffer, a missing value. */
  RtlInitUnicodeString(&name, L"\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Control\\Session Manager");
  status = show("open Session Manager", NtOpenKey(&key, KEY_READ, &oa));
  EXPECT(status == STATUS_SUCCESS);
  RtlInitUnicodeString(&valueName, L"CriticalSectionTimeout");
  status = NtQueryValueKey(key, &valueName, KeyValuePartialInformation, &value, sizeof value, &result);
  ULONG dword = *(ULONG *)value.info.Data;
  put("CriticalSectionTimeout "); puthex(status); put(" type "); putdec(value.info.Type); put(" length "); putdec(value.info.DataLength);
  put(" = "); puthex(dword); flush();
  EXPECT(status == STATUS_SUCCESS && value.info.Type == REG_DWORD && value.info.DataLength == 4 && dword == 0x278D00);

  result = 0;
  status = NtQueryValueKey(key, &valueName, KeyValuePartialInformation, &value, 12, &result);
  put("header only "); puthex(status); put(" result "); putdec(result); flush();
  EXPECT(status == STATUS_BUFFER_OVERFLOW && result == 16);
  result = 0;
  status = NtQueryValueKey(key, &valueName, KeyValuePartialInformation, &value, 8, &result);
  put("too small "); puthex(status); put(" result "); putdec(result); flush();
  EXPECT(status == STATUS_BUFFER_TOO_SMALL && result == 16);

  RtlInitUnicodeString(&valueName, L"NoSuchValue");
  status = show("missing", NtQueryValueKey(key, &valueName, KeyValuePartialInformation, &value, sizeof value, &result));
  EXPECT(status == STATUS_OBJECT_NAME_NOT_FOUND);
  NtClose(key);

  /* RtlQueryRegistryValues, DIRECT: a DWORD into a ULONG, a string into a UNICODE_STRING it allocates. */
  ULONG timeout = 0, globalFlag = 0xFFFFFFFF;
  RTL_QUERY_REGISTRY_TABLE table[3];
  memset(table, 0, sizeof table);
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
  table[0].Name = L"CriticalSectionTimeout";
  table[0].EntryContext = &timeout;
  table[1].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[1].Name = L"GlobalFlag";
  table[1].EntryContext = &globalFlag;
  status = RtlQueryRegistryValues(RTL_REGISTRY_CONTROL, L"Session Manager", table, NULL, NULL);
  put("query direct "); puthex(status); put(" CriticalSectionTimeout "); puthex(timeout); put(" GlobalFlag "); puthex(globalFlag); flush();
  EXPECT(status == STATUS_SUCCESS && timeout == 0x278D00 && globalFlag == 0);

  UNICODE_STRING computer = { 0, 0, NULL };
  memset(table, 0, sizeof table);
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = L"ComputerName";
  table[0].EntryContext = &computer;
  status = RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE,
    L"\\Registry\\Machine\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName", table, NULL, NULL);
  put("query string "); puthex(status); put(" length "); putdec(computer.Length); put(" = "); if (computer.Buffer) putw(&computer); flush();
  EXPECT(status == STATUS_SUCCESS && computer.Buffer && sameText(computer.Buffer, computer.Length, L"NTWASM86"));
  if (computer.Buffer) RtlFreeUnicodeString(&computer);

  /* A query routine of ours, for every value of a key. */
  ULONG count = 0;
  memset(table, 0, sizeof table);
  table[0].QueryRoutine = showValue;
  table[0].EntryContext = (PVOID)0x5EED;
  status = RtlQueryRegistryValues(RTL_REGISTRY_CONTROL, L"Session Manager\\DOS Devices", table, &count, NULL);
  put("query routine "); puthex(status); put(" values "); putdec(count); flush();
  EXPECT(status == STATUS_SUCCESS && count == 4);

  put("done, first failed check at line "); putdec(failed); flush();
  NtTerminateProcess(NtCurrentProcess(), (NTSTATUS)failed);
}

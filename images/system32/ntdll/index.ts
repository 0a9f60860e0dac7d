// ntdll.dll's Rtl routines: every export of the DLL that is not a system
// service stub. The DLL linker makes each function exported here a DLL
// export of the same name (stdcall, except DbgPrint, DbgPrintEx and
// _vsnprintf, which are cdecl as in Windows).
// Private helpers (Rtlp*) stay unexported.

export {
  RtlInitUnicodeString, RtlInitUnicodeStringEx, RtlInitAnsiString, RtlInitString,
  RtlCreateUnicodeString, RtlFreeUnicodeString, RtlFreeAnsiString,
  RtlCopyUnicodeString, RtlCopyString, RtlAppendUnicodeToString, RtlAppendUnicodeStringToString,
  RtlUpcaseUnicodeChar, RtlDowncaseUnicodeChar, RtlUpcaseUnicodeString,
  RtlCompareUnicodeString, RtlEqualUnicodeString, RtlPrefixUnicodeString,
  RtlAnsiStringToUnicodeString, RtlUnicodeStringToAnsiString, RtlAnsiStringToUnicodeSize, RtlUnicodeStringToAnsiSize,
  RtlIntegerToChar, RtlIntegerToUnicodeString, RtlUnicodeStringToInteger,
} from "./string";
export {
  RtlMoveMemory, RtlCopyMemory, RtlCopyMemoryNonTemporal, RtlFillMemory, RtlZeroMemory, RtlFillMemoryUlong,
  RtlCompareMemory, RtlCompareMemoryUlong,
} from "./memory";
export { RtlTimeToTimeFields, RtlTimeFieldsToTime, RtlSecondsSince1970ToTime, RtlTimeToSecondsSince1970 } from "./time";
export { RtlCreateHeap, RtlDestroyHeap, RtlAllocateHeap, RtlReAllocateHeap, RtlFreeHeap, RtlSizeHeap, RtlValidateHeap } from "./heap";
export { RtlGetCurrentPeb } from "./nt";
export {
  RtlInitializeCriticalSection, RtlInitializeCriticalSectionAndSpinCount, RtlDeleteCriticalSection,
  RtlEnterCriticalSection, RtlTryEnterCriticalSection, RtlLeaveCriticalSection,
} from "./critsect";
export {
  RtlCreateEnvironment, RtlDestroyEnvironment, RtlSetEnvironmentVariable, RtlQueryEnvironmentVariable_U,
  RtlExpandEnvironmentStrings_U,
} from "./env";
export {
  RtlDetermineDosPathNameType_U, RtlIsDosDeviceName_U, RtlGetFullPathName_U, RtlGetCurrentDirectory_U, RtlSetCurrentDirectory_U,
  RtlDosPathNameToNtPathName_U, RtlDosPathNameToNtPathName_U_WithStatus, RtlDoesFileExists_U, RtlDosSearchPath_U,
} from "./path";
export {
  RtlCreateProcessParameters, RtlDestroyProcessParameters, RtlNormalizeProcessParams, RtlDeNormalizeProcessParams,
  RtlCreateUserThread, RtlExitUserThread, RtlSetProcessIsCritical, RtlSetThreadIsCritical, RtlAdjustPrivilege,
  RtlCreateUserProcess,
} from "./process";
export {
  RtlQueryRegistryValues, RtlWriteRegistryValue, RtlDeleteRegistryValue, RtlCheckRegistryKey, RtlCreateRegistryKey,
} from "./registry";
export { DbgPrint, DbgPrintEx, vDbgPrintEx, _vsnprintf } from "./debug";
export {
  RtlDispatchException, RtlAddVectoredExceptionHandler, RtlRemoveVectoredExceptionHandler, RtlSetUnhandledExceptionFilter,
  RtlpRaiseException, RtlpUnwind,
} from "./except";
export { LdrpInitialize, LdrLoadDll, LdrGetDllHandle, LdrGetProcedureAddress, LdrUnloadDll } from "./ldr";
export {
  CsrClientConnectToServer, CsrClientCallServer, CsrAllocateCaptureBuffer, CsrAllocateMessagePointer, CsrCaptureMessageBuffer,
  CsrFreeCaptureBuffer, CsrGetProcessId,
} from "./csr";

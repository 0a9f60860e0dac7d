// ntdll.dll's Rtl routines: every export of the DLL that is not a system
// service stub. The DLL linker makes each function exported here a DLL
// export of the same name (stdcall, except DbgPrint, DbgPrintEx and
// _vsnprintf, which are cdecl as in Windows).
// Private helpers (Rtlp*) stay unexported.
//
// Threads (audited 2026-12-07): every routine may run on any thread of the
// process at once. Per-call state lives in the caller's memory, the heap
// (RtlpAllocateScratch) or the thread's TEB; what is process-wide is locked:
//   heaps                 each heap's critical section (heap.ts)
//   the loader            LdrpLoaderLock (ldr.ts; PEB.LoaderLock), which also
//                         covers ldr.ts's and ldrimage.ts's static cells
//   vectored handlers     RtlpVectoredHandlerLock (except.ts)
//   the CSR connection    CsrpConnectLock (csr.ts), made once
//   RtlCreateHeap's and RtlDestroyHeap's static argument cells: used only
//                         before the process heap exists (one thread then)
//   LdrpInitialize        process start-up, before any second thread
// The top-level filter (RtlSetUnhandledExceptionFilter) is one word, set
// and read whole. Critical sections: critsect.ts.

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

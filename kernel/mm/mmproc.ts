// What Mm's services ask of Ps: the process a handle names, the current
// process, whether a process has ended. Ps sits above Mm and hands these in
// (MmSetProcessRoutines, from PsInitializeSystem) before any user process
// exists, as it hands in MmSetProcessLookup (mm/virtual.ts).

import { STATUS_INVALID_HANDLE } from "../sdk/ntstatus";

/** PsReferenceProcessByHandle: the process (referenced) at `out` for `access`, or a status. */
export type MM_REFERENCE_PROCESS = (handle: u32, access: u32, out: usize) => u32;
/** PsDereferenceProcess. */
export type MM_DEREFERENCE_PROCESS = (process: usize) => void;
/** PsGetCurrentProcess: the process whose address space is current (the System process for kernel threads). */
export type MM_CURRENT_PROCESS = () => usize;
/** PsProcessHasEnded (its teardown ran or is running). */
export type MM_PROCESS_ENDED = (process: usize) => bool;

function MiNoProcess(handle: u32, access: u32, out: usize): u32 { store<usize>(out, 0); return STATUS_INVALID_HANDLE; }
function MiNoDereference(process: usize): void {}
function MiNoCurrentProcess(): usize { return 0; }
function MiNotEnded(process: usize): bool { return false; }

export let MmReferenceProcessByHandle: MM_REFERENCE_PROCESS = MiNoProcess;
export let MmDereferenceProcess: MM_DEREFERENCE_PROCESS = MiNoDereference;
export let MmGetCurrentProcess: MM_CURRENT_PROCESS = MiNoCurrentProcess;
export let MmProcessHasEnded: MM_PROCESS_ENDED = MiNotEnded;

/** Phase 1, from PsInitializeSystem. */
export function MmSetProcessRoutines(reference: MM_REFERENCE_PROCESS, dereference: MM_DEREFERENCE_PROCESS, current: MM_CURRENT_PROCESS,
                                     ended: MM_PROCESS_ENDED): void {
  MmReferenceProcessByHandle = reference;
  MmDereferenceProcess = dereference;
  MmGetCurrentProcess = current;
  MmProcessHasEnded = ended;
}

// Objects' security descriptors and the access check on opens.
//
// An object may carry a self-relative SECURITY_DESCRIPTOR (pool 'SeSd') in
// OBJECT_HEADER.SecurityDescriptor: the one its creator gave in
// OBJECT_ATTRIBUTES.SecurityDescriptor (captured by ObCreateObject, before
// anything is made, through ExCaptureSecurityDescriptor), or the one
// a component assigns (tokens: se/; processes and threads keep theirs on the
// EPROCESS: ps/). An object without one is open to everybody (NT's NULL
// DACL). It goes with the object (ObpDeleteObject).
//
// The access check itself is Se's (SeAccessCheck against the caller's
// token): Se sits above Ob, so it registers it here at boot
// (ObSetAccessCheckRoutine), and Ob runs it when a name is opened
// (ObOpenObjectByName, OBJ_OPENIF's open of an existing object) for a
// caller whose previous mode is UserMode.

import { ExGetPreviousMode, UserMode } from "../ke/probe";
import { OBJECT_TO_OBJECT_HEADER, ObpTypeInfo } from "./obp";
import { STATUS_SUCCESS } from "../sdk/ntstatus";

/**
 * Checks `desiredAccess` (generic rights allowed, MAXIMUM_ALLOWED too) against
 * a self-relative descriptor with the type's generic mapping (GENERIC_MAPPING
 * at `mapping`, 16 bytes), for the current thread's token; the granted access
 * goes to `granted`. Returns STATUS_SUCCESS or STATUS_ACCESS_DENIED.
 */
export type OB_ACCESS_CHECK = (sd: usize, desiredAccess: u32, mapping: usize, granted: usize) => u32;
let ObpAccessCheck: OB_ACCESS_CHECK | null = null;

/** Se, at boot: the routine opens run. */
export function ObSetAccessCheckRoutine(routine: OB_ACCESS_CHECK): void { ObpAccessCheck = routine; }

/** An object's security descriptor (self-relative, owned by the object), or 0. */
export function ObGetObjectSecurity(object: usize): usize { return OBJECT_TO_OBJECT_HEADER(object).SecurityDescriptor; }

/** Gives an object a descriptor (a 'SeSd' pool block it then owns); one it had before is returned for the caller to free. */
export function ObSetObjectSecurity(object: usize, sd: usize): usize {
  const header = OBJECT_TO_OBJECT_HEADER(object);
  const previous = header.SecurityDescriptor;
  header.SecurityDescriptor = sd;
  return previous;
}

/** The type's GENERIC_MAPPING (its initializer's GenericRead..GenericAll, 16 bytes). */
export function ObGetTypeGenericMapping(type: usize): usize { return changetype<usize>(ObpTypeInfo(type)) + 8; }

/**
 * The access a user-mode open of `object` gets (at `granted`): the check of
 * `desiredAccess` against the object's descriptor. Kernel-mode callers and
 * objects without a descriptor get what they ask for (generic rights are
 * mapped later, with the handle). Runs under the object manager's lock (the
 * check reads only kernel memory and does not wait).
 */
export function ObpCheckObjectAccess(object: usize, desiredAccess: u32, granted: usize): u32 {
  store<u32>(granted, desiredAccess);
  const sd = OBJECT_TO_OBJECT_HEADER(object).SecurityDescriptor;
  const check = ObpAccessCheck;
  if (sd == 0 || !check || ExGetPreviousMode() != UserMode) return STATUS_SUCCESS;
  return check!(sd, desiredAccess, ObGetTypeGenericMapping(OBJECT_TO_OBJECT_HEADER(object).Type), granted);
}

/** The same check for a descriptor kept outside the object header (a process's, a thread's), with the type's mapping. */
export function ObCheckAccess(sd: usize, type: usize, desiredAccess: u32, granted: usize): u32 {
  store<u32>(granted, desiredAccess);
  const check = ObpAccessCheck;
  if (sd == 0 || !check || ExGetPreviousMode() != UserMode) return STATUS_SUCCESS;
  return check!(sd, desiredAccess, ObGetTypeGenericMapping(type), granted);
}

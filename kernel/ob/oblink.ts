// Symbolic links: NtCreateSymbolicLinkObject, NtOpenSymbolicLinkObject,
// NtQuerySymbolicLinkObject, and the parse procedure that makes a lookup
// follow them.
//
// A link (OBJECT_SYMBOLIC_LINK) holds a target name, copied with a NUL into
// a 'SymT' buffer. When a lookup meets a link, ObpParseSymbolicLink either
// returns the link itself (nothing left of the name and the caller wants a
// link: NtOpenSymbolicLinkObject, or the create of a link) or builds target
// + rest of the name and answers STATUS_REPARSE, so the lookup starts over
// from the root: "\DosDevices\X" -> "\??\X". When the target ends in a
// backslash and the rest starts with one, one of them goes. A rest that
// does not start with a backslash cannot follow a link:
// STATUS_OBJECT_TYPE_MISMATCH. NT's "snapped" links (a cached target
// object) and DOS device maps (DosDeviceDriveIndex stays 0) are not
// implemented: every lookup reparses by name.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { HalQueryUptime, KUPTIME } from "../hal/pit";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import {
  RtlCopyUnicodeText, RtlEndsWithSeparator, RtlStartsWithSeparator, RtlUnicodeString,
} from "../rtl/unicode";
import {
  OB_NAME_TAG, OB_SYMLINK_TARGET_TAG, OBJECT_SYMBOLIC_LINK, ObpAcquireLock, ObpLinkTarget, ObpReleaseLock,
  SIZEOF_OBJECT_SYMBOLIC_LINK, SYMBOLIC_LINK_QUERY,
} from "./obp";
import { ObCreateObject } from "./obcreate";
import { ObDereferenceObject, ObReferenceObjectByPointer } from "./obref";
import { ObReferenceObjectByHandle } from "./obhandle";
import { ObInsertObject, ObOpenObjectByName } from "./obname";
import { ObpSymbolicLinkObjectType } from "./obp";
import {
  NT_SUCCESS, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER,
  STATUS_NAME_TOO_LONG, STATUS_OBJECT_TYPE_MISMATCH, STATUS_REPARSE, STATUS_SUCCESS,
} from "../sdk/ntstatus";

/** The longest name a reparse may build, in bytes (NT's limit). */
const OBP_MAX_NAME_LENGTH: u32 = 0xFFF0;


/** The symbolic link type's delete procedure: the target buffer goes back to the pool. */
export function ObpDeleteSymbolicLink(object: usize): void {
  const link = changetype<OBJECT_SYMBOLIC_LINK>(object);
  if (link.LinkTargetBuffer != 0) ExFreePoolWithTag(link.LinkTargetBuffer, OB_SYMLINK_TARGET_TAG);
  link.LinkTargetBuffer = 0;
}

/** Uptime in 100 ns units: the creation time of links until there is a clock of day. */
function ObpCurrentTime(): u64 {
  const block = KeAllocateScratch(<u32>offsetof<KUPTIME>());
  HalQueryUptime(block);
  const uptime = changetype<KUPTIME>(block);
  const time = <u64>uptime.Seconds * 10000000 + <u64>uptime.Microseconds * 10;
  KeFreeScratch(block);
  return time;
}

/**
 * The parse procedure of the SymbolicLink type (see the file comment).
 * On STATUS_REPARSE, `completeName` gets a new 'ObNm' buffer the lookup owns.
 */
export function ObpParseSymbolicLink(parseObject: usize, objectType: usize, attributes: u32, completeName: usize,
                                     remainingName: usize, object: usize): u32 {
  store<usize>(object, 0);
  const remaining = RtlUnicodeString(remainingName);
  if (remaining.Length == 0) {
    if (objectType != 0) {
      const status = ObReferenceObjectByPointer(parseObject, 0, objectType);
      if (NT_SUCCESS(status)) {
        store<usize>(object, parseObject);
        return status;
      }
      if (status != STATUS_OBJECT_TYPE_MISMATCH) return status;
    }
  } else if (!RtlStartsWithSeparator(remainingName)) {
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  const target = ObpLinkTarget(parseObject);
  let insert = <u32>RtlUnicodeString(target).Length;
  if (RtlEndsWithSeparator(target) && RtlStartsWithSeparator(remainingName)) insert -= 2;
  const length = insert + <u32>remaining.Length;
  if (length > OBP_MAX_NAME_LENGTH) return STATUS_NAME_TOO_LONG;
  const buffer = ExAllocatePoolWithTag(NonPagedPool, length + 2, OB_NAME_TAG);
  if (buffer == 0) return STATUS_INSUFFICIENT_RESOURCES;
  memory.copy(buffer, RtlUnicodeString(target).Buffer, insert);
  RtlCopyUnicodeText(buffer + insert, remaining.Buffer, remaining.Length);
  const complete = RtlUnicodeString(completeName);
  complete.Buffer = buffer;
  complete.Length = <u16>length;
  complete.MaximumLength = <u16>(length + 2);
  return STATUS_REPARSE;
}

/** A link target NT accepts: even lengths, Length within MaximumLength, a buffer when not empty. */
function ObpValidateLinkTarget(linkTarget: usize): bool {
  if (linkTarget == 0) return false;
  const target = RtlUnicodeString(linkTarget);
  if ((target.Length & 1) != 0 || (target.MaximumLength & 1) != 0 || target.Length > target.MaximumLength) return false;
  return target.Length == 0 || target.Buffer != 0;
}

/**
 * Creates a symbolic link named by `objectAttributes` pointing to
 * `linkTarget` (a UNICODE_STRING, copied) and stores a handle at `linkHandle`.
 */
export function ObCreateSymbolicLinkObject(linkHandle: usize, desiredAccess: u32, objectAttributes: usize, linkTarget: usize): u32 {
  const lock = ObpAcquireLock();
  const status = ObpCreateSymbolicLink(linkHandle, desiredAccess, objectAttributes, linkTarget);
  ObpReleaseLock(lock);
  return status;
}

function ObpCreateSymbolicLink(linkHandle: usize, desiredAccess: u32, objectAttributes: usize, linkTarget: usize): u32 {
  if (!ObpValidateLinkTarget(linkTarget)) return STATUS_INVALID_PARAMETER;
  const out = KeAllocateScratch(4); // out-parameters: the thread's own (see obdir.ts)
  const status = ObCreateObject(ObpSymbolicLinkObjectType, objectAttributes, SIZEOF_OBJECT_SYMBOLIC_LINK, out);
  const object = load<usize>(out);
  KeFreeScratch(out);
  if (!NT_SUCCESS(status)) return status;
  const link = changetype<OBJECT_SYMBOLIC_LINK>(object);
  const length = <u32>RtlUnicodeString(linkTarget).Length;
  const buffer = ExAllocatePoolWithTag(NonPagedPool, length + 2, OB_SYMLINK_TARGET_TAG);
  if (buffer == 0) {
    ObDereferenceObject(object);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  RtlCopyUnicodeText(buffer, RtlUnicodeString(linkTarget).Buffer, length);
  link.LinkTargetBuffer = buffer;
  link.LinkTargetLength = <u16>length;
  link.LinkTargetMaximumLength = <u16>(length + 2);
  link.CreationTime = ObpCurrentTime();
  return ObInsertObject(object, desiredAccess, linkHandle);
}

/** Opens a symbolic link object itself (not what it points to). */
export function ObOpenSymbolicLinkObject(linkHandle: usize, desiredAccess: u32, objectAttributes: usize): u32 {
  return ObOpenObjectByName(objectAttributes, ObpSymbolicLinkObjectType, desiredAccess, linkHandle);
}

/**
 * Copies a link's target into the caller's UNICODE_STRING `linkTarget`
 * (its Buffer and MaximumLength say where and how much). With
 * `returnedLength` (a u32, or 0) the buffer must hold the target and its NUL
 * and receives both, and *returnedLength the bytes with the NUL; without,
 * the text alone must fit. Too small: STATUS_BUFFER_TOO_SMALL, with the
 * bytes needed (NUL included) at `returnedLength`. All three are kernel memory:
 * NtQuerySymbolicLinkObject (obsvc.ts) hands in its capture of the caller's
 * structure and a pool buffer, and copies the answer out after the lock.
 */
export function ObQuerySymbolicLinkObject(linkHandle: u32, linkTarget: usize, returnedLength: usize): u32 {
  const lock = ObpAcquireLock();
  const status = ObpQuerySymbolicLink(linkHandle, linkTarget, returnedLength);
  ObpReleaseLock(lock);
  return status;
}

function ObpQuerySymbolicLink(linkHandle: u32, linkTarget: usize, returnedLength: usize): u32 {
  const out = KeAllocateScratch(4);
  const status = ObReferenceObjectByHandle(linkHandle, SYMBOLIC_LINK_QUERY, ObpSymbolicLinkObjectType, out, 0);
  const link = changetype<OBJECT_SYMBOLIC_LINK>(load<usize>(out));
  KeFreeScratch(out);
  if (!NT_SUCCESS(status)) return status;
  const caller = RtlUnicodeString(linkTarget);
  const maximum = <u32>caller.MaximumLength, buffer = caller.Buffer;
  const bytes = returnedLength != 0 ? <u32>link.LinkTargetMaximumLength : <u32>link.LinkTargetLength;
  let result = STATUS_SUCCESS;
  if (bytes <= maximum) {
    memory.copy(buffer, link.LinkTargetBuffer, bytes);
    caller.Length = link.LinkTargetLength;
  } else {
    result = STATUS_BUFFER_TOO_SMALL;
  }
  if (returnedLength != 0) store<u32>(returnedLength, link.LinkTargetMaximumLength);
  ObDereferenceObject(changetype<usize>(link));
  return result;
}

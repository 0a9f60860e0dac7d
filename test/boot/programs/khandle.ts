// Kernel handles from ring 3: the kernel keeps handles of its own (bit 31,
// OBJ_KERNEL_HANDLE: at least PspInitialSystemProcessHandle, a
// PROCESS_ALL_ACCESS handle to the System process). This program guesses
// every kernel handle value below 0x80000400 and hands each to services that
// look handles up in different places: Ob's own services, NtDuplicateObject
// (as the handle and as the source process, which would copy the kernel's
// handles into this process), Ps's process handle, waits, tokens, the
// registry's key lookup (CmpReferenceKey), OBJECT_ATTRIBUTES.RootDirectory on
// open and create paths, and NtClose last. Each must answer
// STATUS_INVALID_HANDLE: a kernel handle is no handle for user mode. One line
// per service: how many guesses were not refused and the first status seen.
import { InitializeObjectAttributes } from "../../../kernel/sdk/ntdef";
import { put, putHex, putDec, flush, show, say, NtClose, NtCreateEvent, NtDuplicateObject, NtMakeTemporaryObject, NtOpenDirectoryObject,
  NtQueryInformationProcess, NtQueryObject, NtWaitForSingleObject, unicode } from "./nt";
import { ProcessBasicInformation, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";
import { KeyBasicInformation } from "../../../kernel/sdk/keyinfo";
import { STATUS_INVALID_HANDLE } from "../../../kernel/sdk/ntstatus";
@external("ntdll", "NtOpenProcessToken") declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtSetInformationObject") declare function NtSetInformationObject(handle: u32, infoClass: u32, buffer: usize, length: u32): u32;
@external("ntdll", "NtOpenKey") declare function NtOpenKey(h: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtQueryKey") declare function NtQueryKey(h: u32, cls: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtOpenFile") declare function NtOpenFile(h: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtTerminateProcess") declare function NtTerminateProcess(process: u32, status: u32): u32;

const SELF: u32 = 0xFFFFFFFF;
const FIRST: u32 = 0x80000004, LAST: u32 = 0x800003FC;
const out = memory.data(8, 4);
const buffer = memory.data(512, 4);
const iosb = memory.data(8, 4);
const timeout = memory.data(8, 8);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);

/** An OBJECT_ATTRIBUTES naming `text` relative to `root`. */
function relative(root: u32, text: string, flags: u32): usize {
  unicode(name, text);
  InitializeObjectAttributes(oa, name, flags, root, 0);
  return oa;
}

function attempt(service: u32, h: u32): u32 {
  store<u32>(out, 0);
  switch (service) {
    case 0: return NtQueryObject(h, 0, buffer, 56, 0);                                       // ObjectBasicInformation
    case 1: return NtQueryInformationProcess(h, ProcessBasicInformation, buffer, SIZEOF_PROCESS_BASIC_INFORMATION, 0);                           // ProcessBasicInformation
    case 2: return NtDuplicateObject(SELF, h, SELF, out, 0, 0, 2);                           // DUPLICATE_SAME_ACCESS
    case 3: return NtDuplicateObject(h, 4, SELF, out, 0, 0, 2);                              // the kernel's table as the source
    case 4: store<i64>(timeout, 0); return NtWaitForSingleObject(h, 0, timeout);
    case 5: return NtOpenProcessToken(h, 0x8, out);                                          // TOKEN_QUERY
    case 6: return NtQueryKey(h, KeyBasicInformation, buffer, 512, out);                                       // KeyBasicInformation
    case 7: return NtOpenKey(out, 0x20019, relative(h, "Software", 0x40));                  // KEY_READ, RootDirectory
    case 8: return NtOpenDirectoryObject(out, 1, relative(h, "Device", 0x40));              // RootDirectory
    case 9: return NtCreateEvent(out, 0x1F0003, relative(h, "khandle", 0), 0, 0);           // RootDirectory on a create
    case 10: return NtOpenFile(out, 0x80100000, relative(h, "x", 0x40), iosb, 7, 0x20);      // RootDirectory on an I/O open
    case 11: store<u8>(buffer, 0); store<u8>(buffer, 1, 1); return NtSetInformationObject(h, 4, buffer, 2); // protect from close
    case 12: return NtMakeTemporaryObject(h);
    case 13: return NtTerminateProcess(h, 0xDEAD);
    default: return NtClose(h);
  }
}
function serviceName(service: u32): string {
  switch (service) {
    case 0: return "NtQueryObject";
    case 1: return "NtQueryInformationProcess";
    case 2: return "NtDuplicateObject (handle)";
    case 3: return "NtDuplicateObject (source process)";
    case 4: return "NtWaitForSingleObject";
    case 5: return "NtOpenProcessToken";
    case 6: return "NtQueryKey";
    case 7: return "NtOpenKey (root)";
    case 8: return "NtOpenDirectoryObject (root)";
    case 9: return "NtCreateEvent (root)";
    case 10: return "NtOpenFile (root)";
    case 11: return "NtSetInformationObject";
    case 12: return "NtMakeTemporaryObject";
    case 13: return "NtTerminateProcess";
    default: return "NtClose";
  }
}
const SERVICES: u32 = 15;

export function main(): void {
  // A user-mode OBJ_KERNEL_HANDLE (0x200) makes an ordinary handle of this process, not one in the kernel's table.
  const s = NtCreateEvent(out, 0x1F0003, relative(0, "", 0x200), 0, 0);
  const own = load<u32>(out);
  put("create with OBJ_KERNEL_HANDLE "); putHex(s); put(own >= 0x80000000 ? " kernel handle" : " user handle"); flush();
  show("query it", NtQueryObject(own, 0, buffer, 56, 0));
  NtClose(own);
  for (let service: u32 = 0; service < SERVICES; service++) {
    let accepted: u32 = 0, first: u32 = STATUS_INVALID_HANDLE;
    for (let h = FIRST; h <= LAST; h += 4) {
      const status = attempt(service, h);
      if (status != STATUS_INVALID_HANDLE) {
        if (accepted == 0) first = status;
        accepted++;
        if (service == 2 || service == 3) if (status == 0) NtClose(load<u32>(out));
      }
    }
    put(serviceName(service)); put(": "); putDec(accepted); put(" not refused, first "); putHex(first); flush();
  }
  say("done");
}

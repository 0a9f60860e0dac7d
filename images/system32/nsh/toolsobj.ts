// The shell's `obj DIR`: an object directory's entries (NtOpenDirectoryObject,
// NtQueryDirectoryObject), each with its type name, and for a symbolic link
// its target (NtOpenSymbolicLinkObject relative to the directory,
// NtQuerySymbolicLinkObject), sorted by name:
//
//   \
//   Device               Directory
//   SystemRoot           SymbolicLink    -> \Device\Harddisk0\Partition1\Windows
//   3 entries

import { ShStatus } from "./io";
import { Emit, EmitLine, Put, PutLeft, UnicodeText } from "./toolsfmt";
import { LinkTarget } from "./toolsproc";
import { NtOpenDirectoryObject, NtQueryDirectoryObject, DIRECTORY_QUERY, DIRECTORY_TRAVERSE } from "./toolsnt";
import { NtClose, STATUS_SUCCESS } from "../native/nt";
import { Attributes, Slot } from "../native/util";
import { STATUS_MORE_ENTRIES, STATUS_NO_MORE_ENTRIES } from "../../../kernel/sdk/ntstatus";

class Entry {
  constructor(public name: string, public type: string) {}
}

const BUFFER_BYTES: u32 = 4096;
const buffer = memory.data(<i32>BUFFER_BYTES, 4);
const context = memory.data(4, 4);
const returned = memory.data(4, 4);

export function Obj(args: Array<string>): i32 {
  const dir = args.length >= 1 ? args[0] : "\\";
  const h = Slot();
  let status = NtOpenDirectoryObject(h, DIRECTORY_QUERY | DIRECTORY_TRAVERSE, Attributes(dir, 0, 0));
  if (status != STATUS_SUCCESS) { ShStatus("obj: NtOpenDirectoryObject " + dir, <i32>status); return <i32>status; }
  const handle = load<u32>(h);
  const entries = new Array<Entry>();
  let restart = true;
  store<u32>(context, 0);
  while (true) {
    status = NtQueryDirectoryObject(handle, buffer, BUFFER_BYTES, false, restart, context, returned);
    restart = false;
    if (status != STATUS_SUCCESS && status != STATUS_MORE_ENTRIES) break;
    // OBJECT_DIRECTORY_INFORMATION records (Name, TypeName: UNICODE_STRINGs), a zeroed one last.
    for (let at = buffer; load<u16>(at) != 0; at += 16) entries.push(new Entry(UnicodeText(at), UnicodeText(at + 8)));
  }
  if (status != STATUS_NO_MORE_ENTRIES) {
    NtClose(handle);
    ShStatus("obj: NtQueryDirectoryObject " + dir, <i32>status);
    return <i32>status;
  }
  entries.sort((a: Entry, b: Entry): i32 => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  EmitLine(dir);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    PutLeft(e.name, 24);
    if (e.type == "SymbolicLink") {
      PutLeft(e.type, 16);
      const target = LinkTarget(e.name, handle);
      Put("-> "); Put(target.length != 0 ? target : "?");
    } else Put(e.type);
    Emit();
  }
  NtClose(handle);
  Put(entries.length.toString()); Put(entries.length == 1 ? " entry" : " entries");
  Emit();
  return 0;
}

// The object namespace from ring 3: directories, symbolic links (followed on
// create and open), case-insensitive names, enumeration, object names,
// duplication, temporary objects, and hostile buffers.
import { show, NtClose, NtCreateDirectoryObject, NtOpenDirectoryObject, NtQueryDirectoryObject, NtCreateSymbolicLinkObject, NtOpenSymbolicLinkObject,
  NtQuerySymbolicLinkObject, NtQueryObject, NtDuplicateObject, NtCreateEvent, NtOpenEvent, NtMakeTemporaryObject,
  attributes, unicode, put, putHex, putUnicode, flush } from "./nt";
import { InitializeCountedString } from "../../../kernel/sdk/ntdef";

const h = memory.data(32, 4);
const target = memory.data(8, 4);
const buffer = memory.data(1024, 4);
const context = memory.data(4, 4);
const length = memory.data(4, 4);
const linkText = memory.data(128, 4);

export function main(): void {
  show("create directory", NtCreateDirectoryObject(h, 0xF000F, attributes("\\BaseNamedObjects\\Test", 0)));
  show("create link", NtCreateSymbolicLinkObject(h + 4, 0xF0001, attributes("\\BaseNamedObjects\\Link", 0), unicode(target, "\\BaseNamedObjects\\Test")));
  show("create through the link", NtCreateEvent(h + 8, 0x1F0003, attributes("\\BaseNamedObjects\\Link\\Ev", 0), 0, 0));
  show("open case-insensitively", NtOpenEvent(h + 12, 0x1F0003, attributes("\\basenamedobjects\\TEST\\ev", 0x40)));
  show("exact case fails", NtOpenEvent(h + 16, 0x1F0003, attributes("\\basenamedobjects\\TEST\\ev", 0)));
  show("again without OPENIF", NtCreateEvent(h + 16, 0x1F0003, attributes("\\BaseNamedObjects\\Test\\Ev", 0), 0, 0));
  show("again with OPENIF", NtCreateEvent(h + 16, 0x1F0003, attributes("\\BaseNamedObjects\\Test\\Ev", 0x80), 0, 0));
  show("missing path", NtOpenEvent(h + 20, 0x1F0003, attributes("\\BaseNamedObjects\\Nope\\Ev", 0)));
  // Enumerate the directory.
  store<u32>(context, 0);
  show("query directory", NtQueryDirectoryObject(load<u32>(h), buffer, 1024, 0, 1, context, length));
  put("entry "); putUnicode(buffer); put(" type "); putUnicode(buffer + 8); flush();
  show("no more entries", NtQueryDirectoryObject(load<u32>(h), buffer, 1024, 0, 0, context, length));
  // The event's name as the object manager sees it.
  show("query name", NtQueryObject(load<u32>(h, 8), 1, buffer, 1024, length));
  put("name "); putUnicode(buffer); flush();
  // The link's target.
  show("open link", NtOpenSymbolicLinkObject(h + 24, 0x1, attributes("\\BaseNamedObjects\\Link", 0)));
  InitializeCountedString(target, <u32>linkText, 0, 128);
  show("query link", NtQuerySymbolicLinkObject(load<u32>(h, 24), target, length));
  put("target "); putUnicode(target); flush();
  // Duplicate and close.
  show("duplicate", NtDuplicateObject(0xFFFFFFFF, load<u32>(h, 8), 0xFFFFFFFF, h + 28, 0, 0, 2));
  show("different handle", load<u32>(h, 28) != load<u32>(h, 8) ? 1 : 0);
  show("close the copy", NtClose(load<u32>(h, 28)));
  // Hostile buffers.
  show("kernel buffer", NtQueryObject(load<u32>(h, 8), 1, 0x80100000, 64, 0));
  show("kernel name", NtOpenEvent(h + 20, 0x1F0003, 0x80100000));
  // Temporary objects vanish with their last handle: close every event handle, then open fails.
  NtClose(load<u32>(h, 8)); NtClose(load<u32>(h, 12)); NtClose(load<u32>(h, 16));
  show("gone after the last close", NtOpenEvent(h + 20, 0x1F0003, attributes("\\BaseNamedObjects\\Test\\Ev", 0)));
  NtClose(load<u32>(h, 24)); NtClose(load<u32>(h, 4)); NtClose(load<u32>(h));
  show("the directory too", NtOpenDirectoryObject(h, 0x1, attributes("\\BaseNamedObjects\\Test", 0)));
}

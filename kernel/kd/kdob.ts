// The debugger's object and pool queries: `object`, `pool`.
//
//   object  {path, type, entries: [{name, type, target?}]}   (a directory)
//           {path, type, target?}                             (anything else)
//   pool    {pages, bytes, allocations, tags: [{tag, allocs, frees, bytes}]}
//
// A path is looked up from the root one component at a time, without
// following symbolic links (a link is answered as itself, with its target)
// and without parse procedures (a device's files are not the namespace's):
// the debugger reads, it never opens.

import {
  ObDebugEntryObject, ObDebugIsDirectory, ObDebugIsSymbolicLink, ObDebugLinkTarget, ObDebugLookup, ObDebugNextEntry,
  ObDebugObjectName, ObDebugParentDirectory, ObDebugRootDirectory, ObDebugTypeName,
} from "../ob/obdebug";
import { ExPoolAllocationsInUse, ExPoolBytesInUse, ExPoolPages, ExPoolTagAllocs, ExPoolTagAt, ExPoolTagBytes, ExPoolTagCount, ExPoolTagFrees } from "../ex/pool";
import {
  KdpComma, KdpDecimal, KdpError, KdpMember, KdpPut, KdpRaw, KdpRoom, KdpStringBytes, KdpStringCharacter, KdpUnicodeString,
} from "./kdjson";
import { InitializeCountedString, UNICODE_STRING } from "../sdk/ntdef";

const BACKSLASH: u32 = 0x5C;
/** Directory levels a name is written through at most. */
const NAME_DEPTH: u32 = 32;
const LIST_MARGIN: u32 = 600;
/** Entries listed from one directory at most (a damaged chain cannot loop forever). */
const ENTRY_LIMIT: u32 = 4096;

/** One path component as a UNICODE_STRING for the lookup. */
const ComponentText: usize = memory.data(1024, 4);
const Component: usize = memory.data(8, 4);
/** The directories from an object up to the root, for writing its full name. */
const Chain: usize = memory.data(<i32>(NAME_DEPTH * 4), 4);

/** The inside of a UNICODE_STRING as JSON string text (no quotes). */
function KdpUnicodeText(us: usize): void {
  const length = <u32>changetype<UNICODE_STRING>(us).Length;
  const buffer = changetype<UNICODE_STRING>(us).Buffer;
  for (let i: u32 = 0; i + 1 < length; i += 2) KdpStringCharacter(<u32>load<u16>(buffer + i));
}

/**
 * An object's full name as a JSON string (`"\Windows\ApiPort"`), its own
 * name alone when it is not (or no longer) in the namespace under the root,
 * null when it has no name.
 */
export function KdpWriteObjectName(object: usize): void {
  const root = ObDebugRootDirectory();
  if (object == root) { KdpRaw("\"\\\\\""); return; }
  const own = ObDebugObjectName(object);
  if (own == 0 || load<u16>(own) == 0) { KdpRaw("null"); return; }
  let depth: u32 = 0;
  let at = object;
  while (at != root && at != 0 && depth < NAME_DEPTH) {
    store<usize>(Chain + (depth << 2), at);
    depth++;
    at = ObDebugParentDirectory(at);
  }
  KdpPut(0x22);
  if (at == root) {
    for (let i = <i32>depth - 1; i >= 0; i--) {
      KdpStringCharacter(BACKSLASH);
      KdpUnicodeText(ObDebugObjectName(load<usize>(Chain + (<u32>i << 2))));
    }
  } else {
    KdpUnicodeText(own);
  }
  KdpPut(0x22);
}

/** `"type":"...","target":"..."` for one object (target only for links). */
function KdpWriteTypeAndTarget(object: usize): void {
  KdpMember("type"); KdpUnicodeString(ObDebugTypeName(object));
  if (ObDebugIsSymbolicLink(object)) { KdpMember("target"); KdpUnicodeString(ObDebugLinkTarget(object)); }
}

/** The object named by the ASCII path at `path` (`length` bytes), or 0. */
function KdpLookupPath(path: usize, length: u32): usize {
  let object = ObDebugRootDirectory();
  if (object == 0 || length == 0 || <u32>load<u8>(path) != BACKSLASH) return 0;
  let at: u32 = 0;
  while (at < length) {
    while (at < length && <u32>load<u8>(path + at) == BACKSLASH) at++;
    if (at >= length) break;
    let end = at;
    while (end < length && <u32>load<u8>(path + end) != BACKSLASH) end++;
    if (end - at > 512) return 0;
    for (let i: u32 = at; i < end; i++) store<u16>(ComponentText + ((i - at) << 1), <u16>load<u8>(path + i));
    InitializeCountedString(Component, ComponentText, (end - at) << 1, (end - at) << 1);
    object = ObDebugLookup(object, Component);
    if (object == 0) return 0;
    at = end;
  }
  return object;
}

export function KdpQueryObject(path: usize, length: u32): void {
  const object = KdpLookupPath(path, length);
  if (object == 0) { KdpError("no object by that name (links are not followed)"); return; }
  KdpMember("path"); KdpStringBytes(path, length);
  KdpWriteTypeAndTarget(object);
  if (!ObDebugIsDirectory(object)) return;
  KdpMember("entries");
  KdpPut(0x5B);
  let index: u32 = 0;
  for (let entry = ObDebugNextEntry(object, 0); entry != 0 && index < ENTRY_LIMIT; entry = ObDebugNextEntry(object, entry)) {
    if (KdpRoom() < LIST_MARGIN) break;
    const child = ObDebugEntryObject(entry);
    KdpComma(index++);
    KdpPut(0x7B);
    KdpRaw("\"name\":");
    KdpUnicodeString(ObDebugObjectName(child));
    KdpWriteTypeAndTarget(child);
    KdpPut(0x7D);
  }
  KdpPut(0x5D);
}

export function KdpQueryPool(): void {
  KdpMember("pages"); KdpDecimal(ExPoolPages);
  KdpMember("bytes"); KdpDecimal(ExPoolBytesInUse);
  KdpMember("allocations"); KdpDecimal(ExPoolAllocationsInUse);
  KdpMember("tags");
  KdpPut(0x5B);
  const count = ExPoolTagCount();
  for (let i: u32 = 0; i < count; i++) {
    const tag = ExPoolTagAt(i);
    KdpComma(i);
    KdpPut(0x7B);
    KdpRaw("\"tag\":");
    KdpPut(0x22);
    for (let k: u32 = 0; k < 4; k++) KdpStringCharacter((tag >>> (k << 3)) & 0xFF);
    KdpPut(0x22);
    KdpMember("allocs"); KdpDecimal(ExPoolTagAllocs(tag));
    KdpMember("frees"); KdpDecimal(ExPoolTagFrees(tag));
    KdpMember("bytes"); KdpDecimal(ExPoolTagBytes(tag));
    KdpPut(0x7D);
  }
  KdpPut(0x5D);
}

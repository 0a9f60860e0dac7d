// Step 4d: the file renames and deletes that installers queue for the next
// boot (MoveFileEx with MOVEFILE_DELAY_UNTIL_REBOOT).
//
// PendingFileRenameOperations, then PendingFileRenameOperations2, is a list
// of (source, target) pairs of NT paths. An empty target deletes the source;
// a target starting with `!` may replace an existing file; without it an
// existing target makes that pair fail and both files stay. A failed pair is
// logged and the next one done. Afterwards both values are deleted and the
// hive flushed, so a second boot does not do them again. MiniNT skips this.

import { FILE_RENAME_INFORMATION, FileDispositionInformation, FileRenameInformation } from "../kernel/sdk/fileinfo";
import {
  NtClose, NtOpenFile, NtSetInformationFile, NtDeleteValueKey, NtFlushKey,
  DELETE, SYNCHRONIZE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_SHARE_DELETE, FILE_SYNCHRONOUS_IO_NONALERT, FILE_OPEN_FOR_BACKUP_INTENT,
  STATUS_SUCCESS, STATUS_OBJECT_NAME_NOT_FOUND,
} from "./ntapi";
import { SmpMiniNT, SmpRenames, SmpRenames2, SmpSessionManagerKey } from "./sminit";
import { SmpAttributes, SmpDecimal, SmpLog, SmpLogFailure, SmpSlot, SmpUnicode } from "./smutil";


/** One pair: 0 when done, else the status (already logged). */
function SmpProcessFileRename(source: string, target: string): u32 {
  const handle = SmpSlot(), iosb = SmpSlot();
  let status = NtOpenFile(handle, DELETE | SYNCHRONIZE, SmpAttributes(source, 0, 0), iosb,
    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_FOR_BACKUP_INTENT);
  if (status != STATUS_SUCCESS) {
    SmpLogFailure("NtOpenFile", status, target.length == 0 ? "delete " + source : source + " -> " + target);
    return status;
  }
  const file = load<u32>(handle);
  if (target.length == 0) {
    const info = SmpSlot();
    store<u8>(info, 1); // FILE_DISPOSITION_INFORMATION.DeleteFile
    status = NtSetInformationFile(file, iosb, info, 1, FileDispositionInformation);
    if (status != STATUS_SUCCESS) SmpLogFailure("NtSetInformationFile", status, "delete " + source);
  } else {
    const replace = target.charCodeAt(0) == 0x21; // '!'
    const name = replace ? target.substring(1, target.length) : target;
    const bytes = <u32>name.length << 1;
    const at = <u32>offsetof<FILE_RENAME_INFORMATION>("FileName");
    const info = heap.alloc(at + bytes);
    memory.fill(info, 0, at); // no RootDirectory; ReplaceIfExists's padding zero
    const rename = changetype<FILE_RENAME_INFORMATION>(info);
    rename.ReplaceIfExists = replace ? 1 : 0;
    rename.FileNameLength = bytes;
    memory.copy(info + at, changetype<usize>(name), bytes);
    status = NtSetInformationFile(file, iosb, info, at + bytes, FileRenameInformation);
    if (status != STATUS_SUCCESS) SmpLogFailure("NtSetInformationFile", status, source + " -> " + target);
  }
  NtClose(file);
  return status;
}

function SmpProcessList(list: string[], counts: Int32Array): void {
  for (let i = 0; i + 1 < list.length; i += 2) {
    if (list[i].length == 0) continue; // no source: nothing to do
    const status = SmpProcessFileRename(list[i], list[i + 1]);
    if (status == STATUS_SUCCESS) counts[list[i + 1].length == 0 ? 1 : 0]++;
    else counts[2]++;
  }
  if ((list.length & 1) != 0) { SmpLog("renames", "a source without a target at the end of the list - ignored"); counts[2]++; }
}

/** Step 4d. */
export function SmpProcessFileRenames(): void {
  if (SmpMiniNT) { SmpLog("renames", "skipped (MiniNT)"); return; }
  if (SmpRenames.length == 0 && SmpRenames2.length == 0) { SmpLog("renames", "none pending"); return; }
  const counts = new Int32Array(3); // renamed, deleted, failed
  SmpProcessList(SmpRenames, counts);
  SmpProcessList(SmpRenames2, counts);
  // The values go, whatever happened to each pair, and the hive is written at once.
  const names = ["PendingFileRenameOperations", "PendingFileRenameOperations2"];
  for (let i = 0; i < names.length; i++) {
    const status = NtDeleteValueKey(SmpSessionManagerKey, SmpUnicode(names[i]));
    if (status != STATUS_SUCCESS && status != STATUS_OBJECT_NAME_NOT_FOUND) SmpLogFailure("NtDeleteValueKey", status, names[i]);
  }
  const flushed = NtFlushKey(SmpSessionManagerKey);
  if (flushed != STATUS_SUCCESS) SmpLogFailure("NtFlushKey", flushed, "Session Manager");
  SmpLog("renames", SmpDecimal(counts[0]) + " renamed, " + SmpDecimal(counts[1]) + " deleted, " + SmpDecimal(counts[2])
    + " failed; PendingFileRenameOperations deleted, hive flushed");
}

// What Mm asks of the I/O manager. Io sits above Mm, and each needs the
// other, as in NT: an image section reads its file through Io, a paging
// file is an Io file, and Io's requests use Mm's memory. So Mm takes Io's
// routines as a registration: Io hands them in when it makes its File type
// (IoInitSystem, MmSetFileRoutines). Before that no file exists, and the
// routines answer STATUS_UNSUCCESSFUL.

import { STATUS_UNSUCCESSFUL } from "../sdk/ntstatus";

/** IoTransferFile: a synchronous read or write (IRP_MJ_READ / IRP_MJ_WRITE) of the file; `paging` for a paging file. */
export type MM_FILE_TRANSFER = (file: usize, major: u32, offset: u64, buffer: usize, length: u32, information: usize, paging: bool) => u32;
/** IoQueryFileSize: its end of file (u64) at `size`. */
export type MM_FILE_QUERY_SIZE = (file: usize, size: usize) => u32;
/** IoOpenFileObject: opens or creates a file by name, in kernel mode, the referenced file object at `file`. */
export type MM_FILE_OPEN = (objectAttributes: usize, access: u32, disposition: u32, options: u32, attributes: u32,
                            share: u32, information: usize, file: usize) => u32;
/** IoSetPagingFileSize: sets a paging file's size. */
export type MM_FILE_SET_SIZE = (file: usize, size: u64) => u32;
/** IoSetDeleteFile: marks the file to be deleted at its last close. */
export type MM_FILE_SET_DELETE = (file: usize) => u32;
/** The device the file's path named (referenced by the file), and the path on it (UTF-16, its length in bytes): at `out` (+0, +4, +8). */
export type MM_FILE_NAME = (file: usize, out: usize) => void;

function MiNoTransfer(file: usize, major: u32, offset: u64, buffer: usize, length: u32, information: usize, paging: bool): u32 { return STATUS_UNSUCCESSFUL; }
function MiNoSize(file: usize, size: usize): u32 { return STATUS_UNSUCCESSFUL; }
function MiNoOpen(objectAttributes: usize, access: u32, disposition: u32, options: u32, attributes: u32, share: u32, information: usize, file: usize): u32 {
  store<usize>(file, 0);
  return STATUS_UNSUCCESSFUL;
}
function MiNoSetSize(file: usize, size: u64): u32 { return STATUS_UNSUCCESSFUL; }
function MiNoSetDelete(file: usize): u32 { return STATUS_UNSUCCESSFUL; }
function MiNoName(file: usize, out: usize): void { memory.fill(out, 0, 12); }

/** Io's File type (\ObjectTypes\File): 0 until Io makes it. */
export let MmFileObjectType: usize = 0;
export let MmTransferFile: MM_FILE_TRANSFER = MiNoTransfer;
export let MmQueryFileSize: MM_FILE_QUERY_SIZE = MiNoSize;
export let MmOpenFile: MM_FILE_OPEN = MiNoOpen;
export let MmSetPagingFileSize: MM_FILE_SET_SIZE = MiNoSetSize;
export let MmSetDeleteFile: MM_FILE_SET_DELETE = MiNoSetDelete;
export let MmQueryFileName: MM_FILE_NAME = MiNoName;

/** Phase 1, from IoInitSystem once the File type exists. */
export function MmSetFileRoutines(fileType: usize, transfer: MM_FILE_TRANSFER, querySize: MM_FILE_QUERY_SIZE, open: MM_FILE_OPEN,
                                  setSize: MM_FILE_SET_SIZE, setDelete: MM_FILE_SET_DELETE, name: MM_FILE_NAME): void {
  MmFileObjectType = fileType;
  MmTransferFile = transfer;
  MmQueryFileSize = querySize;
  MmOpenFile = open;
  MmSetPagingFileSize = setSize;
  MmSetDeleteFile = setDelete;
  MmQueryFileName = name;
}

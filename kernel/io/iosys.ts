// The system volume: mount the file system on \Device\Harddisk0\Partition1
// and make the names the rest of the system uses: \??\C: (the partition)
// and \SystemRoot (its \Windows directory). The file system (fat, above
// Io in the layers) hands in its mount routine at boot (IoRegisterFileSystem);
// the boot hands in the partition's device, which the disk driver (drivers/,
// also above Io) made.

import { KeLog } from "../ke/log";
import { IoCreateSymbolicLink } from "./iomgr";
import { NT_SUCCESS, STATUS_UNRECOGNIZED_VOLUME } from "../sdk/ntstatus";

/** True once \SystemRoot names a mounted volume. */
export let IoSystemVolumeMounted: bool = false;

/** Mounts a file system on a partition device (logging what it found); the status. */
type IO_MOUNT_ROUTINE = (partition: usize, name: string) => u32;
function IopNoFileSystem(partition: usize, name: string): u32 { return STATUS_UNRECOGNIZED_VOLUME; }
let IopMountFileSystem: IO_MOUNT_ROUTINE = IopNoFileSystem;

/** The file system's mount routine (FatInitialize, once at boot before IoMountSystemVolume). */
export function IoRegisterFileSystem(mount: IO_MOUNT_ROUTINE): void { IopMountFileSystem = mount; }

/** Mounts the file system on `partition` (\Device\Harddisk0\Partition1's device object, or 0) and names it. */
export function IoMountSystemVolume(partition: usize): void {
  if (partition == 0) { KeLog("io", "no system partition: \\SystemRoot is not there"); return; }
  if (!NT_SUCCESS(IopMountFileSystem(partition, "\\Device\\Harddisk0\\Partition1"))) return;
  IoCreateSymbolicLink("\\??\\C:", "\\Device\\Harddisk0\\Partition1");
  IoCreateSymbolicLink("\\SystemRoot", "\\Device\\Harddisk0\\Partition1\\Windows");
  IoSystemVolumeMounted = true;
  KeLog("io", "\\??\\C: -> \\Device\\Harddisk0\\Partition1, \\SystemRoot -> \\Device\\Harddisk0\\Partition1\\Windows");
}

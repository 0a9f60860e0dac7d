// The system volume: mount the file system on \Device\Harddisk0\Partition1
// and make the names the rest of the system uses: \??\C: (the partition)
// and \SystemRoot (its \Windows directory).

import { KeLog } from "../ke/log";
import { FatMountPartition } from "../fat/fatmount";
import { IoGetPartitionDevice } from "./disk";
import { IoCreateSymbolicLink } from "./iomgr";
import { NT_SUCCESS } from "../sdk/ntstatus";

/** True once \SystemRoot names a mounted volume. */
export let IoSystemVolumeMounted: bool = false;

export function IoMountSystemVolume(): void {
  const partition = IoGetPartitionDevice(1);
  if (partition == 0) { KeLog("io", "no system partition: \\SystemRoot is not there"); return; }
  if (!NT_SUCCESS(FatMountPartition(partition, "\\Device\\Harddisk0\\Partition1"))) return;
  IoCreateSymbolicLink("\\??\\C:", "\\Device\\Harddisk0\\Partition1");
  IoCreateSymbolicLink("\\SystemRoot", "\\Device\\Harddisk0\\Partition1\\Windows");
  IoSystemVolumeMounted = true;
  KeLog("io", "\\??\\C: -> \\Device\\Harddisk0\\Partition1, \\SystemRoot -> \\Device\\Harddisk0\\Partition1\\Windows");
}

// services.exe, the service control manager: started by wininit in session
// 0. It reads HKLM\SYSTEM\CurrentControlSet\Services (each subkey one
// service: Type, Start, Group, ImagePath, DisplayName) and
// Control\ServiceGroupOrder's List, and starts the auto-start services
// (Start = 2) that run in their own process (Type 0x10,
// SERVICE_WIN32_OWN_PROCESS): group by group in the List's order, then the
// services whose group is not listed, each group's in the key's order.
// Drivers and shared-process services are named and skipped. Each start and
// each failure is logged; then services.exe waits on the service processes
// and logs each one's end with its status.
//
// Threads: one (audited 2026-12-07): it starts none, so its static buffers and
// globals have one user; the ntdll routines it calls lock for themselves.

import { NtWaitForMultipleObjects, NtDelayExecution, NtClose, STATUS_SUCCESS } from "../native/nt";
import {
  CurrentProcessId, Decimal, EqualNoCase, ExitStatus, Hex, ImagePathOf, Log, OpenKey, ReadDword, ReadMultiSz,
  ReadString, Slot, Started, StartProcess, SubKeys, TryOpenKey,
} from "../native/util";

const CCS = "\\Registry\\Machine\\SYSTEM\\CurrentControlSet";
const SERVICE_KERNEL_DRIVER: u32 = 0x1, SERVICE_FILE_SYSTEM_DRIVER: u32 = 0x2;
const SERVICE_WIN32_OWN_PROCESS: u32 = 0x10, SERVICE_WIN32_SHARE_PROCESS: u32 = 0x20;
const SERVICE_AUTO_START: u32 = 2;
const forever = memory.data<u64>([0x8000000000000000]);

class Service {
  constructor(public name: string, public type: u32, public start: u32, public group: string, public imagePath: string, public displayName: string) {}
}

function ScmReadServices(): Service[] {
  const list = new Array<Service>();
  const servicesSlot = Slot();
  const opened = TryOpenKey(CCS + "\\Services", 0, servicesSlot);
  if (opened != STATUS_SUCCESS) { Log("cannot open " + CCS + "\\Services - Status == " + Hex(opened)); return list; }
  const services = load<u32>(servicesSlot);
  const names = SubKeys(services);
  for (let i = 0; i < names.length; i++) {
    const key = OpenKey(names[i], services);
    if (key == 0) continue;
    list.push(new Service(names[i], ReadDword(key, "Type", 0), ReadDword(key, "Start", 4), ReadString(key, "Group", ""),
      ReadString(key, "ImagePath", ""), ReadString(key, "DisplayName", names[i])));
    NtClose(key);
  }
  NtClose(services);
  return list;
}

/** Auto-start services in the order they start: by ServiceGroupOrder's List, then the rest. */
function ScmStartOrder(all: Service[], groups: string[]): Service[] {
  const auto = new Array<Service>();
  for (let i = 0; i < all.length; i++) if (all[i].start == SERVICE_AUTO_START) auto.push(all[i]);
  const order = new Array<Service>();
  const taken = new Array<bool>(auto.length);
  for (let g = 0; g < groups.length; g++) {
    for (let i = 0; i < auto.length; i++) {
      if (!taken[i] && auto[i].group.length != 0 && EqualNoCase(auto[i].group, groups[g])) { order.push(auto[i]); taken[i] = true; }
    }
  }
  for (let i = 0; i < auto.length; i++) if (!taken[i]) order.push(auto[i]);
  return order;
}

export function main(): void {
  const groupKey = OpenKey(CCS + "\\Control\\ServiceGroupOrder", 0);
  const groups = ReadMultiSz(groupKey, "List");
  if (groupKey != 0) NtClose(groupKey);
  const all = ScmReadServices();
  const order = ScmStartOrder(all, groups);
  Log("process " + Decimal(CurrentProcessId()) + ": " + Decimal(all.length) + " services in the registry, "
    + Decimal(order.length) + " auto-start, " + Decimal(groups.length) + " groups in ServiceGroupOrder");
  const running = new Array<Started>();
  const runningNames = new Array<string>();
  let started = 0;
  for (let i = 0; i < order.length; i++) {
    const s = order[i];
    const what = s.name + " (" + s.displayName + (s.group.length != 0 ? ", group " + s.group : ", no group") + ")";
    if ((s.type & (SERVICE_KERNEL_DRIVER | SERVICE_FILE_SYSTEM_DRIVER)) != 0) { Log("skipped " + what + ": a driver, not a service process"); continue; }
    if ((s.type & SERVICE_WIN32_OWN_PROCESS) == 0) {
      Log("skipped " + what + ": type " + Hex(s.type) + ((s.type & SERVICE_WIN32_SHARE_PROCESS) != 0 ? " (shared process: no host here)" : ""));
      continue;
    }
    if (s.imagePath.length == 0) { Log("cannot start " + what + ": no ImagePath"); continue; }
    const p = StartProcess(ImagePathOf(s.imagePath), s.imagePath, 0, false);
    if (p.process == 0) { Log("cannot start " + what + ": " + s.imagePath + " - Status == " + Hex(p.status)); continue; }
    NtClose(p.thread);
    running.push(p);
    runningNames.push(s.name);
    started++;
    Log("started " + what + ": process " + Decimal(p.pid));
  }
  Log(Decimal(started) + " of " + Decimal(order.length) + " auto-start services started");
  const handles = heap.alloc(4 * 64);
  while (running.length != 0) {
    const n = running.length < 64 ? running.length : 64;
    for (let i = 0; i < n; i++) store<u32>(handles + (<usize>i << 2), running[i].process);
    const which = NtWaitForMultipleObjects(<u32>n, handles, 1 /* WaitAny */, 0, 0);
    if (which >= <u32>n) break;
    Log("service " + runningNames[which] + " (process " + Decimal(running[which].pid) + ") ended with status " + Hex(ExitStatus(running[which].process)));
    NtClose(running[which].process);
    running.splice(which, 1);
    runningNames.splice(which, 1);
  }
  while (true) NtDelayExecution(0, forever);
}


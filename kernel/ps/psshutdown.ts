// NtShutdownSystem: the orderly end of the machine.
//
// NT's order (ReactOS ex/shutdown.c, po/poshtdwn.c): the caller must hold
// SeShutdownPrivilege; every other process is ended (critical ones lose
// their flag first: a shutdown is not a crash), the registry's hives are
// flushed, the volumes are flushed and marked clean (FAT's clean bit), and
// then the machine powers off or resets. Each step logs one line:
//
//   ke: shutdown: power off requested by process 28 (winlogon.exe)
//   ke: shutdown: 5 processes ended
//   ke: shutdown: registry flushed
//   ke: shutdown: volumes flushed and marked clean
//   ke: power off (NtShutdownSystem)          or  ke: reset (NtShutdownSystem)
//
// Power off is a write to port 0xF4 (QEMU's isa-debug-exit and the v86
// harness both listen there; ke/idle.ts does the same for `poweroff`), then
// the ACPI PM1a control ports QEMU and Bochs use. ShutdownNoReboot says the
// machine may be turned off and powers off too when it can (the harness needs
// an end). A reset is the keyboard controller's pulse (0xFE to port 0x64),
// then the PCI reset control register (0xCF9). If nothing answers, the
// processor halts with interrupts off.

import { KeLogAsciiz, KeLogBegin, KeLogDecimal, KeLogEnd, KeLogString, KeLog, KeLogFormat1, KeLogFormat2 } from "../ke/log";
import { KeDelayExecution, KeWaitForSingleObject } from "../ke/wait";
import { HalSerialFlush } from "../hal/serial";
import { cli, hlt, outb, outw, read_eflags, sti } from "../sdk/intrinsics";
import { SeSinglePrivilegeCheck } from "../se/token";
import { SE_SHUTDOWN_PRIVILEGE } from "../se/tokenobj";
import { CmShutdownSystem } from "../cm/cmhive";
import { FatCleanVolumes } from "../fat/fatdirty";
import { KTHREAD, KeAllocateScratch, KeCurrentThread, KeForEachThread, KeFreeScratch, KeRequestTermination, KeAcquireDispatcherLock, KeReleaseDispatcherLock } from "../ke/thread";
import {
  EPROCESS, EPROCESS_ACTIVE_LINKS, EPROCESS_THREAD_LIST, PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION, PS_PROCESS_FLAGS_CRITICAL,
  PsActiveProcessHead, PsGetCurrentProcess, PsImageFileName, PsInitialSystemProcess, PspDereferenceProcess, PspReferenceProcess,
} from "./psmain";
import { NT_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_PRIVILEGE_NOT_HELD, STATUS_SYSTEM_SHUTDOWN } from "../sdk/ntstatus";

/** SHUTDOWN_ACTION. */
export const ShutdownNoReboot: u32 = 0;
export const ShutdownReboot: u32 = 1;
export const ShutdownPowerOff: u32 = 2;

/** The exit device's port and the clean status (ke/idle.ts's). */
const DEBUG_EXIT_PORT: u32 = 0xF4;
/** ACPI PM1a control: QEMU's PIIX4 (0x604) and Bochs/old QEMU (0xB004); SLP_EN with sleep type 0 = S5 there. */
const QEMU_PM1A_CONTROL: u32 = 0x604;
const BOCHS_PM1A_CONTROL: u32 = 0xB004;
const PM1_SLP_EN_S5: u32 = 0x2000;
/** The 8042's command port and its "pulse the reset line" command. */
const I8042_COMMAND_PORT: u32 = 0x64;
const I8042_PULSE_RESET: u32 = 0xFE;
/** PCI reset control register: bit 1 system reset, bit 2 do it. */
const PCI_RESET_CONTROL: u32 = 0xCF9;
const PCI_RESET_NOW: u32 = 0x06;
/** Set once, by the first caller (read and set with interrupts off). */
let PspShutdownStarted = false;
/** NtShutdownSystem has begun: processes now end because it ends them. */
export function PsShutdownInProgress(): bool { return PspShutdownStarted; }

/** NtShutdownSystem(Action). Returns only on a refusal. */
export function NtShutdownSystem(action: u32): u32 {
  if (action > ShutdownPowerOff) return STATUS_INVALID_PARAMETER;
  if (!SeSinglePrivilegeCheck(SE_SHUTDOWN_PRIVILEGE)) return STATUS_PRIVILEGE_NOT_HELD;
  // Test and set with interrupts off: two callers must not both go on.
  const f = read_eflags() & 0x200;
  cli();
  const already = PspShutdownStarted;
  PspShutdownStarted = true;
  if (f != 0) sti();
  if (already) {
    // Someone else is shutting down: wait for the end with everybody else.
    while (true) KeDelayExecution(-10000000);
  }
  const caller = PsGetCurrentProcess();
  KeLogBegin("ke");
  KeLogString("shutdown: ");
  KeLogString(action == ShutdownReboot ? "reboot" : action == ShutdownPowerOff ? "power off" : "halt (no reboot)");
  KeLogString(" requested by process ");
  KeLogDecimal(changetype<EPROCESS>(caller).UniqueProcessId);
  KeLogString(" (");
  KeLogAsciiz(PsImageFileName(caller), 15);
  KeLogString(")");
  KeLogEnd();

  const ended = PsEndOtherProcesses(caller);
  KeLogFormat2("ke", "shutdown: %u%s", ended, changetype<usize>(ended == 1 ? " process ended" : " processes ended"));

  const flushed = CmShutdownSystem();
  KeLogFormat1("ke", "%s", changetype<usize>(NT_SUCCESS(flushed) ? "shutdown: registry flushed" : "shutdown: registry flush failed"));

  FatCleanVolumes();
  KeLog("ke", "shutdown: volumes flushed and marked clean");

  cli(); // nothing runs from here: no write can dirty a volume again
  if (action == ShutdownReboot) {
    KeLog("ke", "reset (NtShutdownSystem)");
    HalSerialFlush();
    outb(I8042_COMMAND_PORT, I8042_PULSE_RESET);
    outb(PCI_RESET_CONTROL, PCI_RESET_NOW);
  } else {
    if (action == ShutdownNoReboot) {
      KeLog("ke", "shutdown: it is now safe to turn off your computer");
    }
    KeLog("ke", "power off (NtShutdownSystem)");
    HalSerialFlush();
    outb(DEBUG_EXIT_PORT, 0);
    outw(QEMU_PM1A_CONTROL, PM1_SLP_EN_S5);
    outw(BOCHS_PM1A_CONTROL, PM1_SLP_EN_S5);
  }
  while (true) hlt(); // interrupts off: the machine stays here
  return 0;
}

// ---- The end of every process but the caller ----

/** KeForEachThread's visit for a shutdown: critical or not, `thread` (but not the caller) is asked to end. */
function PspAskToEndForShutdown(thread: usize, status: usize): void {
  if (thread == KeCurrentThread) return;
  changetype<KTHREAD>(thread).CrossThreadFlags &= ~PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION;
  KeRequestTermination(thread, <u32>status);
}


/** At most this many processes are ended per round; rounds repeat until none is left. */
const SHUTDOWN_BATCH: u32 = 32;
/** EPROCESS.Flags bit (beside PS_PROCESS_FLAGS_CRITICAL): the shutdown has asked it to end. */
const PSP_PROCESS_ASKED_TO_END: u32 = 0x80000000;

/**
 * Ends every process but System and the caller (and the caller's other
 * threads): critical flags cleared, every thread asked to end, each process
 * waited for (5 s at most: one that will not end does not stop the shutdown;
 * it is not asked again).
 * Returns how many processes were ended.
 */
export function PsEndOtherProcesses(caller: usize): u32 {
  const timeout = KeAllocateScratch(8 + SHUTDOWN_BATCH * 4); // +0 the wait's timeout, +8 the batch
  const batch = timeout + 8;
  let total: u32 = 0;
  // The caller's other threads.
  PsEndProcessThreads(caller);
  while (true) {
    let n: u32 = 0;
    const f = KeAcquireDispatcherLock();
    for (let e = load<usize>(PsActiveProcessHead); e != PsActiveProcessHead && n < SHUTDOWN_BATCH; e = load<usize>(e)) {
      const process = e - EPROCESS_ACTIVE_LINKS;
      const p = changetype<EPROCESS>(process);
      if (process == PsInitialSystemProcess || process == caller || p.ActiveThreads == 0) continue;
      if ((p.Flags & PSP_PROCESS_ASKED_TO_END) != 0) continue; // asked in an earlier round and would not end
      p.Flags = (p.Flags & ~PS_PROCESS_FLAGS_CRITICAL) | PSP_PROCESS_ASKED_TO_END;
      PspReferenceProcess(process);
      store<usize>(batch + (n << 2), process);
      n++;
    }
    KeReleaseDispatcherLock(f);
    if (n == 0) break;
    for (let i: u32 = 0; i < n; i++) PsEndProcessThreads(load<usize>(batch + (i << 2)));
    for (let i: u32 = 0; i < n; i++) {
      const process = load<usize>(batch + (i << 2));
      store<i64>(timeout, -50000000); // 5 s
      KeWaitForSingleObject(process, timeout);
      PspDereferenceProcess(process);
    }
    total += n;
  }
  KeFreeScratch(timeout);
  return total;
}

/** Asks every thread of `process` but the current one to end, critical or not. */
export function PsEndProcessThreads(process: usize): void {
  const p = changetype<EPROCESS>(process);
  if (p.ExitStatus == 0 || p.ExitStatus == 0x103) p.ExitStatus = STATUS_SYSTEM_SHUTDOWN;
  KeForEachThread(process + EPROCESS_THREAD_LIST, PspAskToEndForShutdown, STATUS_SYSTEM_SHUTDOWN);
}

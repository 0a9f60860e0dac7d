// Boot-time self-test of the object manager, run when the command line has
// `selftest` (right after ObInitSystem). It works only through the services
// and the Ob routines other components use, in a handle table of its own,
// and ends with one line the boot tests look for:
//
//   ob: self-test passed: N checks
//   ob: self-test FAILED: <the first check that did not hold>
//
// The parts: the namespace, names and lifetime and links
// (selftestnames.ts), handles, queries, a registered type and handle tables
// (selftesthandles.ts), and here a leak check: 1,000 create/close cycles of
// directories and of symbolic links (each opened through), after which
// every pool tag the object manager uses and the pool's totals are where
// they were. At the end the pool is back where the test found it, apart from
// the type it registered (types are permanent).

import { KeLogBegin, KeLogCharacter, KeLogDecimal, KeLogEnd, KeLogString, KeLogFormat1 } from "../ke/log";
import { ExPoolAllocationsInUse, ExPoolBytesInUse, ExPoolTagBytes } from "../ex/pool";
import { OB_DIR_TAG, OB_DIRECTORY_KEY, OB_HANDLE_TABLE_TAG, OB_NAME_TAG, OB_SYMBOLIC_LINK_KEY, OB_SYMLINK_TARGET_TAG } from "./obp";
import { ObCloseHandle, ObCreateHandleTable, ObDestroyHandleTable, ObGetHandleCount, ObSwitchHandleTable } from "./obhandle";
import { TestCase, TestCreateOpen, TestLifetime, TestLinks, TestNamespace } from "./selftestnames";
import {
  RegisterTestType, TestCustomType, TestDuplicate, TestHandleTables, TestHandles, TestQueryDirectory, TestQueryObject,
} from "./selftesthandles";
import { CheckCount, CreateDirectory, CreateLink, Fail, Handle, OpenDirectory, ResetChecks, check, expect } from "./testutil";
import { STATUS_SUCCESS } from "../sdk/ntstatus";

const CYCLES: u32 = 1000;

/** The object manager's pool tags, in the order Snapshot records them. */
const TAG_COUNT: u32 = 6;
const Baseline: usize = memory.data(<i32>(TAG_COUNT * 4), 4);
let BaselineBytes: u32 = 0;
let BaselineAllocations: u32 = 0;

function TagAt(index: u32): u32 {
  switch (index) {
    case 0: return OB_DIRECTORY_KEY;
    case 1: return OB_SYMBOLIC_LINK_KEY;
    case 2: return OB_SYMLINK_TARGET_TAG;
    case 3: return OB_NAME_TAG;
    case 4: return OB_DIR_TAG;
  }
  return OB_HANDLE_TABLE_TAG;
}

function Snapshot(): void {
  for (let i: u32 = 0; i < TAG_COUNT; i++) store<u32>(Baseline + (i << 2), ExPoolTagBytes(TagAt(i)));
  BaselineBytes = ExPoolBytesInUse;
  BaselineAllocations = ExPoolAllocationsInUse;
}

/** One check per tag (bytes in use as at the snapshot), one for the pool's totals. */
function SameAsSnapshot(what: string): bool {
  for (let i: u32 = 0; i < TAG_COUNT; i++) {
    const before = load<u32>(Baseline + (i << 2)), after = ExPoolTagBytes(TagAt(i));
    if (before == after) {
      check(true, what);
      continue;
    }
    KeLogBegin("ob");
    KeLogString("self-test FAILED: ");
    KeLogString(what);
    KeLogString(": bytes under tag '");
    for (let shift: u32 = 0; shift < 32; shift += 8) KeLogCharacter((TagAt(i) >>> shift) & 0xFF);
    KeLogString("' went from ");
    KeLogDecimal(before);
    KeLogString(" to ");
    KeLogDecimal(after);
    KeLogEnd();
    return false;
  }
  return check(ExPoolBytesInUse == BaselineBytes && ExPoolAllocationsInUse == BaselineAllocations, what);
}

/** 1,000 directories, then 1,000 links (each with an open through it), created and closed. */
function TestLeaks(): bool {
  Snapshot();
  for (let i: u32 = 0; i < CYCLES; i++) {
    const status = CreateDirectory("\\BaseNamedObjects\\ObCycle");
    if (status != STATUS_SUCCESS) return expect(status, STATUS_SUCCESS, "create a directory in a cycle");
    ObCloseHandle(Handle());
  }
  if (!SameAsSnapshot("1000 directory create/close cycles leave the pool as it was")) return false;
  for (let i: u32 = 0; i < CYCLES; i++) {
    let status = CreateLink("\\BaseNamedObjects\\ObCycleLink", "\\Device");
    if (status != STATUS_SUCCESS) return expect(status, STATUS_SUCCESS, "create a link in a cycle");
    const link = Handle();
    status = OpenDirectory("\\BaseNamedObjects\\ObCycleLink");
    if (status != STATUS_SUCCESS) return expect(status, STATUS_SUCCESS, "open through a link in a cycle");
    ObCloseHandle(Handle());
    ObCloseHandle(link);
  }
  return SameAsSnapshot("1000 link create/open/close cycles leave the pool as it was");
}

/** Runs every part in a handle table of its own; logs the result line. */
export function ObRunSelfTest(): bool {
  ResetChecks();
  if (!RegisterTestType()) return false;
  const bytes = ExPoolBytesInUse, allocations = ExPoolAllocationsInUse;
  const table = ObCreateHandleTable();
  if (table == 0) return Fail("no pool for a handle table");
  const previous = ObSwitchHandleTable(table);
  const passed = TestNamespace() && TestCreateOpen() && TestCase() && TestLifetime() && TestLinks()
    && TestHandles(table) && TestDuplicate() && TestQueryDirectory() && TestQueryObject() && TestCustomType()
    && TestHandleTables(table) && TestLeaks();
  ObSwitchHandleTable(previous);
  const handlesLeft = ObGetHandleCount(table);
  ObDestroyHandleTable(table);
  if (!passed) return false;
  if (!check(handlesLeft == 0, "the test closed every handle it opened")) return false;
  if (!check(ExPoolBytesInUse == bytes && ExPoolAllocationsInUse == allocations, "the pool is back where the test found it")) return false;
  KeLogFormat1("ob", "self-test passed: %u checks", CheckCount());
  return true;
}

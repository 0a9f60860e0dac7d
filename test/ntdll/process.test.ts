// Process parameter blocks, user threads, critical flags, privileges and
// RtlCreateUserProcess, against JavaScript services that record what the
// routines asked for (another process's memory is this wasm memory too).
import { beforeEach, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap, hex } from './host.ts';

let h: NtdllHost;
let x: Record<string, any>;
let params: number;
let env: number;
const OTHER_PROCESS = 0x200;
beforeEach(async () => {
  h = await processWithHeap(); x = h.exports;
  params = h.alloc(0x298, 4);
  h.w32(h.peb + 0x10, params);
  h.w32(params + 8, 1); // normalized
  const dll = h.us('C:\\Windows\\System32;C:\\Windows');
  h.w32(params + 0x30, h.r32(dll)); h.w32(params + 0x34, h.r32(dll + 4));
  const cwd = h.us('C:\\Windows\\', 518);
  h.w32(params + 0x24, h.r32(cwd)); h.w32(params + 0x28, h.r32(cwd + 4));
  const slot = h.alloc(4);
  x.RtlCreateEnvironment(0, slot);
  x.RtlSetEnvironmentVariable(slot, h.us('OS'), h.us('Windows_NT'));
  env = h.r32(slot);
  h.w32(params + 0x48, env);
  // Another process's memory: the same wasm memory, reached through the same services.
  h.services.NtAllocateVirtualMemory = (p, ...a) => (p === OTHER_PROCESS || p === 0xFFFFFFFF ? h.NtAllocateVirtualMemory(0xFFFFFFFF, a[0], a[1], a[2], a[3], a[4]) : 0xC0000008);
  h.services.NtFreeVirtualMemory = (p, ...a) => (p === OTHER_PROCESS || p === 0xFFFFFFFF ? h.NtFreeVirtualMemory(0xFFFFFFFF, a[0], a[1], a[2]) : 0xC0000008);
  h.services.NtWriteVirtualMemory = (p, base, buffer, size) => {
    if (p !== OTHER_PROCESS && p !== 0xFFFFFFFF) return 0xC0000008;
    if (!h.isCommitted(base) || !h.isCommitted(base + size - 1)) return 0xC0000005;
    h.u8.copyWithin(base, buffer, buffer + size);
    return 0;
  };
});

const STRINGS: Record<string, number> = { CurrentDirectory: 0x24, DllPath: 0x30, ImagePathName: 0x38, CommandLine: 0x40, WindowTitle: 0x70, DesktopInfo: 0x78, ShellInfo: 0x80, RuntimeData: 0x88 };
const text = (p: number, field: number, denormalized: boolean) => {
  const b = h.r32(p + field + 4);
  return b === 0 ? null : h.readW(denormalized ? p + b : b, h.r16(p + field) / 2);
};

describe('process parameters', () => {
  it('RtlCreateProcessParameters: one denormalized block, defaults from the current process', () => {
    const slot = h.alloc(4);
    const status = x.RtlCreateProcessParameters(slot, h.us('\\SystemRoot\\System32\\smss.exe'), 0, h.us('C:\\Temp'), 0, 0, h.us('title'), 0, 0, 0);
    expect(status).toBe(0);
    const p = h.r32(slot);
    const size = h.r32(p);
    expect(h.r32(p + 4)).toBe(size);
    expect(h.r32(p + 8) & 1).toBe(0);
    expect(size).toBeGreaterThan(0x298 + 520);
    expect(text(p, STRINGS.ImagePathName, true)).toBe('\\SystemRoot\\System32\\smss.exe');
    expect(text(p, STRINGS.CommandLine, true)).toBe('\\SystemRoot\\System32\\smss.exe');
    expect(text(p, STRINGS.CurrentDirectory, true)).toBe('C:\\Temp\\');
    expect(h.r16(p + 0x26)).toBe(520);
    expect(text(p, STRINGS.DllPath, true)).toBe('C:\\Windows\\System32;C:\\Windows');
    expect(text(p, STRINGS.WindowTitle, true)).toBe('title');
    expect(text(p, STRINGS.DesktopInfo, true)).toBe('');
    expect(h.r16(p + 0x7A)).toBe(2);
    expect([h.r16(p + 0x88), h.r16(p + 0x8A), h.r32(p + 0x8C)]).toEqual([0, 0, 0]); // RuntimeData: none
    // A heap block: the structure and strings (Size), then a copy of the environment.
    const heap = h.r32(h.peb + 0x18);
    const envBytes = ('OS=Windows_NT'.length + 2) * 2;
    expect(h.r32(p + 0x48)).toBe(p + size);
    expect(h.readW(p + size)).toBe('OS=Windows_NT');
    expect(h.r32(p + 0x290)).toBe(envBytes);
    expect(x.RtlSizeHeap(heap, 0, p)).toBe(size + envBytes);
    for (const field of Object.values(STRINGS)) {
      if (field === STRINGS.RuntimeData) continue;
      const off = h.r32(p + field + 4);
      expect(off).toBeGreaterThanOrEqual(0x298);
      expect(off + h.r16(p + field + 2)).toBeLessThanOrEqual(size);
      expect(h.r16(p + off + h.r16(p + field))).toBe(0); // NUL-terminated
    }
    // Normalizing turns offsets into pointers, once; denormalizing undoes it.
    expect(x.RtlNormalizeProcessParams(p) >>> 0).toBe(p);
    expect(x.RtlNormalizeProcessParams(p) >>> 0).toBe(p);
    expect(h.r32(p + 8) & 1).toBe(1);
    expect(text(p, STRINGS.ImagePathName, false)).toBe('\\SystemRoot\\System32\\smss.exe');
    expect(text(p, STRINGS.CurrentDirectory, false)).toBe('C:\\Temp\\');
    x.RtlDeNormalizeProcessParams(p);
    x.RtlDeNormalizeProcessParams(p);
    expect(text(p, STRINGS.CommandLine, true)).toBe('\\SystemRoot\\System32\\smss.exe');
    expect(x.RtlDestroyProcessParameters(p)).toBe(0);
    expect(x.RtlSizeHeap(heap, 0, p) >>> 0).toBe(0xFFFFFFFF);
  });
  it('explicit strings, the current directory default and NULL normalization', () => {
    const slot = h.alloc(4);
    const e2 = h.alloc(16); h.w16(e2, 'A'.charCodeAt(0)); h.w16(e2 + 2, '='.charCodeAt(0)); h.w16(e2 + 4, '1'.charCodeAt(0));
    expect(x.RtlCreateProcessParameters(slot, h.us('a.exe'), h.us('D:\\'), 0, h.us('a.exe -x'), e2, 0, h.us('WinSta0\\Default'), h.us('sh'), h.us('rt'))).toBe(0);
    const p = x.RtlNormalizeProcessParams(h.r32(slot)) >>> 0;
    expect(text(p, STRINGS.CommandLine, false)).toBe('a.exe -x');
    expect(text(p, STRINGS.CurrentDirectory, false)).toBe('C:\\Windows\\');
    expect(text(p, STRINGS.DllPath, false)).toBe('D:\\');
    expect(text(p, STRINGS.DesktopInfo, false)).toBe('WinSta0\\Default');
    expect(text(p, STRINGS.RuntimeData, false)).toBe('rt');
    expect(h.readW(h.r32(p + 0x48))).toBe('A=1');
    expect(h.r32(p + 0x48)).not.toBe(e2);
    expect(x.RtlNormalizeProcessParams(0)).toBe(0);
    // A source's larger MaximumLength is kept.
    const roomy = h.us('cmd', 40);
    expect(x.RtlCreateProcessParameters(slot, h.us('a.exe'), 0, 0, roomy, 0, 0, 0, 0, 0)).toBe(0);
    expect(h.r16(h.r32(slot) + 0x42)).toBe(46);
  });
});

describe('threads', () => {
  it('RtlCreateUserThread: a stack reserved and committed at the top, CONTEXT and INITIAL_TEB for NtCreateThread', () => {
    let seen: Record<string, number> = {};
    h.services.NtCreateThread = (handleP, access, oa, process, cid, context, teb, suspended) => {
      seen = {
        access, oa, process, suspended, eip: h.r32(context + 0xB8), esp: h.r32(context + 0xC4), flags: h.r32(context), cs: h.r32(context + 0xBC),
        ss: h.r32(context + 0xC8), fs: h.r32(context + 0x90), eflags: h.r32(context + 0xC0),
        stackBase: h.r32(teb + 8), stackLimit: h.r32(teb + 12), allocation: h.r32(teb + 16),
      };
      h.w32(handleP, 0x44); h.w32(cid, 0x10); h.w32(cid + 4, 0x14);
      return 0;
    };
    const handle = h.alloc(4), cid = h.alloc(8);
    expect(x.RtlCreateUserThread(0xFFFFFFFF, 0, 1, 0, 0x20000, 0x3000, 0x401000, 0xCAFE, handle, cid)).toBe(0);
    expect([h.r32(handle), h.r32(cid), h.r32(cid + 4)]).toEqual([0x44, 0x10, 0x14]);
    expect(seen.eip).toBe(0x401000);
    expect(seen.suspended).toBe(1);
    expect(seen.stackBase - seen.allocation).toBe(0x20000);
    expect(seen.stackBase - seen.stackLimit).toBe(0x3000);
    expect(seen.esp).toBe(seen.stackBase - 8);
    expect([h.r32(seen.esp), h.r32(seen.esp + 4)]).toEqual([0, 0xCAFE]);
    expect(h.isCommitted(seen.stackLimit) && h.isCommitted(seen.stackBase - 1)).toBe(true);
    expect(h.isCommitted(seen.stackLimit - 1)).toBe(false);
    expect([seen.cs, seen.ss, seen.fs, seen.eflags, seen.flags]).toEqual([0x1B, 0x23, 0x3B, 0x202, 0x10007]);
    expect(seen.oa).toBe(0);
  });
  it('a failed NtCreateThread releases the stack', () => {
    h.services.NtCreateThread = () => 0xC0000017;
    const regions = h.regions.length;
    expect(x.RtlCreateUserThread(0xFFFFFFFF, 0, 0, 0, 0, 0, 0x401000, 0, h.alloc(4), 0) >>> 0).toBe(0xC0000017);
    expect(h.regions.length).toBe(regions);
  });
  it('RtlExitUserThread ends the current thread with the status', () => {
    let ended: number[] = [];
    h.services.NtTerminateThread = (t, s) => { ended = [t, s]; throw new Error('thread ended'); };
    expect(() => x.RtlExitUserThread(0x1234)).toThrow('thread ended');
    expect(ended).toEqual([0xFFFFFFFE, 0x1234]);
  });
});

describe('critical flags and privileges', () => {
  it('RtlSetProcessIsCritical and RtlSetThreadIsCritical: old value, new value, the global flag check', () => {
    const state = { process: 0, thread: 0 };
    h.services.NtQueryInformationProcess = (p, cls, info) => { expect([p, cls]).toEqual([0xFFFFFFFF, 29]); h.w32(info, state.process); return 0; };
    h.services.NtSetInformationProcess = (p, cls, info, len) => { expect([p, cls, len]).toEqual([0xFFFFFFFF, 29, 4]); state.process = h.r32(info); return 0; };
    h.services.NtQueryInformationThread = (t, cls, info) => { expect([t, cls]).toEqual([0xFFFFFFFE, 18]); h.w32(info, state.thread); return 0; };
    h.services.NtSetInformationThread = (t, cls, info) => { expect([t, cls]).toEqual([0xFFFFFFFE, 18]); state.thread = h.r32(info); return 0; };
    const old = h.alloc(4);
    h.w8(old, 0x55);
    expect(x.RtlSetProcessIsCritical(1, old, 0)).toBe(0);
    expect([state.process, h.r8(old)]).toEqual([1, 0]);
    expect(x.RtlSetProcessIsCritical(0, old, 0)).toBe(0);
    expect([state.process, h.r8(old)]).toEqual([0, 1]);
    expect(x.RtlSetThreadIsCritical(1, 0, 0)).toBe(0);
    expect(state.thread).toBe(1);
    expect(x.RtlSetProcessIsCritical(1, 0, 1) >>> 0).toBe(0xC0000001); // FLG_ENABLE_SYSTEM_CRIT_BREAKS not set
    expect(state.process).toBe(0);
    h.w32(h.peb + 0x68, 0x100000);
    expect(x.RtlSetProcessIsCritical(1, 0, 1)).toBe(0);
    expect(state.process).toBe(1);
  });
  it('RtlAdjustPrivilege: one privilege in the process or thread token, the previous state, not held', () => {
    const enabled = new Set<number>([20]);
    const held = new Set<number>([19, 20]);
    const opened: string[] = [];
    h.services.NtOpenProcessToken = (p, access, tok) => { opened.push(`process ${hex(p)} ${hex(access)}`); h.w32(tok, 0x70); return 0; };
    h.services.NtOpenThreadToken = (t, access, self, tok) => { opened.push(`thread ${hex(t)}`); if (t) return 0xC000007C; h.w32(tok, 0x74); return 0; }; // STATUS_NO_TOKEN
    h.services.NtClose = () => 0;
    h.services.NtAdjustPrivilegesToken = (token, disableAll, state, len, prev) => {
      expect([token, disableAll, len, h.r32(state)]).toEqual([0x70, 0, 16, 1]);
      const luid = h.r32(state + 4), on = (h.r32(state + 12) & 2) !== 0;
      if (!held.has(luid)) return 0x106;
      const was = enabled.has(luid);
      if (was !== on) { h.w32(prev, 1); h.w32(prev + 4, luid); h.w32(prev + 12, was ? 2 : 0); if (on) enabled.add(luid); else enabled.delete(luid); }
      else h.w32(prev, 0);
      return 0;
    };
    const was = h.alloc(1);
    expect(x.RtlAdjustPrivilege(19, 1, 0, was)).toBe(0);
    expect([enabled.has(19), h.r8(was)]).toEqual([true, 0]);
    expect(x.RtlAdjustPrivilege(19, 1, 0, was)).toBe(0);
    expect(h.r8(was)).toBe(1);
    expect(x.RtlAdjustPrivilege(20, 0, 0, was)).toBe(0);
    expect([enabled.has(20), h.r8(was)]).toEqual([false, 1]);
    expect(x.RtlAdjustPrivilege(2, 1, 0, was) >>> 0).toBe(0xC0000061);
    expect(x.RtlAdjustPrivilege(19, 1, 1, was) >>> 0).toBe(0xC000007C);
    expect(opened[0]).toBe('process 0xFFFFFFFF 0x00000028');
    expect(opened.at(-1)).toBe('thread 0xFFFFFFFE');
  });
});

describe('RtlCreateUserProcess', () => {
  const REMOTE_PEB_SIZE = 0x1000;
  let remotePeb = 0;
  let log: string[] = [];
  let thread: Record<string, number> = {};
  beforeEach(() => {
    remotePeb = h.reserve(REMOTE_PEB_SIZE, true);
    log = []; thread = {};
    h.services.NtOpenFile = (fh, access, oa, iosb, share, options) => {
      log.push(`open ${h.readUS(h.r32(oa + 8))} ${hex(access)} attr ${hex(h.r32(oa + 12))} share ${share} options ${hex(options)}`);
      h.w32(fh, 0x10); return 0;
    };
    h.services.NtCreateSection = (sh, access, oa, size, protect, attributes, file) => {
      log.push(`section ${hex(attributes)} ${hex(protect)} file ${hex(file)}`); h.w32(sh, 0x14); return 0;
    };
    h.services.NtClose = (handle) => { log.push(`close ${hex(handle)}`); return 0; };
    h.services.NtCreateProcess = (ph, access, oa, parent, inherit, section) => {
      log.push(`process parent ${hex(parent)} inherit ${inherit} section ${hex(section)}`); h.w32(ph, OTHER_PROCESS); return 0;
    };
    h.services.NtQuerySection = (section, cls, info, len) => {
      expect([section, cls, len]).toEqual([0x14, 1, 0x30]);
      h.w32(info, 0x401234); h.w32(info + 8, 0x40000); h.w32(info + 12, 0x2000); h.w32(info + 16, 1);
      return 0;
    };
    h.services.NtQueryInformationProcess = (p, cls, info) => { expect([p, cls]).toEqual([OTHER_PROCESS, 0]); h.w32(info + 4, remotePeb); return 0; };
    h.services.NtCreateThread = (th, access, oa, process, cid, context, teb, suspended) => {
      thread = { process, suspended, eip: h.r32(context + 0xB8), esp: h.r32(context + 0xC4), reserve: h.r32(teb + 8) - h.r32(teb + 16) };
      h.w32(th, 0x18); h.w32(cid, 0x30); h.w32(cid + 4, 0x34); return 0;
    };
  });
  it('opens the image, makes an image section and a process, copies the parameters and starts a suspended thread', () => {
    const slot = h.alloc(4);
    x.RtlCreateProcessParameters(slot, h.us('\\SystemRoot\\System32\\csrss.exe'), 0, 0, h.us('csrss.exe ObjectDirectory=\\Windows'), 0, 0, 0, 0, 0);
    const p = h.r32(slot);
    const info = h.alloc(0x44);
    const status = x.RtlCreateUserProcess(h.us('\\SystemRoot\\System32\\csrss.exe'), 0x40, p, 0, 0, 0, 0, 0, 0, info);
    expect(hex(status)).toBe(hex(0));
    expect(log).toEqual([
      'open \\SystemRoot\\System32\\csrss.exe 0x00100021 attr 0x00000040 share 5 options 0x00000060',
      'section 0x01000000 0x00000010 file 0x00000010',
      'close 0x00000010',
      'process parent 0xFFFFFFFF inherit 0 section 0x00000014',
      'close 0x00000014',
    ]);
    expect([h.r32(info), h.r32(info + 4), h.r32(info + 8), h.r32(info + 12), h.r32(info + 16)]).toEqual([0x44, OTHER_PROCESS, 0x18, 0x30, 0x34]);
    expect(h.r32(info + 20)).toBe(0x401234);
    expect(thread).toMatchObject({ process: OTHER_PROCESS, suspended: 1, eip: 0x401234, reserve: 0x40000 });
    expect(h.r32(thread.esp + 4)).toBe(remotePeb); // the entry point gets the PEB
    // The new process's PEB points at a denormalized copy whose environment was copied too.
    const remote = h.r32(remotePeb + 0x10);
    expect(remote).not.toBe(p);
    expect(h.r32(remote + 8) & 1).toBe(0);
    expect(text(remote, STRINGS.CommandLine, true)).toBe('csrss.exe ObjectDirectory=\\Windows');
    expect(text(remote, STRINGS.CurrentDirectory, true)).toBe('C:\\Windows\\');
    const remoteEnv = h.r32(remote + 0x48);
    expect(remoteEnv).toBe(remote + h.r32(remote)); // right after the copied block, as in the original
    expect(h.readW(remoteEnv)).toBe('OS=Windows_NT');
    expect(h.r32(p + 0x48)).toBe(p + h.r32(p)); // the caller's block is as it was
  });
  it('an environment outside the block is copied on its own', () => {
    const slot = h.alloc(4);
    x.RtlCreateProcessParameters(slot, h.us('x.exe'), 0, 0, 0, 0, 0, 0, 0, 0);
    const p = h.r32(slot);
    h.w32(p + 0x48, env); // a caller's own environment
    expect(x.RtlCreateUserProcess(h.us('\\??\\C:\\x.exe'), 0x40, p, 0, 0, 0, 0, 0, 0, h.alloc(0x44))).toBe(0);
    const remote = h.r32(remotePeb + 0x10);
    const remoteEnv = h.r32(remote + 0x48);
    expect(remoteEnv).not.toBe(env);
    expect(h.regionOf(remoteEnv)).not.toBe(h.regionOf(remote));
    expect(h.readW(remoteEnv)).toBe('OS=Windows_NT');
    expect(h.r32(p + 0x48)).toBe(env);
  });
  it('a failed section is returned, with the file closed and no process made', () => {
    h.services.NtCreateSection = () => 0xC000007B; // STATUS_INVALID_IMAGE_FORMAT
    const slot = h.alloc(4);
    x.RtlCreateProcessParameters(slot, h.us('x.exe'), 0, 0, 0, 0, 0, 0, 0, 0);
    const info = h.alloc(0x44);
    expect(x.RtlCreateUserProcess(h.us('\\??\\C:\\x.exe'), 0x40, h.r32(slot), 0, 0, 0, 0, 0, 0, info) >>> 0).toBe(0xC000007B);
    expect(log).toEqual(['open \\??\\C:\\x.exe 0x00100021 attr 0x00000040 share 5 options 0x00000060', 'close 0x00000010']);
    expect(h.r32(info + 4)).toBe(0);
  });
  it('a failed thread closes the new process', () => {
    h.services.NtCreateThread = () => 0xC0000017;
    const slot = h.alloc(4);
    x.RtlCreateProcessParameters(slot, h.us('x.exe'), 0, 0, 0, 0, 0, 0, 0, 0);
    const info = h.alloc(0x44);
    expect(x.RtlCreateUserProcess(h.us('\\??\\C:\\x.exe'), 0x40, h.r32(slot), 0, 0, 0, 0, 0, 0, info) >>> 0).toBe(0xC0000017);
    expect(log).toContain(`close ${hex(OTHER_PROCESS)}`);
    expect(h.r32(info + 4)).toBe(0);
  });
});

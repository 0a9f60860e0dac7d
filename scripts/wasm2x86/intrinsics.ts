// Pass 4, select (continued): imports from the "kernel" module (api.ts lists
// them), as inline instructions or calls of small runtime routines.

import type { FunctionSelector } from './select.ts';
import type { V } from './vstack.ts';
import { EAX, EDX, reg, imm, mem } from './x86.ts';

/** Inline instructions for imports from the "kernel" module. */
export function emitIntrinsic(sel: FunctionSelector, fi: number): void {
  const { ctx, vs } = sel;
  const imp = ctx.mod.imports.filter((i) => i.kind === 'func')[fi];
  const name = imp.name;
  const portOp = (p: V) => {
    if (p.k === 'const' && (p.lo >>> 0) < 256) return imm(p.lo);
    vs.toFixed(p, EDX);
    return reg(EDX, 2);
  };
  const sizeOf = (n: string) => (n.endsWith('b') ? 1 : n.endsWith('w') ? 2 : 4) as 1 | 2 | 4;
  switch (name) {
    case 'inb': case 'inw': case 'inl': {
      const p = vs.pop();
      const port = portOp(p);
      vs.evict(EAX, [EDX]);
      const s = sizeOf(name);
      sel.e('in', reg(EAX, s), port);
      if (s < 4) sel.e('movzx', reg(EAX), reg(EAX, s));
      vs.free(p);
      vs.pushReg('i32', EAX);
      return;
    }
    case 'outb': case 'outw': case 'outl': {
      const v = vs.pop(); const p = vs.pop();
      vs.toFixed(v, EAX);
      vs.owner[EAX] = v;
      const port = portOp(p);
      sel.e('out', port, reg(EAX, sizeOf(name)));
      vs.free(v); vs.free(p);
      return;
    }
    case 'cli': case 'sti': case 'hlt': case 'pause': sel.e(name); return;
    case 'lgdt': case 'lidt': case 'invlpg': {
      const v = vs.pop();
      const r = vs.toReg(v);
      sel.e(name, mem(name === 'invlpg' ? 1 : 4, r, 0));
      vs.free(v);
      return;
    }
    case 'ltr': { const v = vs.pop(); const r = vs.toReg(v); sel.e('ltr', reg(r, 2)); vs.free(v); return; }
    case 'read_cr0': case 'read_cr2': case 'read_cr3': case 'read_cr4': {
      const r = vs.alloc();
      sel.e('mov', reg(r), { k: 'cr', r: Number(name[7]) });
      vs.pushReg('i32', r);
      return;
    }
    case 'write_cr0': case 'write_cr3': case 'write_cr4': {
      const v = vs.pop(); const r = vs.toReg(v);
      sel.e('mov', { k: 'cr', r: Number(name[8]) }, reg(r));
      vs.free(v);
      return;
    }
    case 'read_eflags': { const r = vs.alloc(); sel.e('pushfd'); sel.e('pop', reg(r)); vs.pushReg('i32', r); return; }
    case 'rdtsc': { vs.evict(EAX); vs.reserve(EAX); vs.evict(EDX); vs.unreserve(EAX); sel.e('rdtsc'); vs.pushReg('i64', EAX, EDX); return; }
    case 'cpuid': sel.callLabel(ctx.helper('cpuid'), 3, null); return;
    case 'swap_context': sel.callLabel(ctx.helper('swap_context'), 3, null); return;
    case 'wrmsr': sel.callLabel(ctx.helper('wrmsr'), 2, null); return;
    case 'user_copy': sel.callLabel(ctx.helper('usercopy'), 3, 'i32'); return;
    case 'user_store32': ctx.helper('usercopy'); sel.callLabel(`${ctx.prefix}__rt_userstore32`, 2, 'i32'); return;
    case 'exception_table': {
      ctx.helper('usercopy');
      const r = vs.alloc();
      sel.e('mov', reg(r), imm(0, `${ctx.prefix}__ex_table`));
      vs.pushReg('i32', r);
      return;
    }
    case 'sysenter_entry': {
      ctx.helper('interrupts'); ctx.helper('sysenter');
      const r = vs.alloc();
      sel.e('mov', reg(r), imm(0, `${ctx.prefix}__sysenter`));
      vs.pushReg('i32', r);
      return;
    }
    case 'call_address': sel.callLabel(ctx.helper('call_address'), 3, 'i32'); return;
    case 'export_table': {
      const r = vs.alloc();
      sel.e('mov', reg(r), imm(0, '__export_table'));
      vs.pushReg('i32', r);
      return;
    }
    case 'boot_modules': {
      const r = vs.alloc();
      sel.e('mov', reg(r), imm(0, '__boot_modules'));
      vs.pushReg('i32', r);
      return;
    }
    case 'trap_exit': {
      const r = vs.alloc();
      sel.e('mov', reg(r), imm(0, `${ctx.prefix}__int_exit`));
      vs.pushReg('i32', r);
      ctx.helper('interrupts');
      return;
    }
    case 'trap_entry': {
      const v = vs.pop();
      if (v.k === 'const') { const r = vs.alloc(); sel.e('mov', reg(r), imm(0, `${ctx.prefix}__int${v.lo & 255}`)); vs.pushReg('i32', r); return; }
      const r = vs.toReg(v);
      sel.e('and', reg(r), imm(255));
      sel.e('mov', reg(r), mem(4, undefined, 0, r, 4, `${ctx.prefix}__int_table`));
      vs.free(v); vs.pushReg('i32', r);
      ctx.helper('interrupts');
      return;
    }
    case 'func_address': {
      const v = vs.pop(); const r = vs.toReg(v);
      const t0 = ctx.tables[0];
      if (!t0 || t0.size === 0) { sel.e('mov', reg(r), imm(0)); }
      else sel.e('mov', reg(r), mem(4, undefined, 0, r, 8, t0.label));
      vs.free(v); vs.pushReg('i32', r);
      return;
    }
  }
  throw new Error(`unknown intrinsic kernel.${name}`);
}

// Intrinsics: the few machine instructions AssemblyScript cannot express.
//
// Each declaration is a WebAssembly import from module "kernel". The
// translator (scripts/wasm2x86) matches imports on (module, name) and emits
// the instruction inline at the call site, so these cost nothing more than the
// instruction itself. The host test (test/kernel/wasm-host.test.ts) supplies
// JavaScript versions of the same imports. Every integer is an i32 unless the
// type says otherwise; ports and values are zero-extended.
//
// This file is the only place that declares them: the list must match the
// translator's table exactly.

// ---- Port I/O ----

/** `in al, dx`: one byte from an I/O port. */
@external("kernel", "inb") export declare function inb(port: u32): u32;
/** `in ax, dx`: one 16-bit word from an I/O port. */
@external("kernel", "inw") export declare function inw(port: u32): u32;
/** `in eax, dx`: one dword from an I/O port. */
@external("kernel", "inl") export declare function inl(port: u32): u32;
/** `out dx, al` */
@external("kernel", "outb") export declare function outb(port: u32, value: u32): void;
/** `out dx, ax` */
@external("kernel", "outw") export declare function outw(port: u32, value: u32): void;
/** `out dx, eax` */
@external("kernel", "outl") export declare function outl(port: u32, value: u32): void;

// ---- Interrupt flag and halting ----

/** Clear EFLAGS.IF: maskable interrupts off. */
@external("kernel", "cli") export declare function cli(): void;
/** Set EFLAGS.IF: maskable interrupts on (after the next instruction). */
@external("kernel", "sti") export declare function sti(): void;
/** Halt until the next interrupt (forever when IF is clear). */
@external("kernel", "hlt") export declare function hlt(): void;
/** Spin-wait hint. */
@external("kernel", "pause") export declare function pause(): void;
/** `pushfd; pop`: the current EFLAGS. */
@external("kernel", "read_eflags") export declare function read_eflags(): u32;

// ---- Descriptor tables ----

/** `lgdt [address]`: address of a 6-byte pseudo-descriptor (limit u16, base u32). */
@external("kernel", "lgdt") export declare function lgdt(descriptorAddress: usize): void;
/** `lidt [address]`: address of a 6-byte pseudo-descriptor (limit u16, base u32). */
@external("kernel", "lidt") export declare function lidt(descriptorAddress: usize): void;
/** `ltr`: load the task register with a GDT selector. */
@external("kernel", "ltr") export declare function ltr(selector: u32): void;

// ---- Control registers and the TLB ----

@external("kernel", "read_cr0") export declare function read_cr0(): u32;
/** The linear address of the last page fault. */
@external("kernel", "read_cr2") export declare function read_cr2(): u32;
@external("kernel", "read_cr3") export declare function read_cr3(): u32;
@external("kernel", "read_cr4") export declare function read_cr4(): u32;
@external("kernel", "write_cr0") export declare function write_cr0(value: u32): void;
@external("kernel", "write_cr3") export declare function write_cr3(value: u32): void;
@external("kernel", "write_cr4") export declare function write_cr4(value: u32): void;
/** Drop the TLB entry for the page holding `address`. */
@external("kernel", "invlpg") export declare function invlpg(address: usize): void;

// ---- Processor identification and time ----

/** The time-stamp counter. */
@external("kernel", "rdtsc") export declare function rdtsc(): u64;
/** `cpuid` with eax = leaf, ecx = subleaf; stores eax, ebx, ecx, edx as four u32 at `out`. */
@external("kernel", "cpuid") export declare function cpuid(leaf: u32, subleaf: u32, out: usize): void;

// ---- Addresses of generated code ----

/** Address of the toolchain-generated interrupt entry stub for `vector` (0-255). */
@external("kernel", "trap_entry") export declare function trap_entry(vector: u32): usize;
/**
 * Machine address of the function in slot `tableIndex` of the wasm function
 * table. `load<u32>(changetype<usize>(someFunction))` gives a function's slot.
 */
@external("kernel", "func_address") export declare function func_address(tableIndex: u32): usize;

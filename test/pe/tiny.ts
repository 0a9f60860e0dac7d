// Tiny PE32 images of a few hand-assembled instructions, for the boot tests
// and the bench: a native program that prints and exits with 0x1234, and a
// stand-in ntdll.dll whose LdrInitializeThunk continues into the program;
// stand-in smss.exe programs for the kernel to start (one sleeps, one checks
// and shows its process parameters, then sleeps).
// They call the kernel with int 0x2e directly (service numbers from
// scripts/services.ts), so they need no imports.

import { peLayout, peWrite, type PeImageSpec } from '../../scripts/pe/writer.ts';
import { SERVICES } from '../../scripts/services.ts';

/**
 * A tiny image: `text` as a UNICODE_STRING in .rdata, and .text made by
 * `code(ustr, service)` from the string's address and service numbers
 * (scripts/services.ts), both absolute addresses relocated.
 */
function tinyImage(base: number, text: string, code: (ustr: number, service: (name: string) => number) => number[],
                   extra: Partial<PeImageSpec> = {}): Uint8Array {
  const service = (name: string) => SERVICES.findIndex((x) => x.name === name);
  const rdata = new Uint8Array(8 + text.length * 2);
  const bytes = new Uint8Array(48);
  const spec: PeImageSpec = {
    imageBase: base,
    sections: [{ name: '.text', kind: 'text', data: bytes }, { name: '.rdata', kind: 'rdata', data: rdata }],
    entry: { section: '.text', offset: 0 },
    ...extra,
  };
  const ustr = base + peLayout(spec).rva({ section: '.rdata', offset: 0 });
  const dv = new DataView(rdata.buffer);
  dv.setUint16(0, text.length * 2, true); dv.setUint16(2, text.length * 2, true); dv.setUint32(4, ustr + 8, true);
  for (let i = 0; i < text.length; i++) dv.setUint16(8 + i * 2, text.charCodeAt(i), true);
  bytes.set(code(ustr, service));
  return peWrite({ ...spec, relocations: [{ section: '.text', offset: 1 }, { section: '.rdata', offset: 4 }] }).bytes;
}

const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

/** A native program, no imports: shows a line with NtDisplayString and ends with status 0x1234, through int 0x2e. */
export function helloImage(): Uint8Array {
  return tinyImage(0x00400000, 'Hello from a PE image', (ustr, service) => [
    0x68, ...le(ustr),                                               // push &ustr
    0xb8, ...le(service('NtDisplayString')), 0x89, 0xe2, 0xcd, 0x2e, // mov eax, n; mov edx, esp; int 0x2e
    0x83, 0xc4, 0x04,                                                // add esp, 4
    0x68, ...le(0x1234), 0x6a, 0xff,                                 // push 0x1234; push -1
    0xb8, ...le(service('NtTerminateProcess')), 0x89, 0xe2, 0xcd, 0x2e,
    0xeb, 0xfe,                                                      // jmp $ (not reached)
  ]);
}

/**
 * A stand-in ntdll.dll: its one export, LdrInitializeThunk(Context,
 * NtdllBase), shows a line and continues into the context with NtContinue,
 * as the real one does once it has loaded the program's imports.
 */
export function ntdllImage(): Uint8Array {
  return tinyImage(0x7c900000, 'LdrInitializeThunk, continuing into the program', (ustr, service) => [
    0x68, ...le(ustr),                                               // push &ustr
    0xb8, ...le(service('NtDisplayString')), 0x89, 0xe2, 0xcd, 0x2e, // NtDisplayString
    0x83, 0xc4, 0x04,                                                // add esp, 4
    0x8b, 0x4c, 0x24, 0x04,                                          // mov ecx, [esp+4]: the context
    0x6a, 0x00, 0x51,                                                // push 0 (TestAlert); push ecx
    0xb8, ...le(service('NtContinue')), 0x89, 0xe2, 0xcd, 0x2e,      // NtContinue: does not return
    0xeb, 0xfe,                                                      // (35 bytes so far)
    0x90, 0x90, 0x90, 0x90, 0x90,
    0xb8, 1, 0, 0, 0, 0xc2, 12, 0,                                   // +40, DllMain: return TRUE
  ], {
    dll: true,
    entry: { section: '.text', offset: 40 },
    exports: { dllName: 'ntdll.dll', functions: [{ name: 'LdrInitializeThunk', rva: { section: '.text', offset: 0 } }] },
  });
}

/** helloImage built for the Windows console subsystem (IMAGE_SUBSYSTEM_WINDOWS_CUI, 3): a valid image the kernel must not start as smss. */
export function consoleHelloImage(): Uint8Array {
  return tinyImage(0x00400000, 'Hello from a PE image', (ustr, service) => [
    0x68, ...le(ustr),
    0xb8, ...le(service('NtDisplayString')), 0x89, 0xe2, 0xcd, 0x2e,
    0x83, 0xc4, 0x04,
    0x68, ...le(0x1234), 0x6a, 0xff,
    0xb8, ...le(service('NtTerminateProcess')), 0x89, 0xe2, 0xcd, 0x2e,
    0xeb, 0xfe,
  ], { subsystem: 3 });
}

/** Machine code with labels: bytes, `{ label }` marks, and jumps (rel32) to a label. */
type Asm = number | { label: string } | { jump: 'jmp' | 'je' | 'jne'; to: string };

function assemble(items: Asm[]): number[] {
  const size = (i: Asm) => (typeof i === 'number' ? 1 : 'label' in i ? 0 : i.jump === 'jmp' ? 5 : 6);
  const labels = new Map<string, number>();
  let at = 0;
  for (const i of items) { if (typeof i !== 'number' && 'label' in i) labels.set(i.label, at); at += size(i); }
  const out: number[] = [];
  for (const i of items) {
    if (typeof i === 'number') { out.push(i); continue; }
    if ('label' in i) continue;
    const target = labels.get(i.to);
    if (target === undefined) throw new Error(`no label ${i.to}`);
    const op = i.jump === 'jmp' ? [0xe9] : i.jump === 'je' ? [0x0f, 0x84] : [0x0f, 0x85];
    out.push(...op, ...le((target - (out.length + op.length + 4)) | 0));
  }
  return out;
}

/** A native .exe of position-independent code only (no strings, no relocations). */
function codeImage(code: number[]): Uint8Array {
  return peWrite({ imageBase: 0x00400000, sections: [{ name: '.text', kind: 'text', data: new Uint8Array(code) }], entry: { section: '.text', offset: 0 } }).bytes;
}

const service = (name: string) => SERVICES.findIndex((x) => x.name === name);
/** int 0x2e with the arguments pushed (last first) just before: eax the service, edx the arguments. */
const syscall = (name: string): number[] => [0xb8, ...le(service(name)), 0x89, 0xe2, 0xcd, 0x2e];
/** NtDelayExecution(FALSE, -(2^63 - 1)) in a loop: sleeps for good. */
const sleepForever = (): Asm[] => [
  { label: 'sleep' },
  0x68, ...le(0x80000000), 0x6a, 0x01, // push the interval's high and low halves: 0x8000000000000001
  0x89, 0xe1, 0x51, 0x6a, 0x00,        // mov ecx, esp; push ecx (DelayInterval); push 0 (Alertable)
  ...syscall('NtDelayExecution'),
  0x83, 0xc4, 0x10,                    // add esp, 16
  { jump: 'jmp', to: 'sleep' },
];

/** A stand-in smss.exe that sleeps for good at once: what a boot without boot modules needs to reach the idle loop. */
export function sleepingSmssImage(): Uint8Array {
  return codeImage(assemble(sleepForever()));
}

/**
 * A stand-in smss.exe that checks what the kernel gives the first process,
 * then sleeps for good: its argument (NtProcessStartup's, at [esp+4]) is the
 * PEB (fs:[0x30]); PEB->ProcessParameters is there and denormalized (Flags
 * without RTL_USER_PROC_PARAMS_NORMALIZED, 1). It shows, one NtDisplayString
 * line each, CommandLine, ImagePathName, CurrentDirectory.DosPath and
 * DllPath (their Buffers made pointers by adding the block's address), then
 * the environment's strings up to its empty one (Environment is a pointer).
 * The block's lengths are checked too: MaximumLength equal to Length,
 * CurrentDirectory.DosPath 22 bytes with room for MAX_PATH characters (520),
 * ImagePathName and CommandLine 58 bytes in 60, DllPath 38 in 40, and
 * CommandLine NUL-terminated. A failed check ends it with a status of its
 * own (customer bit set): 0xE0000001 wrong argument, 0xE0000002 no
 * parameters, 0xE0000003 normalized, 0xE0000004 no environment, 0xE0000005
 * the block's lengths, 0xE0000006 a string's lengths, 0xE0000007 no NUL;
 * else the failing NtDisplayString's status.
 */
export function paramsSmssImage(): Uint8Array {
  const fail = (label: string, status: number): Asm[] => [{ label }, 0x68, ...le(status), 0x6a, 0xff, ...syscall('NtTerminateProcess'), 0xeb, 0xfe];
  // Shows the UNICODE_STRING at [ebx + field] with its Buffer offset made a pointer.
  const show = (field: number): Asm[] => [
    0x8b, 0x43, field,              // mov eax, [ebx+field]: Length, MaximumLength
    0x8b, 0x4b, field + 4,          // mov ecx, [ebx+field+4]: Buffer, an offset
    0x01, 0xd9,                     // add ecx, ebx
    0x51, 0x50, 0x89, 0xe1, 0x51,   // push ecx; push eax; mov ecx, esp; push ecx
    ...syscall('NtDisplayString'),
    0x83, 0xc4, 0x0c,               // add esp, 12
    0x85, 0xc0, { jump: 'jne', to: 'failed' }, // test eax, eax
  ];
  // The UNICODE_STRING at [ebx + field] has these Length and MaximumLength.
  const lengths = (field: number, length: number, maximum: number): Asm[] => [
    0x81, 0x7b, field, ...le(length | (maximum << 16)), // cmp dword [ebx+field], imm32
    { jump: 'jne', to: 'stringLength' },
  ];
  return codeImage(assemble([
    0x8b, 0x5c, 0x24, 0x04,                         // mov ebx, [esp+4]: the argument
    0x64, 0x3b, 0x1d, 0x30, 0x00, 0x00, 0x00,       // cmp ebx, fs:[0x30]: the PEB
    { jump: 'jne', to: 'badArgument' },
    0x8b, 0x5b, 0x10,                               // mov ebx, [ebx+0x10]: ProcessParameters
    0x85, 0xdb, { jump: 'je', to: 'noParameters' }, // test ebx, ebx
    0xf6, 0x43, 0x08, 0x01,                         // test byte [ebx+8], 1: Flags & NORMALIZED
    { jump: 'jne', to: 'normalized' },
    0x8b, 0x03, 0x3b, 0x43, 0x04,                   // mov eax, [ebx]; cmp eax, [ebx+4]: MaximumLength, Length
    { jump: 'jne', to: 'blockLength' },
    ...lengths(0x24, 22, 520), ...lengths(0x30, 38, 40), ...lengths(0x38, 58, 60), ...lengths(0x40, 58, 60),
    0x8b, 0x43, 0x44, 0x01, 0xd8,                   // mov eax, [ebx+0x44]; add eax, ebx: CommandLine's text
    0x0f, 0xb7, 0x4b, 0x40,                         // movzx ecx, word [ebx+0x40]: its Length
    0x66, 0x83, 0x3c, 0x08, 0x00,                   // cmp word [eax+ecx], 0
    { jump: 'jne', to: 'noNul' },
    ...show(0x40), ...show(0x38), ...show(0x24), ...show(0x30),
    0x8b, 0x7b, 0x48,                               // mov edi, [ebx+0x48]: Environment
    0x85, 0xff, { jump: 'je', to: 'noEnvironment' },
    { label: 'variable' },
    0x31, 0xc9,                                     // xor ecx, ecx
    { label: 'scan' },
    0x66, 0x83, 0x3c, 0x4f, 0x00,                   // cmp word [edi+ecx*2], 0
    { jump: 'je', to: 'scanned' },
    0x41, { jump: 'jmp', to: 'scan' },              // inc ecx
    { label: 'scanned' },
    0x85, 0xc9, { jump: 'je', to: 'done' },         // the empty string ends the block
    0x8d, 0x74, 0x4f, 0x02,                         // lea esi, [edi+ecx*2+2]: the next string
    0xd1, 0xe1,                                     // shl ecx, 1: bytes
    0x89, 0xc8, 0xc1, 0xe0, 0x10, 0x09, 0xc8,       // mov eax, ecx; shl eax, 16; or eax, ecx: Length = MaximumLength
    0x57, 0x50, 0x89, 0xe1, 0x51,                   // push edi; push eax; mov ecx, esp; push ecx
    ...syscall('NtDisplayString'),
    0x83, 0xc4, 0x0c,
    0x85, 0xc0, { jump: 'jne', to: 'failed' },
    0x89, 0xf7,                                     // mov edi, esi
    { jump: 'jmp', to: 'variable' },
    { label: 'done' },
    ...sleepForever(),
    ...fail('badArgument', 0xe0000001), ...fail('noParameters', 0xe0000002), ...fail('normalized', 0xe0000003),
    ...fail('noEnvironment', 0xe0000004), ...fail('blockLength', 0xe0000005), ...fail('stringLength', 0xe0000006),
    ...fail('noNul', 0xe0000007),
    { label: 'failed' }, 0x50, 0x6a, 0xff, ...syscall('NtTerminateProcess'), 0xeb, 0xfe, // push eax; push -1
  ]));
}

// Print a PE32 image's headers, sections, imports, exports and relocation
// summary, like a short `objdump -p`, after the reader's checks:
//
//   npx tsx scripts/pe/dump.ts FILE [--relocs]
//
// A broken image prints the rule it breaks and its NTSTATUS and exits 1.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  DIRECTORY_NAMES, FILE_DLL, FILE_EXECUTABLE_IMAGE, FILE_RELOCS_STRIPPED, FILE_32BIT_MACHINE, PeError,
  RELOC_TYPE_NAMES, SCN_CNT_CODE, SCN_CNT_INITIALIZED_DATA, SCN_CNT_UNINITIALIZED_DATA, SCN_MEM_DISCARDABLE,
  SCN_MEM_EXECUTE, SCN_MEM_READ, SCN_MEM_WRITE, SUBSYSTEM_NAMES, hex, statusText,
} from './format.ts';
import { type PeImage, peRead } from './reader.ts';

const FILE_FLAGS: [number, string][] = [
  [FILE_RELOCS_STRIPPED, 'relocs-stripped'], [FILE_EXECUTABLE_IMAGE, 'executable'], [FILE_32BIT_MACHINE, '32-bit'], [FILE_DLL, 'dll'],
];
const SECTION_FLAGS: [number, string][] = [
  [SCN_CNT_CODE, 'code'], [SCN_CNT_INITIALIZED_DATA, 'data'], [SCN_CNT_UNINITIALIZED_DATA, 'bss'],
  [SCN_MEM_DISCARDABLE, 'discardable'], [SCN_MEM_READ, 'R'], [SCN_MEM_WRITE, 'W'], [SCN_MEM_EXECUTE, 'X'],
];

function flags(value: number, table: [number, string][]): string {
  return table.filter(([bit]) => value & bit).map(([, name]) => name).join(' ');
}

function headerLines(img: PeImage): string[] {
  const h = img.headers;
  const ver = (p: [number, number]) => `${p[0]}.${p[1]}`;
  return [
    `Machine             ${hex(h.machine, 4)}`,
    `Characteristics     ${hex(h.characteristics, 4)}  ${flags(h.characteristics, FILE_FLAGS)}`,
    `TimeDateStamp       ${hex(h.timeDateStamp)}`,
    `Magic               ${hex(h.magic, 4)}`,
    `LinkerVersion       ${ver(h.linkerVersion)}`,
    `SizeOfCode          ${hex(h.sizeOfCode)}`,
    `SizeOfInitData      ${hex(h.sizeOfInitializedData)}`,
    `SizeOfUninitData    ${hex(h.sizeOfUninitializedData)}`,
    `AddressOfEntryPoint ${hex(h.addressOfEntryPoint)}`,
    `BaseOfCode          ${hex(h.baseOfCode)}`,
    `BaseOfData          ${hex(h.baseOfData)}`,
    `ImageBase           ${hex(h.imageBase)}`,
    `SectionAlignment    ${hex(h.sectionAlignment)}`,
    `FileAlignment       ${hex(h.fileAlignment)}`,
    `OS/Image/Subsystem  ${ver(h.osVersion)} / ${ver(h.imageVersion)} / ${ver(h.subsystemVersion)}`,
    `SizeOfImage         ${hex(h.sizeOfImage)}`,
    `SizeOfHeaders       ${hex(h.sizeOfHeaders)}`,
    `CheckSum            ${hex(h.checkSum)}  (computed ${hex(img.checksum.computed)})`,
    `Subsystem           ${h.subsystem} (${SUBSYSTEM_NAMES[h.subsystem] ?? 'unknown'})`,
    `DllCharacteristics  ${hex(h.dllCharacteristics, 4)}`,
    `Stack reserve/commit ${hex(h.sizeOfStackReserve)} / ${hex(h.sizeOfStackCommit)}`,
    `Heap reserve/commit  ${hex(h.sizeOfHeapReserve)} / ${hex(h.sizeOfHeapCommit)}`,
  ];
}

function directoryLines(img: PeImage): string[] {
  return img.directories.flatMap((d, i) => (d.size ? [`  ${DIRECTORY_NAMES[i].padEnd(13)} ${hex(d.rva)} ${hex(d.size)}`] : []));
}

function sectionLines(img: PeImage): string[] {
  return img.sections.map((s, i) =>
    `  ${String(i).padStart(2)} ${s.name.padEnd(8)} rva ${hex(s.virtualAddress)} vsize ${hex(s.virtualSize)} ` +
    `file ${hex(s.pointerToRawData)} raw ${hex(s.sizeOfRawData)}  ${flags(s.characteristics, SECTION_FLAGS)}`,
  );
}

function importLines(img: PeImage): string[] {
  return img.imports.flatMap((d) => [
    `  ${d.dll}  (ILT ${hex(d.iltRva)}, IAT ${hex(d.iatRva)})`,
    ...d.functions.map((f) =>
      f.name !== undefined ? `    ${hex(f.iatRva)}  ${f.name}  (hint ${f.hint})` : `    ${hex(f.iatRva)}  #${f.ordinal}`),
  ]);
}

function exportLines(img: PeImage): string[] {
  const e = img.exports;
  if (!e) return [];
  return [
    `  ${e.dllName}  ordinal base ${e.ordinalBase}, ${e.functions.length} functions, ${e.names.length} names`,
    ...e.functions.map((f) =>
      `    ${String(f.ordinal).padStart(5)}  ${f.forwarder !== undefined ? '-> ' + f.forwarder : hex(f.rva!)}  ${f.names.join(', ') || '(no name)'}`),
  ];
}

function relocationLines(img: PeImage, all: boolean): string[] {
  const pages = new Map<number, number>();
  for (const r of img.relocations) pages.set(r.rva & ~0xfff, (pages.get(r.rva & ~0xfff) ?? 0) + 1);
  const lines = [`  ${img.relocations.length} fixups in ${pages.size} pages`];
  if (all) lines.push(...img.relocations.map((r) => `    ${hex(r.rva)} ${RELOC_TYPE_NAMES[r.type]}`));
  else lines.push(...[...pages].map(([page, count]) => `    page ${hex(page)}: ${count}`));
  return lines;
}

/** The whole dump as text. */
export function peDump(img: PeImage, options: { relocs?: boolean } = {}): string {
  const out = [
    ...headerLines(img), '', 'Data directories:', ...directoryLines(img), '', 'Sections:', ...sectionLines(img),
  ];
  if (img.imports.length) out.push('', 'Imports:', ...importLines(img));
  if (img.exports) out.push('', 'Exports:', ...exportLines(img));
  if (img.relocations.length) out.push('', 'Base relocations:', ...relocationLines(img, !!options.relocs));
  if (img.warnings.length) out.push('', 'Warnings:', ...img.warnings.map((w) => `  ${w.rule}: ${w.message}${w.status !== undefined ? ` [${statusText(w.status)}]` : ''}`));
  return out.join('\n') + '\n';
}

function main(argv: string[]): number {
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length !== 1 || argv.includes('--help')) {
    process.stderr.write('usage: npx tsx scripts/pe/dump.ts FILE [--relocs]\n');
    return 2;
  }
  try {
    process.stdout.write(`${files[0]}: PE32\n\n` + peDump(peRead(readFileSync(files[0]), { allowForeignMachine: true }), { relocs: argv.includes('--relocs') }));
    return 0;
  } catch (e) {
    if (!(e instanceof PeError)) throw e;
    process.stderr.write(`${files[0]}: ${e.message}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));

// A process from a PE32 file: NtCreateSection(SEC_IMAGE) on \Images\hello.exe,
// NtCreateProcessEx with the section, a stack and a first thread at the
// entry point NtQuerySection gives; then the new process's exit status and
// the PEB the kernel gave it.
import { InitializeObjectAttributes, OBJ_CASE_INSENSITIVE } from "../../../kernel/sdk/ntdef";
import { show, NtClose, NtCreateProcessEx, NtAllocateVirtualMemory, NtCreateThread, NtWaitForSingleObject, NtQueryInformationProcess,
  NtReadVirtualMemory, ms, put, putHex, putDec, putUnicode, flush, unicode } from "./nt";
import { ProcessBasicInformation, ProcessImageFileName, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION } from "../../../kernel/sdk/procinfo";

@external("ntdll", "NtCreateFile") declare function NtCreateFile(h: usize, access: u32, oa: usize, iosb: usize, alloc: usize, attrs: u32, share: u32, disposition: u32, options: u32, ea: usize, eaLength: u32): u32;
@external("ntdll", "NtCreateSection") declare function NtCreateSection(handle: usize, access: u32, oa: usize, maximumSize: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtContinue") declare function NtContinue(context: usize, testAlert: u32): u32;
@external("ntdll", "NtQuerySection") declare function NtQuerySection(section: u32, cls: u32, info: usize, length: u32, result: usize): u32;

const h = memory.data(16, 4);
const iosb = memory.data(8, 4);
const oa = memory.data(24, 4);
const name = memory.data(8, 4);
const info = memory.data(64, 8);
const context = memory.data(716, 4);
const initialTeb = memory.data(20, 4);
const stack = memory.data(8, 4);
const pbi = memory.data(28, 4);
const peb = memory.data(0x200, 4);
const t = memory.data(8, 8);
const imageName = memory.data(8 + 520, 4);
const needed = memory.data(4, 4);

/** ProcessImageFileName (27) of `process`: a short buffer's status and size needed, then the name. */
function imageFileName(what: string, process: u32): void {
  const short = NtQueryInformationProcess(process, ProcessImageFileName, imageName, 8, needed);
  put(what); put(" image name short "); putHex(short); put(" needs "); putDec(load<u32>(needed)); flush();
  const status = NtQueryInformationProcess(process, ProcessImageFileName, imageName, 8 + 520, needed);
  put(what); put(" image name "); putHex(status); put(" length "); putDec(load<u16>(imageName)); put(" buffer inside "); putDec(load<u32>(imageName, 4) == imageName + 8 ? 1 : 0);
  put(" ["); putUnicode(imageName); put("]"); flush();
}

export function main(): void {
  unicode(name, "\\??\\C:\\Images\\hello.exe");
  InitializeObjectAttributes(oa, name, OBJ_CASE_INSENSITIVE, 0, 0);
  show("open", NtCreateFile(h, 0x80000000 | 0x20000000 | 0x100000, oa, iosb, 0, 0, 1, 1, 0x60, 0, 0));
  show("section", NtCreateSection(h + 4, 0xF001F, 0, 0, 0x10, 0x1000000, load<u32>(h)));
  NtClose(load<u32>(h));
  const section = load<u32>(h + 4);
  show("process", NtCreateProcessEx(h + 8, 0x1F0FFF, 0, 0xFFFFFFFF, 0, section, 0, 0, 0));
  const process = load<u32>(h + 8);
  imageFileName("child", process);
  imageFileName("self", 0xFFFFFFFF);
  show("read peb", NtReadVirtualMemory(process, 0x7FFDF000, peb, 0x1D8, 0));
  put("peb image base "); putHex(load<u32>(peb, 8)); put(" processors "); putDec(load<u32>(peb, 0x64));
  put(" os "); putDec(load<u32>(peb, 0xA4)); put("."); putDec(load<u32>(peb, 0xA8)); put("."); putDec(load<u16>(peb, 0xAC));
  put(" platform "); putDec(load<u32>(peb, 0xB0)); put(" subsystem "); putDec(load<u32>(peb, 0xB4)); flush();
  show("image info", NtQuerySection(section, 1, info, 48, 0));
  NtClose(section);
  const entry = load<u32>(info);
  store<u32>(stack, 0); store<u32>(stack, 0x10000, 4);
  show("stack", NtAllocateVirtualMemory(process, stack, 0, stack + 4, 0x3000, 0x04));
  const bottom = load<u32>(stack), top = bottom + load<u32>(stack, 4);
  memory.fill(context, 0, 716);
  store<u32>(context, 0x10007, 0); // CONTEXT_FULL: control, integer and segment registers
  store<u32>(context, entry, 0xB8);
  store<u32>(context, top - 16, 0xC4);
  store<u32>(initialTeb, top, 8); store<u32>(initialTeb, bottom, 12);
  show("thread", NtCreateThread(h + 12, 0x1F03FF, 0, process, 0, context, initialTeb, 0));
  show("wait", NtWaitForSingleObject(process, 0, ms(t, 5000)));
  NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
  show("exit status", changetype<PROCESS_BASIC_INFORMATION>(pbi).ExitStatus);
  NtClose(load<u32>(h + 12));
  NtClose(process);
  // NtContinue refuses a context it cannot read or one that would enter the kernel.
  show("continue from a kernel pointer", NtContinue(0x80001000, 0));
  store<u32>(context, 0x80001000, 0xB8);
  show("continue into the kernel", NtContinue(context, 0));
  show("done", 0);
}

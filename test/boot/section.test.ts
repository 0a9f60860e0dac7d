// Sections from ring 3: two processes share a named page-file-backed section
// (secwriter.ts creates and fills it, secreader.ts opens it by name, checks
// and writes back); views alias, outlive their handle, go at a chosen base or
// offset; bad requests get NT's statuses; every pool byte and every page
// comes back once both processes have ended.
import { describe, expect, it } from 'vitest';
import { boot } from '../../emulator/node/boot.ts';
import { msg, program, run } from './usermode.ts';

const OPENIF = /0x(00000000|40000000)$/; // created, or STATUS_OBJECT_NAME_EXISTS: whichever process came first

describe('sections', () => {
  it('two processes share a named section; views, bad requests and statuses; nothing leaks', async () => {
    const lines = await run([['secwriter.exe', 'secwriter'], ['secreader.exe', 'secreader']]);
    const writer = lines.filter((l) => l.startsWith('secwriter: ')).map((l) => l.slice(11));
    const reader = lines.filter((l) => l.startsWith('secreader: ')).map((l) => l.slice(11));
    expect(writer).toEqual([
      'create 0x00000000', 'map 0x00000000', 'view size 0x00010000', '64 KiB aligned 0x00000001', 'zeroed 0x00000001',
      'query the view 0x00000000 at the view 0x00000001 alloc protect 0x00000004 size 0x0000D000',
      'query the view: state 0x00001000 protect 0x00000004 type 0x00040000',
      // A second, read-only view of the same section.
      'second view 0x00000000', 'it aliases the first 0x00000001', 'a write shows in both 0x00000001',
      'query the second view 0x00000000 at the view 0x00000001 alloc protect 0x00000002 size 0x00010000',
      'query the second view: state 0x00001000 protect 0x00000002 type 0x00040000',
      'make it writable 0xC000004E', 'no access on a page of it 0x00000000', 'old protection 0x00000002',
      'free it 0xC000001B', 'unmap it by an address inside 0x00000000',
      expect.stringMatching(/^query where it was 0x00000000 at the view 0x00000000 alloc protect 0x00000000 size 0x[0-9A-F]{8}$/),
      'query where it was: state 0x00010000 protect 0x00000001 type 0x00000000',
      'unmap it again 0xC0000019',
      // The other process.
      expect.stringMatching(OPENIF), expect.stringMatching(OPENIF),
      'signal the reader 0x00000000', 'wait for the reader 0x00000000', "the reader's writes landed 0x00000001",
      // A chosen base, an offset.
      'unnamed section 0x00000000', 'map at a chosen base 0x00000000', 'there 0x00000001', 'its size 0x00020000',
      'map from an offset 0x00000000', 'to the end 0x00010000', 'it sees the second half 0x00000001',
      // Views that cannot be.
      'conflicting address 0xC0000018', 'unaligned base 0xC0000220', 'unaligned offset 0xC0000220',
      'view past the end 0xC000001F', 'offset at the end 0xC000001F', 'bad protection 0xC0000045',
      'bad inherit 0xC00000F6', 'bad allocation type 0xC00000F7', 'reserve a view of memory 0xC00000F7',
      'commit more than the view 0xC00000F3', 'too many zero bits 0xC00000F2', 'kernel base 0xC00000F1',
      'kernel pointer for the base 0xC0000005', 'kernel pointer for the size 0xC0000005', 'kernel pointer for the offset 0xC0000005',
      'bad process 0xC0000008', 'bad section handle 0xC0000008', 'a kernel handle 0xC0000008', 'an event is no section 0xC0000024',
      // A read-only section.
      'read-only section 0x00000000', 'writable view of it 0xC000004E', 'read-only view of it 0x00000000', 'its size 0x00001000',
      'readable and zeroed 0x00000001',
      // Sections that cannot be.
      'no size 0xC00000F2', 'zero size 0xC00000F2', 'no allocation type 0xC00000F4', 'commit and reserve 0xC00000F4',
      'no-access section 0xC0000045', 'file handle that is no handle 0xC0000008', 'file handle of an event 0xC0000024',
      'image without a file 0xC0000020', 'more than memory 0xC000012D',
      'kernel pointer for the size 0xC0000005', 'kernel pointer for the handle 0xC0000005',
      // By name.
      'open a missing section 0xC0000034', 'open for reading 0x00000000', 'writable view through it 0xC0000022',
      // Unmapping what is not a view.
      'unmap private memory 0xC0000019', 'unmap a free address 0xC0000019', 'unmap a kernel address 0xC0000019',
      'unmap in a bad process 0xC0000008',
      'close 0x00000000', 'the view outlives the handle 0x00000001', 'unmap 0x00000000',
    ]);
    expect(reader).toEqual([
      expect.stringMatching(OPENIF), 'wait for the writer 0x00000000', 'open 0x00000000', 'map 0x00000000', 'view size 0x00010000',
      "the writer's pattern 0x00000001",
      'query the view 0x00000000 alloc protect 0x00000004 size 0x00010000 state 0x00001000 type 0x00040000',
      'no access on a page 0x00000000', expect.stringMatching(OPENIF), 'answer 0x00000000',
    ]);
    // The reader ran on the writer's signal, the writer on the reader's answer.
    expect(lines.indexOf('secreader: wait for the writer 0x00000000')).toBeGreaterThan(lines.indexOf('secwriter: signal the reader 0x00000000'));
    expect(lines.indexOf('secwriter: wait for the reader 0x00000000')).toBeGreaterThan(lines.indexOf('secreader: answer 0x00000000'));
    expect(lines).toContainEqual(expect.stringMatching(/\(secwriter\) exited with status 0x00000000$/));
    expect(lines).toContainEqual(expect.stringMatching(/\(secreader\) exited with status 0x00000000$/));
    // The reader ended with its view mapped (a page of it no-access) and its handle open; the
    // writer with two views of a section, a read-only view and handles: all of it came back.
    expect(lines).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 2; pool in use (\d+) bytes before them, \1 after$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ps: free pages (\d+) before them, \1 after$/));
  }, 90000);
});

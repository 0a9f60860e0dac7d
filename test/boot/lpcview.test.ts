// LPC port views from ring 3 (kernel/lpc/view.ts): lpcvcli and lpcvsrv, two
// processes, share sections through NtConnectPort's and NtAcceptConnectPort's
// PORT_VIEW and REMOTE_PORT_VIEW; hostile views get NT's statuses; a view the
// server cannot map refuses the connection; closing a port unmaps its views.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { run } from './usermode.ts';

beforeAll(async () => { await buildKernel({ write: false }); }, 600000);

const out = (lines: string[], program: string) => lines.filter((l) => l.startsWith(`${program}: `)).map((l) => l.slice(program.length + 2));

describe('lpc port views', () => {
  it('client and server views, mapped in both processes, refused when bad, unmapped with their port', async () => {
    const lines = await run([['lpcvsrv.exe', 'lpcvsrv'], ['lpcvcli.exe', 'lpcvcli']], 90000);
    const cli = out(lines, 'lpcvcli');
    const srv = out(lines, 'lpcvsrv');
    expect(cli).toEqual([
      'client view naming no handle 0xC0000008',
      'client view with Length 23 0xC000000D',
      'client view in kernel memory 0xC0000005',
      'server view with Length 11 0xC000000D',
      'client view of an event 0xC0000024',
      'client view of a section opened for reading 0xC0000022',
      'client view of a read-only section 0xC000004E',
      'client view past its section 0xC000001F',
      'client view at an unaligned offset 0xC0000220',
      'map the section myself 0x00000000',
      'connect A with a client view 0x00000000',
      'client view: offset 0x00000000 size 0x00003000 base mapped (a second view), remote base set',
      'no server view: size 0x00000000 base 0x00000000',
      'the server wrote 0x5E4E0001, seen through my own mapping too 0x5E4E0001',
      'request over the view 0x00000000',
      // "hello view": 0x68+0x65+0x6C+0x6C+0x6F+0x20+0x76+0x69+0x65+0x77
      `reply: sum 0x${(0x68 + 0x65 + 0x6C + 0x6C + 0x6F + 0x20 + 0x76 + 0x69 + 0x65 + 0x77).toString(16).toUpperCase().padStart(8, '0')}, "ok" in the view`,
      'connect B with both views 0x00000000',
      'server view: size 0x00002000 base mapped',
      'the server\'s view holds 0x5E4E0B0B',
      'connect C 0xC0000041',
      'connect D 0xC0000041',
      'connect E 0xC0000041',
      'close A 0x00000000',
      'after close: the connection\'s view 0x00010000, mine 0x00001000',
    ]);
    expect(srv).toEqual([
      'create 0x00000000',
      'connect A, client view size 0x00003000',
      'accept 0x00000000',
      'client\'s view in the server: size 0x00003000, mapped',
      'the client wrote 0xC0FFEE01',
      'complete 0x00000000',
      expect.stringMatching(/^request ctx 1: sum of the client's bytes 0x[0-9A-F]{8}$/),
      'reply 0x00000000',
      'connect B, client view size 0x00001000',
      'accept with a server view 0x00000000',
      'client\'s view in the server: size 0x00001000, mapped',
      'the client wrote 0x00000000',
      'server view: offset 0x00000000 size 0x00002000 base mapped, remote base set',
      'complete 0x00000000',
      'connect C, client view size 0x00001000',
      'server view of an event 0xC0000024',
      'server view of no handle 0xC0000008',
      'refuse 0x00000000',
      'connect D, client view size 0x00001000',
      'server view with Length 23 0xC000000D',
      'server view past its section 0xC000001F',
      'accept after the kernel refused 0xC000021F',
      'connect E, client view size 0x00000000',
      'read-only server view 0xC000004E',
      'port closed ctx 1',
      'views unmapped after close: client\'s 0x00010000',
      'port closed ctx 2',
      'views unmapped after close: client\'s 0x00010000, own 0x00010000',
      'close 0x00000000',
    ]);
  }, 300000);
});

// LPC ports from ring 3 (kernel/lpc/): boot-module programs in separate
// processes connect, send requests and datagrams, answer and refuse, send
// hostile lengths, pointers and ids, and die mid-request; each program logs
// every status it gets.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { run } from './usermode.ts';

// The kernel's AssemblyScript once, before the timed tests (a busy machine takes minutes).
beforeAll(async () => { await buildKernel({ write: false }); }, 600000);

const out = (lines: string[], program: string) => lines.filter((l) => l.startsWith(`${program}: `)).map((l) => l.slice(program.length + 2));

describe('lpc', () => {
  it('connections, requests, datagrams, replies, hostile input, a client that ends', async () => {
    const lines = await run([['lpcsrv.exe', 'lpcsrv'], ['lpccli.exe', 'lpccli']], 60000);
    const accepted = ['accept 0x00000000', 'accept the same request twice 0xC000021F', 'complete 0x00000000', 'complete twice 0xC000000D'];
    expect(out(lines, 'lpcsrv')).toEqual([
      'create 0x00000000',
      'waitable port signalled 0x00000000',
      'connect, information length 0', ...accepted,
      'connect, information length 8', ...accepted,
      'connect, information length 9', 'refuse 0x00000000',
      'request ctx 1 command 1 replied 0x00000000',
      'request ctx 1 command 1 replied 0x00000000',
      'datagram ctx 1 data 0x0000D47A',
      'reply with a wrong MessageId 0xC000021F',
      'reply to a thread that does not exist 0xC000000B',
      'reply too long 0xC000002F',
      'request ctx 1 command 3 replied 0x00000000',
      'reply twice 0xC000021F',
      'impersonate after the reply 0xC000021F',
      'impersonate through the connection port 0xC0000042',
      'impersonate 0x00000000',
      'impersonate with a wrong MessageId 0xC000021F',
      'request ctx 1 command 4 replied 0x00000000',
      'reply twice 0xC000021F',
      'impersonate after the reply 0xC000021F',
      'request ctx 2 command 5 replied 0x00000000',
      'connect, information length 0', ...accepted,
      'port closed ctx 2',
      'port closed ctx 3',
      'client died ctx 1 length 8',
      'port closed ctx 1',
      'close 0x00000000',
    ]);
    expect(out(lines, 'lpccli')).toEqual([
      'connect without information 0x00000000',
      'max message length 0x00000100',
      'connect with information 0x00000000',
      'information back is "OK there" 0x00000008',
      'connect refused 0xC0000041',
      'refusal information is "no thanks" 0x00000009',
      'request 0x00000000',
      'reply type 0x00000002',
      'server saw my ClientId 0x00000001',
      'server saw a kernel MessageId 0x00000001',
      'reply from the server\'s thread 0x00000001',
      'reply data 0x00000002',
      'request of the maximum length 0x00000000',
      'request too long 0xC000002F',
      'TotalLength below DataLength + 24 0xC000000D',
      'request typed as a connection request 0xC000000D',
      'datagram 0x00000000',
      'datagram too long 0xC000002F',
      'request the server answers after bad replies 0x00000000',
      'its reply data 0x00000004',
      'request the server impersonates 0x00000000',
      'request answered through the server port 0x00000000',
      'its reply data 0x00000006',
      'request from a null pointer 0xC0000005',
      'reply into kernel memory 0xC0000005',
      'request from kernel memory 0xC0000005',
      'receive into a null pointer 0xC0000005',
      'connect with a bad name pointer 0xC0000005',
      'connect without QoS 0xC0000005',
      'connect with a bad information pointer 0xC0000005',
      'connect with a port view of no section 0xC0000008',
      'request on an event 0xC0000024',
      'request on a bad handle 0xC0000008',
      'query 0x00000000',
      'query\'s return length 0x00000000',
      'query another class 0xC0000003',
      'query an event 0xC0000024',
      'receive on the client port times out 0x00000102',
      'reply to a thread that waits for nothing 0xC000021F',
      'reply to no thread 0xC000000B',
      'reply-wait-reply to nothing 0xC000021F',
      'secure connect 0x00000000',
      'close the second port 0x00000000',
      'request on the closed handle 0xC0000008',
      'close the secure port 0x00000000',
      'own connection port 0x00000000',
      'datagrams queued before the cap 0x00000040',
      'the next one 0xC0000017',
      'datagrams received 0x00000040',
      'close own port 0x00000000',
      'register terminate port 0x00000000',
    ]);
    // Every message and port went: the pool is as it was before the programs.
    expect(lines).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 2; pool in use (\d+) bytes before them, \1 after$/));
  }, 90000);

  it('a server that ends mid-request: the waiting client and a pending connection get STATUS_PORT_DISCONNECTED', async () => {
    const lines = await run([['lpcdie.exe', 'lpcdie'], ['lpcvic.exe', 'lpcvic'], ['lpcwait.exe', 'lpcwait']], 60000);
    expect(out(lines, 'lpcdie')).toEqual([
      'create 0x00000000',
      'wait on a port that is not waitable 0xC0000024',
      'accept 0x00000000',
      'complete 0x00000000',
      'request received, not answered',
      'second connection request, not answered',
      'ending with a request and a connection pending',
    ]);
    expect(out(lines, 'lpcvic')).toEqual([
      'connect 0x00000000',
      'request while the server dies 0xC0000037',
      'request after 0xC0000037',
      'datagram after 0xC0000037',
      'connect again 0xC0000034',
    ]);
    expect(out(lines, 'lpcwait')).toEqual(['connect while the server dies 0xC0000037']);
    expect(lines).toContainEqual(expect.stringMatching(/^ps: process \d+ \(lpcdie\) exited with status 0x00001234$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 3; pool in use (\d+) bytes before them, \1 after$/));
  }, 90000);

  it('listen, a reply that waits for an answer, a datagram to the client, a client thread killed mid-request, its reply lost', async () => {
    const lines = await run([['lpcpair.exe', 'lpcpair'], ['lpcpeer.exe', 'lpcpeer']], 60000);
    expect(out(lines, 'lpcpair')).toEqual([
      'create 0x00000000',
      'listen 0x00000000',
      'listened to a connection request 0x00000001',
      'accept 0x00000000',
      'complete 0x00000000',
      'receive 0x00000000 type 1 ctx 5',
      'reply and wait for the answer 0x00000000',
      'the answer: type 2 data 0x0000CAFE same MessageId 1 from the client\'s thread 1',
      'datagram to the client 0x00000000',
      'receive 0x00000000 type 1 ctx 5',
      'request from the second thread kept',
      'receive 0x00000000 type 6 ctx 5',
      'client died, thread is the requester 1',
      'reply to the killed thread (a lost reply) 0x00000000',
      'the same reply again 0xC000000B',
      'receive 0x00000000 type 5 ctx 5',
      'client port closed',
      'reply to the killed thread after its port closed 0xC000000B',
      'datagram to the closed client 0xC0000037',
    ]);
    expect(out(lines, 'lpcpeer')).toEqual([
      'connect 0x00000000',
      'request 0x00000000',
      'reply data 0x00001111',
      'answer the server 0x00000000',
      'answer again 0xC000021F',
      'receive a datagram 0x00000000',
      'datagram: type 3 data 0x0000BEEF',
      'kill the second thread 0x00000000',
      'wait for it 0x00000000',
      'its exit status 0x00000077',
      'receive the lost reply 0x00000000',
      'lost reply: type 4 data 0x00001057 MessageId set 1 from the server 1',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 2; pool in use (\d+) bytes before them, \1 after$/));
  }, 90000);
});

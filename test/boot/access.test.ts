// Access rights from ring 3 (issue 17): test/boot/programs/accprobe.ts runs
// twice on the image as built -- as an auto-start service (services.exe starts
// it as SYSTEM, with a copy of the System token), and started from the shell
// of `User`, an ordinary account
// (images/registry/SAM.reg) who logged on through winlogon and so got a token
// of its own (winlogon: NtCreateToken, then ProcessAccessToken on the
// suspended shell). The user cannot open csrss or winlogon to end them, nor
// csrss's thread, cannot set the critical flag, cannot open the SAM hive
// (SYSTEM only) or write SOFTWARE (Everyone may read it); SYSTEM can do all
// of that. Both may open objects they gave a descriptor of their own as the
// descriptor says (explicit SECURITY_DESCRIPTORs in OBJECT_ATTRIBUTES,
// captured once and validated), and malformed descriptors are refused.

import { appendFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { logOn, messages, standardMachine, type BootResult } from './helpers.ts';
import { openDisk } from '../../images/build.ts';
import { RegfReader } from '../../images/registry/regf-reader.ts';

/** accprobe.exe as an own-process auto-start service: services.exe runs it as SYSTEM. */
const OVERLAY = 'Windows Registry Editor Version 5.00\r\n\r\n'
  + '[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\AccProbe]\r\n'
  + '"Type"=dword:00000010\r\n"Start"=dword:00000002\r\n"ImagePath"="accprobe.exe"\r\n\r\n';

let result: BootResult;
let lines: string[] = [];
const of = (who: string) => lines.filter((l) => l.startsWith(`accprobe: ${who}: `)).map((l) => l.slice(`accprobe: ${who}: `.length));

beforeAll(async () => {
  const image = (await buildUserImage('test/boot/programs/accprobe.ts', { name: 'accprobe.exe' })).bytes;
  const m = await standardMachine({ add: { '\\Windows\\System32\\accprobe.exe': image }, reg: OVERLAY });
  let started = false;
  result = await logOn(m, {
    user: 'User', until: 'accprobe: user: done', timeoutMs: 600000,
    input: [{ after: 'nsh: session 1: prompt', text: 'start accprobe.exe\r' }],
    onLine: (line) => {
      if (line.includes('nsh: session 1: prompt')) started = true;
      if (process.env.ACCESS_TEST_LOG) appendFileSync(process.env.ACCESS_TEST_LOG, `${line}\n`);
    },
  });
  lines = messages(result);
  expect(result.stop, lines.join('\n')).toBeUndefined();
  expect(started, lines.join('\n')).toBe(true);
}, 900000);

/** Every wanted line, in this order (others may come between). */
function inOrder(have: string[], want: string[]): void {
  let at = -1;
  for (const w of want) {
    const i = have.indexOf(w, at + 1);
    expect(i, `"${w}" after line ${at} in:\n${have.join('\n')}`).toBeGreaterThan(at);
    at = i;
  }
}

describe('a user\'s token from winlogon', () => {
  it('winlogon made it with NtCreateToken and gave it to the shell', () => {
    expect(lines).toContainEqual(expect.stringMatching(/^se: process \d+ has a new primary token \(logon session 0x[0-9A-F]{8}\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^winlogon: session 1: User logged on \(logon id 0x[0-9A-F]{8}\)$/));
  });

  it('says who it is: the user, its groups, its privileges (no SeDebug, SeTcb, SeCreateToken, SeAssignPrimaryToken)', () => {
    const user = of('user');
    expect(user).toContainEqual(expect.stringMatching(/^token user 0x00000000 S-1-5-21-\d+-\d+-\d+-1000$/));
    const groups = user.find((l) => l.startsWith('token groups '))!;
    expect(groups).toMatch(/^token groups 0x00000000 S-1-1-0 S-1-5-32-545 S-1-5-4 S-1-5-11 S-1-5-5-0-\d+$/);
    expect(user).toContain('token privileges 0x00000000 19=0 23=3');
    expect(user).toContain('token type 0x00000000 1');
    expect(user).toContain('TokenUser in 4 bytes 0xC0000023 needs 36');
    expect(user).toContain('token impersonation level (a primary token) 0xC0000003');
    const system = of('system');
    expect(system).toContain('token user 0x00000000 S-1-5-18');
    expect(system).toContain('token groups 0x00000000 S-1-5-32-544 S-1-1-0 S-1-5-11');
    expect(system).toContain('token privileges 0x00000000 2=0 3=0 7=3 19=0 20=3 23=3');
  });
});

describe('what only SYSTEM may do', () => {
  it('the user cannot open csrss or winlogon to end them, nor csrss\'s thread; SYSTEM can', () => {
    inOrder(of('user'), [
      'found csrss and winlogon of session 1 0x00000000',
      'open csrss to end it 0xC0000022',
      'open winlogon to end it 0xC0000022',
      'open csrss to query it 0xC0000022',
      'open csrss with MAXIMUM_ALLOWED 0xC0000022',
      'open csrss\'s thread to end it 0xC0000022',
    ]);
    inOrder(of('system'), [
      'found csrss and winlogon of session 1 0x00000000',
      'open csrss to end it 0x00000000 granted 0x00000001',
      'open winlogon to end it 0x00000000 granted 0x00000001',
      'open csrss to query it 0x00000000 granted 0x00000400',
      'open csrss with MAXIMUM_ALLOWED 0x00000000 granted 0x001F0FFF',
      'open csrss\'s thread to end it 0x00000000',
    ]);
  });

  it('the user cannot set the critical flag (STATUS_PRIVILEGE_NOT_HELD) nor get SeDebugPrivilege; SYSTEM can', () => {
    inOrder(of('user'), ['set this process critical 0xC0000061', 'enable SeDebugPrivilege 0xC0000061']);
    inOrder(of('system'), ['set this process critical 0x00000000', 'and not critical again 0x00000000', 'enable SeDebugPrivilege 0x00000000']);
  });

  it('SeDebugPrivilege opens a process whatever its DACL: SYSTEM with it enabled, not without; the user never', () => {
    for (const who of ['user', 'system']) {
      inOrder(of(who), ['keep this process\'s DACL 0x00000000', 'empty this process\'s DACL 0x00000000']);
    }
    inOrder(of('system'), [
      'open this process by id to query it, SeDebugPrivilege as given 0x00000000 granted 0x00000400',
      'disable SeDebugPrivilege 0x00000000',
      'open this process by id to query it without SeDebugPrivilege 0xC0000022',
      'enable SeDebugPrivilege again 0x00000000',
      'open this process by id to query it with SeDebugPrivilege 0x00000000 granted 0x00000400',
      'give this process its DACL back 0x00000000',
    ]);
    inOrder(of('user'), [
      'open this process by id to query it, SeDebugPrivilege as given 0xC0000022',
      'open this process by id to query it without SeDebugPrivilege 0xC0000022',
      'open this process by id to query it with SeDebugPrivilege 0xC0000022',
      'give this process its DACL back 0x00000000',
    ]);
  });

  it('the user cannot open the SAM hive (SYSTEM only) nor write SOFTWARE, but reads SOFTWARE; SYSTEM can do all', () => {
    inOrder(of('user'), [
      'open the SAM hive 0xC0000022',
      'open SAM\'s accounts 0xC0000022',
      'open SOFTWARE to read 0x00000000',
      'open SOFTWARE to set values 0xC0000022',
    ]);
    inOrder(of('system'), [
      'open the SAM hive 0x00000000',
      'open SAM\'s accounts 0x00000000',
      'open SOFTWARE to read 0x00000000',
      'open SOFTWARE to set values 0x00000000',
    ]);
  });

  it('NtCreateToken needs SeCreateTokenPrivilege, ProcessAccessToken SeAssignPrimaryTokenPrivilege (SYSTEM has both, disabled)', () => {
    for (const who of ['user', 'system']) {
      inOrder(of(who), ['create a token 0xC0000061', 'give this process another primary token 0xC0000061']);
    }
  });
});

describe('explicit security descriptors in OBJECT_ATTRIBUTES', () => {
  for (const who of ['user', 'system']) {
    it(`${who}: opens get what the DACL grants; deny ACEs first; empty and NULL DACLs; malformed descriptors refused`, () => {
      inOrder(of(who), [
        'create an event Everyone may only query 0x00000000',
        'open it to query 0x00000000 granted 0x00000001',
        'open it to modify 0xC0000022',
        'open it with MAXIMUM_ALLOWED 0x00000000 granted 0x00100001',
        'open it with GENERIC_READ 0xC0000022', // READ_CONTROL too: only the owner has it without an ACE
        'create an event denying Everyone query, then allowing all 0x00000000',
        'open the deny event to query 0xC0000022',
        'open the deny event to modify 0x00000000 granted 0x00000002',
        'open the deny event with MAXIMUM_ALLOWED 0x00000000 granted 0x001F0002',
        'create an event with an empty DACL 0x00000000',
        'open the empty-DACL event to query 0xC0000022',
        'create an event with a NULL DACL 0x00000000',
        'open the NULL-DACL event for all access 0x00000000 granted 0x001F0003',
        'a descriptor of revision 2 0xC0000058',
        'a DACL shorter than its ACE 0xC0000079',
        'an ACE\'s SID with 40 sub-authorities 0xC0000079',
        'a descriptor in kernel memory 0xC0000005',
        'a descriptor at an unmapped address 0xC0000005',
        'open the first bad one 0xC0000034',
        'done 0x00000000',
      ]);
    });

    it(`${who}: NtDuplicateObject checks rights beyond the source's against the descriptor (NT's rules)`, () => {
      inOrder(of(who), [
        'duplicate a query handle of the query-only event for modify 0xC0000022',
        'duplicate it with MAXIMUM_ALLOWED 0x00000000 granted 0x00100001', // the source's query and the DACL's SYNCHRONIZE
        'duplicate a modify handle of the deny event for query and modify 0xC0000022',
        'duplicate it for SYNCHRONIZE 0x00000000 granted 0x00100000',
        'duplicate a query handle of the NULL-DACL event for all access 0x00000000 granted 0x001F0003',
        'duplicate a query handle of the NULL-DACL event with GENERIC_ALL 0x00000000 granted 0x001F0003',
        'create an unnamed event for query only 0x00000000',
        'duplicate it for modify (no descriptor) 0x00000000 granted 0x00000002',
        'duplicate it with DUPLICATE_SAME_ACCESS 0x00000000 granted 0x00000001',
        'done 0x00000000',
      ]);
    });
  }

  it('the namespace\'s descriptors: the user cannot create in \\, \\KnownDlls, \\ObjectTypes or \\GLOBAL??, delete global links, or connect to \\SmApiPort; SYSTEM can', () => {
    const denied = '0xC0000022';
    for (const who of ['user', 'system']) {
      const user = who === 'user';
      inOrder(of(who), [
        `create an event in \\ ${user ? denied : '0x00000000'}`,
        `create an event in \\KnownDlls ${user ? denied : '0x00000000'}`,
        `create an event in \\ObjectTypes ${user ? denied : '0x00000000'}`,
        `create a directory in \\ ${user ? denied : '0x00000000'}`,
        `create a DOS device link in \\GLOBAL?? ${user ? denied : '0x00000000'}`,
        `open the global C: link to delete it ${user ? denied : '0x00000000'}`,
        'open the global C: link to query it 0x00000000',
        `open KnownDllPath to delete it ${user ? denied : '0x00000000'}`,
        `connect to \\SmApiPort ${user ? denied : '0x00000000'}`,
      ]);
    }
  });

  it('objects made in \\BaseNamedObjects get the creator\'s default DACL: the user\'s own are the user\'s, SYSTEM\'s shut the user out', () => {
    inOrder(of('system'), ['leave an event in \\BaseNamedObjects 0x00000000']);
    for (const who of ['user', 'system']) {
      inOrder(of(who), [
        'create an event in \\BaseNamedObjects for query only 0x00000000',
        'duplicate it for all access (its default DACL gives the creator all) 0x00000000 granted 0x001F0003',
        `open SYSTEM's event in \\BaseNamedObjects to query ${who === 'user' ? '0xC0000022' : '0x00000000'}`,
      ]);
    }
  });

  for (const who of ['user', 'system']) {
    it(`${who}: traversing a directory needs DIRECTORY_TRAVERSE unless SeChangeNotifyPrivilege is enabled`, () => {
      inOrder(of(who), [
        'create a directory Everyone may not traverse 0x00000000',
        'create an event in it (SeChangeNotifyPrivilege bypasses traverse checking) 0x00000000',
        'disable SeChangeNotifyPrivilege 0x00000000',
        'open the event through the directory 0xC0000022',
        'open an event through directories everyone may traverse 0x00000000 granted 0x00000001',
        'enable SeChangeNotifyPrivilege 0x00000000',
        'open the event through the directory again 0x00000000 granted 0x00000001',
        'done 0x00000000',
      ]);
    });
  }

  it('NtQuerySecurityObject and NtSetSecurityObject: READ_CONTROL, WRITE_DAC, WRITE_OWNER; self-relative; malformed refused; owners checked', () => {
    const user = of('user'), system = of('system');
    expect(user).toContain('query its owner and DACL in 4 bytes 0xC0000023 needs 112');
    expect(system).toContain('query its owner and DACL in 4 bytes 0xC0000023 needs 88');
    for (const who of [user, system]) expect(who).toContain('query its owner and DACL 0x00000000 revision 1 control 0x00008004');
    const sid = user.find((l) => l.startsWith('token user '))!.split(' ').at(-1)!;
    expect(sid).toMatch(/^S-1-5-21-\d+-\d+-\d+-1000$/);
    expect(user).toContain(`its owner ${sid}`);
    expect(user).toContain(`its DACL's ACEs 2 ${sid} S-1-5-18`); // winlogon's default DACL for the user
    expect(system).toContain('its owner S-1-5-32-544');
    expect(system).toContain('its DACL\'s ACEs 2 S-1-5-18 S-1-5-32-544'); // the System token's default DACL
    for (const who of ['user', 'system']) {
      inOrder(of(who), [
        'create an event for the security services 0x00000000',
        'query it through a handle without READ_CONTROL 0xC0000022',
        'set its DACL through a handle without WRITE_DAC 0xC0000022',
        'set its DACL to Everyone query only 0x00000000',
        'open it to modify 0xC0000022',
        'open it to read its descriptor (the owner may) 0x00000000 granted 0x00020000',
        'set a descriptor of revision 2 0xC0000058',
        'set a DACL shorter than its ACE 0xC0000079',
        'set a descriptor in kernel memory 0xC0000005',
        `make SYSTEM its owner ${who === 'user' ? '0xC000005A' : '0x00000000'}`,
        'query this process\'s DACL 0x00000000',
        'done 0x00000000',
      ]);
    }
  });

  it('permanent objects need SeCreatePermanentPrivilege: the user has none (STATUS_PRIVILEGE_NOT_HELD), SYSTEM has it', () => {
    inOrder(of('user'), ['make the query-only event permanent 0xC0000061', 'create a permanent event 0xC0000061']);
    inOrder(of('system'), ['make the query-only event permanent 0x00000000', 'and temporary again 0x00000000', 'create a permanent event 0x00000000']);
  });
});

describe('objects the kernel names for itself: devices and the registry\'s master keys', () => {
  const denied = '0xC0000022';
  it('the user cannot open a raw partition or the whole disk to write or read sectors, by any path; SYSTEM can; files on C: are the file system\'s', () => {
    inOrder(of('user'), [
      `open the whole disk (Partition0) to write ${denied}`,
      `open the system partition (Partition1) to write ${denied}`,
      `open the system partition to read its sectors ${denied}`,
      `open C: with GENERIC_WRITE ${denied}`,
      `open a name under the whole disk to write ${denied}`,
      'open the system partition with MAXIMUM_ALLOWED 0x00000000 granted 0x001200A0', // FILE_GENERIC_EXECUTE: no data
      'open the whole disk to query it 0x00000000 granted 0x00100080',
      `open the whole disk again through the query handle to write ${denied}`,
      'open \\Device\\Null to write 0x00000000 granted 0x00100002',
      'open \\Device\\Null to query it 0x00000000 granted 0x00100080',
      'a FILE_WRITE_ACCESS control code through it 0xC0000022',
      'a FILE_ANY_ACCESS control code through it 0xC0000010', // STATUS_INVALID_DEVICE_REQUEST: the driver heard it
      'open smss.exe on C: to read 0x00000000 granted 0x00100001',
    ]);
    inOrder(of('system'), [
      'open the whole disk (Partition0) to write 0x00000000 granted 0x00100002',
      'open the system partition (Partition1) to write 0x00000000 granted 0x00100002',
      'open the system partition to read its sectors 0x00000000 granted 0x00100001',
      'open C: with GENERIC_WRITE 0x00000000 granted 0x00120116',
      'open a name under the whole disk to write 0x00000000 granted 0x00100002',
      'open the system partition with MAXIMUM_ALLOWED 0x00000000 granted 0x001F01FF',
      'open the whole disk to query it 0x00000000 granted 0x00100080',
      'open the whole disk again through the query handle to write 0x00000000 granted 0x00100002',
      'open \\Device\\Null to write 0x00000000 granted 0x00100002',
      'open smss.exe on C: to read 0x00000000 granted 0x00100001',
    ]);
  });

  it('a file on FAT answers as NT\'s I/O manager does for a file system without security; a raw open reads its device\'s descriptor', () => {
    for (const who of ['user', 'system']) {
      inOrder(of(who), [
        'open smss.exe on C: to read and change its DACL 0x00000000 granted 0x00160001',
        'query smss.exe\'s descriptor 0x00000000 control 0x00008004 owner S-1-1-0 group S-1-1-0',
        'and its DACL NULL',
        'give smss.exe an empty DACL 0x00000000',
        'query smss.exe\'s descriptor again 0x00000000 control 0x00008004 owner S-1-1-0 group S-1-1-0',
        'and its DACL NULL',
        'open smss.exe again to read (FAT kept nothing) 0x00000000 granted 0x00100001',
        'open the whole disk to read its descriptor 0x00000000 granted 0x00120000',
        'query the whole disk\'s descriptor 0x00000000 control 0x00008004 owner S-1-5-32-544 group none',
        'and its DACL 3 S-1-1-0=0x20000000 S-1-5-18=0x10000000 S-1-5-32-544=0x10000000',
        'give the whole disk an empty DACL through a READ_CONTROL handle 0xC0000022',
      ]);
    }
  });

  it('\\Registry and its master keys have NT\'s descriptor, and a new key needs KEY_CREATE_SUB_KEY on its parent: the user reads, SYSTEM also creates', () => {
    inOrder(of('user'), [
      'open \\Registry to read 0x00000000 granted 0x00020019',
      `open \\Registry to create keys ${denied}`,
      `open \\Registry\\Machine\\HARDWARE to set values ${denied}`,
      `create a volatile key under \\Registry\\Machine ${denied}`,
      `create a key in SOFTWARE ${denied}`,
      'objects done 0x00000000',
    ]);
    inOrder(of('system'), [
      'open \\Registry to read 0x00000000 granted 0x00020019',
      'open \\Registry to create keys 0x00000000 granted 0x00000004',
      'open \\Registry\\Machine\\HARDWARE to set values 0x00000000 granted 0x00000002',
      'create a volatile key under \\Registry\\Machine 0x00000000',
      'and delete it 0x00000000',
      'create a key in SOFTWARE 0x00000000',
      'and delete it 0x00000000',
      'objects done 0x00000000',
    ]);
  });
});

describe('keys have descriptors of their own (NtCreateKey inheritance, NtSetSecurityObject), kept in the hive\'s sk cells', () => {
  it('a new key inherits its parent\'s CONTAINER_INHERIT ACEs (marked INHERITED_ACE), its owner is the creator\'s; a set DACL is checked on the next open and passed to new subkeys only', () => {
    const sid = of('user').find((l) => l.startsWith('token user '))!.split(' ').at(-1)!;
    expect(of('system')).toContain('make the shared key 0x00000000');
    for (const who of ['user', 'system']) {
      const owner = who === 'user' ? sid : 'S-1-5-32-544';
      inOrder(of(who), [
        'create a key under the shared key 0x00000000',
        `its descriptor (inherited) 0x00000000 owner ${owner}`,
        'and its ACEs S-1-1-0=0x000F003F/0x00000012', // KEY_ALL_ACCESS, CONTAINER_INHERIT_ACE | INHERITED_ACE
        'create a subkey 0x00000000',
        `the subkey's descriptor (inherited again) 0x00000000 owner ${owner}`,
        'and its ACEs S-1-1-0=0x000F003F/0x00000012',
        'let Everyone only read the key and create subkeys 0x00000000',
        `its descriptor now 0x00000000 owner ${owner}`,
        'and its ACEs S-1-1-0=0x0002001D/0x00000002',
        'open the key to set values 0xC0000022',
        'open the subkey to set values (its own descriptor did not change) 0x00000000 granted 0x00000002',
        'create a second subkey 0x00000000',
        'open the second subkey to set values (it inherited the new DACL) 0xC0000022',
        'create a subkey with a descriptor of its own (Everyone KEY_QUERY_VALUE) 0x00000000',
        `its descriptor 0x00000000 owner ${owner}`,
        'and its ACEs S-1-1-0=0x00000001/0x00000000',
        'open it to enumerate subkeys 0xC0000022',
        'set the key\'s DACL through a KEY_READ handle 0xC0000022',
        'give the key back to Everyone 0x00000000',
        'open the key to set values again 0x00000000 granted 0x00000002',
      ]);
    }
  });

  it('a thread gets a descriptor of its own (NtSetSecurityObject; before, STATUS_NOT_SUPPORTED): the next open by id is checked against it, its process\'s stays', () => {
    const sid = of('user').find((l) => l.startsWith('token user '))!.split(' ').at(-1)!;
    for (const who of ['user', 'system']) {
      const owner = who === 'user' ? sid : 'S-1-5-32-544';
      inOrder(of(who), [
        'keep this thread\'s DACL 0x00000000',
        'let Everyone only query this thread 0x00000000',
        `this thread's descriptor 0x00000000 owner ${owner}`,
        'and its ACEs S-1-1-0=0x00000040/0x00000000',
        who === 'user' ? 'open this thread by id to end it 0xC0000022' : 'open this thread by id to end it 0x00000000 granted 0x00000001', // SYSTEM: SeDebugPrivilege
        'open this thread by id to query it 0x00000000 granted 0x00000040',
        `this process's descriptor (unchanged) 0x00000000 owner ${owner}`,
        'give this thread its DACL back 0x00000000',
        'open this thread by id to end it again 0x00000000 granted 0x00000001',
      ]);
      const lines = of(who);
      const processAces = lines[lines.indexOf(`this process's descriptor (unchanged) 0x00000000 owner ${owner}`) + 1];
      expect(processAces).toMatch(/^and its ACEs /);
      expect(processAces).not.toContain('S-1-1-0=0x00000040');
    }
  });

  it('a key of a hive file keeps its own descriptor in an sk cell of its own: the user may query SYSTEM\'s saved key, not set its values', () => {
    inOrder(of('system'), [
      'create a saved key Everyone may only query 0x00000000',
      'flush it 0x00000000',
      'open the saved key to query it 0x00000000 granted 0x00000001',
      'open the saved key to set values 0xC0000022',
    ]);
    inOrder(of('user'), [
      'open the saved key to query it 0x00000000 granted 0x00000001',
      'open the saved key to set values 0xC0000022',
    ]);
    // The SOFTWARE hive file on the disk the boot left: the key's nk names an sk of its own, in the ring after the
    // hive's, holding the descriptor it was given; the other keys share the hive's.
    const hive = new RegfReader(openDisk(result.disk!).readPath('\\Windows\\System32\\config\\SOFTWARE'));
    const root = hive.key(hive.header.rootOffset);
    const saved = root.subkeys.map((o) => hive.key(o)).find((k) => k.name === 'AccProbeSaved')!;
    expect(saved).toBeDefined();
    expect(saved.security).not.toBe(root.security);
    const others = root.subkeys.map((o) => hive.key(o)).filter((k) => k.name !== 'AccProbeSaved');
    expect(others.length).toBeGreaterThan(0);
    for (const k of others) expect(k.security).toBe(root.security);
    const [sk] = hive.cell(saved.security);
    const dv = hive.dv;
    expect(dv.getUint32(sk + 12, true)).toBe(1); // ReferenceCount: this key alone
    // The ring of sk cells (Flink at +4, Blink at +8) from the hive's holds the key's, both ways.
    const ring = (start: number, link: number): number[] => {
      const seen: number[] = [];
      for (let at = dv.getUint32(hive.cell(start)[0] + link, true); at !== start && seen.length < 64; at = dv.getUint32(hive.cell(at)[0] + link, true)) seen.push(at);
      return seen;
    };
    expect(ring(root.security, 4)).toContain(saved.security);
    expect(ring(root.security, 8)).toContain(saved.security);
    const length = dv.getUint32(sk + 16, true);
    const descriptor = hive.file.subarray(sk + 20, sk + 20 + length);
    const dacl = descriptor[16] | (descriptor[17] << 8);
    expect(descriptor[2] & 4).toBe(4); // SE_DACL_PRESENT
    expect(descriptor[dacl + 4]).toBe(1); // one ACE
    expect(Array.from(descriptor.subarray(dacl + 8, dacl + 28))).toEqual([0, 0, 20, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });
});

// smss/ is split by job (issue 12): no file over 800 lines, each opening
// with a comment that says what it is for, and the jobs the issue lists
// each in a file of its own.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '../../smss');
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts')).sort();
const text = (f: string) => readFileSync(join(DIR, f), 'utf8');

describe('smss/ files', () => {
  it('no file is over 800 lines', () => {
    const long = files.map((f) => [f, text(f).split('\n').length] as const).filter(([, n]) => n > 800);
    expect(long).toEqual([]);
  });

  it('each file opens with a comment that says what it is for', () => {
    const bare = files.filter((f) => !/^\/\/ \S/.test(text(f)));
    expect(bare).toEqual([]);
  });

  it('each job of the issue has its own file, which defines the step\'s function', () => {
    // job -> [file, a function it exports]
    const jobs: Array<[string, string, string]> = [
      ['init and registry configuration', 'sminit.ts', 'SmpLoadConfiguration'],
      ['environment', 'smenv.ts', 'SmpCreateEnvironment'],
      ['DOS devices', 'smdosdev.ts', 'SmpInitializeDosDevices'],
      ['BootExecute and process launch', 'smexec.ts', 'SmpRunBootExecute'],
      ['renames', 'smrename.ts', 'SmpProcessFileRenames'],
      ['KnownDlls', 'smknown.ts', 'SmpInitializeKnownDlls'],
      ['paging files', 'pagefile.ts', 'SmpCreatePagingFiles'],
      ['the SM API server', 'smapi.ts', 'SmpCreateApiPort'],
      ['failures', 'smfail.ts', 'SmpFatal'],
    ];
    for (const [job, file, fn] of jobs) {
      expect(files, job).toContain(file);
      expect(text(file), `${job}: ${file} exports ${fn}`).toMatch(new RegExp(`export function ${fn}\\(`));
    }
  });
});

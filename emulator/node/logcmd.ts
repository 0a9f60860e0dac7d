// `npm run log -- FILE [--summary|--tree|--timeline|--grep COMPONENT|--json]`:
// reads a saved serial log (from `npm start --log`, the page's "save log"
// button, QEMU's `-serial file:`, or `npm start > file`) and prints what the
// log library makes of it. Exit codes: 0, or 2 when the log holds a bug
// check, 4 for bad arguments or an unreadable file.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBootLog } from '../core/bootlog.ts';
import { summaryText, timelineText, treeText } from '../core/logtext.ts';

const HELP = `Usage: npm run log -- FILE [--summary | --tree | --timeline | --grep COMPONENT | --json]

Reads a saved COM1 log and prints:
  --summary          milestones with times, the process tree, warnings and
                     errors counted by component, the decoded STOP (default)
  --tree             the process tree (pid, parent, session, critical, exit)
  --timeline         the boot as text bars: kernel phases, smss steps, processes
  --grep COMPONENT   the lines of one component (ke, mm, ps, smss, ...)
  --json             everything as one JSON object
Exit codes: 0; 2 when the log ends in a bug check; 4 bad arguments or file.
`;

export function logMain(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  let file: string | undefined;
  let mode: 'summary' | 'tree' | 'timeline' | 'grep' | 'json' | undefined;
  let component = '';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const setMode = (m: typeof mode) => {
      if (mode !== undefined) throw new Error(`${a}: only one of --summary, --tree, --timeline, --grep, --json`);
      mode = m;
    };
    try {
      if (a === '--help' || a === '-h') { out(HELP); return 0; }
      else if (a === '--summary') setMode('summary');
      else if (a === '--tree') setMode('tree');
      else if (a === '--timeline') setMode('timeline');
      else if (a === '--json') setMode('json');
      else if (a === '--grep') {
        setMode('grep');
        component = argv[++i] ?? '';
        if (!component) throw new Error('--grep needs a component name');
      } else if (a.startsWith('-')) throw new Error(`unknown option: ${a} (see --help)`);
      else if (file !== undefined) throw new Error(`one log file only (got ${file} and ${a})`);
      else file = a;
    } catch (e) {
      err(`log: ${(e as Error).message}\n`);
      return 4;
    }
  }
  if (file === undefined) {
    err('log: no log file given (see --help)\n');
    return 4;
  }
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (e) {
    err(`log: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 4;
  }
  const log = parseBootLog(text);
  switch (mode ?? 'summary') {
    case 'summary': out(summaryText(log).join('\n') + '\n'); break;
    case 'tree': out(treeText(log).join('\n') + '\n'); break;
    case 'timeline': out(timelineText(log).join('\n') + '\n'); break;
    case 'grep': for (const e of log.grep(component)) out(e.line + '\n'); break;
    case 'json':
      out(JSON.stringify({
        events: log.events,
        milestones: log.milestones,
        processes: [...log.processes.values()],
        sessions: log.sessions(),
        counts: log.counts(),
        timeline: log.timeline(),
        stop: log.stop ?? null,
      }, null, 1) + '\n');
      break;
  }
  return log.stop ? 2 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = logMain(process.argv.slice(2));
  process.stdout.write('', () => process.exit(code));
}

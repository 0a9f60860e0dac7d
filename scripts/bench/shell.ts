// `npm run bench` section "shell": the time from a logon to nsh.exe's first
// prompt. One boot to winlogon's logon screen saves the machine state; each
// run restores it, types the user name and the password on COM1, and stops at
// `nsh: session 1: prompt`. Two figures per run, read at the ends of log lines
// (BootResult.lineInstructions, the live lines after the restore):
//   - from `winlogon: session 1: password:` (the password is typed at once) to
//     the prompt: lsass's check, winlogon's events, the shell's start;
//   - from `winlogon: session 1: <user> logged on` to the prompt: the shell's
//     process creation, image load and start-up alone.
// Guest instructions do not depend on the host; wall times do (medians).

import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { system32Files } from '../../images/system32.ts';
import { buildKernel } from '../build.ts';

const W = 'winlogon: session 1: ';
const PROMPT = 'nsh: session 1: prompt';

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }
const fmtN = (n: number) => n.toLocaleString('en-US');

export interface ShellFigures { passwordToPrompt: number; loggedOnToPrompt: number; wallMs: number }

/** Runs the measurement `runs` times; prints and returns the medians. */
export async function shellLogon(runs: number, log: (line: string) => void = console.log): Promise<ShellFigures> {
  log(`== shell (nsh.exe): logon to the first prompt (median of ${runs}, each from the logon screen's saved state)`);
  const disk = buildDisk({ files: await system32Files() });
  const { kernelImage: kernel } = await buildKernel({ write: false });
  const first = await boot({ kernel, disk, until: `${W}user name:`, snapshot: true, timeoutMs: 600000 });
  if (!first.reached || !first.snapshot) throw new Error(`bench: no logon screen (${first.reason}): ${first.log.slice(-400)}`);
  const body = (l: string) => l.replace(/^\[\s*\d+\.\d+\] /, '');
  const figures: ShellFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const live: string[] = [], wall: number[] = [];
    const r = await boot({
      kernel, disk, restore: first.snapshot, until: PROMPT, lineInstructions: true, timeoutMs: 180000,
      onReady: (m) => m.send('Administrator\r'),
      onLine: (line) => { live.push(body(line)); wall.push(performance.now()); },
      input: [{ after: `${W}password:`, text: 'password\r' }],
    });
    const at = r.lineInstructions ?? [];
    const password = live.indexOf(`${W}password:`);
    const on = live.findIndex((l) => l.startsWith(`${W}Administrator logged on`));
    const prompt = live.indexOf(PROMPT);
    if (!r.reached || password < 0 || on < 0 || prompt < 0 || at.length < live.length) {
      throw new Error(`bench: the logon did not reach the prompt (${r.reason}): ${live.slice(-20).join('\n')}`);
    }
    figures.push({ passwordToPrompt: at[prompt] - at[password], loggedOnToPrompt: at[prompt] - at[on], wallMs: wall[prompt] - wall[password] });
  }
  const result: ShellFigures = {
    passwordToPrompt: median(figures.map((f) => f.passwordToPrompt)),
    loggedOnToPrompt: median(figures.map((f) => f.loggedOnToPrompt)),
    wallMs: median(figures.map((f) => f.wallMs)),
  };
  log(`password entered -> "${PROMPT}": ${fmtN(result.passwordToPrompt)} guest instructions, ${result.wallMs.toFixed(0)} ms`);
  log(`"${W}Administrator logged on" -> "${PROMPT}" (the shell's start): ${fmtN(result.loggedOnToPrompt)} guest instructions`);
  return result;
}

/**
 * Agent footprint benchmark: the built `seatwatch-agent run` (dist) with the
 * default policy under Xvfb 1920×1080 (openbox, two xterms taking turns in
 * the foreground every 30 s), delivering to a protocol peer on loopback.
 *
 * Measures, over the window (default 10 minutes, after a 20 s warm-up):
 *   - average CPU, % of one core: the agent process plus its helper
 *     processes (xprop spies, the xprintidle loop) and every program it ran
 *     and reaped (/proc utime+stime+cutime+cstime);
 *   - peak RSS of the agent process (VmHWM) over the window, and again after
 *     the capture burst below;
 * then, after the window, 15 screenshots on capture_now with the screen
 * changed before each (so each is captured, hashed and encoded, not skipped
 * as unchanged), and reports the median of the agent's own capture + hash +
 * encode time (and the agent's CPU time per capture, which a busy machine
 * distorts less than wall time).
 *
 *   pnpm --filter @seatwatch/shared build && pnpm --filter @seatwatch/agent build
 *   pnpm --filter @seatwatch/agent exec node --conditions=seatwatch-source --import tsx \
 *     ../../bench/agent-footprint/run.ts [--minutes 10] [--start unit|plain|raw]
 *
 * --start: how the agent is started (issue #12). `unit` (default) with the
 * systemd unit's malloc settings in the environment; `plain` without them,
 * as from a terminal or an autostart entry (the agent then starts itself
 * again with them); `raw` without them and without that relaunch, the
 * ceiling the settings exist to avoid. RSS and the agent's own CPU are read
 * from the agent process (its pid in status.json), the launcher's RSS apart.
 *
 * Prints one JSON object with the figures. Targets: CPU < 1 %, RSS < 120 MB,
 * capture median < 250 ms.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { confirmNoticesFromStdout, ProtocolPeer } from '@seatwatch/testkit/agent';
import { startX11Session } from '@seatwatch/testkit/desktop';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, start: { type: 'string', default: 'unit' } },
});
const minutes = Number(values.minutes);
const start = values.start as 'unit' | 'plain' | 'raw';
if (!['unit', 'plain', 'raw'].includes(start)) throw new Error('--start must be unit, plain or raw');
const WARMUP_MS = 20_000;
const CAPTURES = 15;
const repo = path.resolve(import.meta.dirname, '../..');
const main = path.join(repo, 'packages/agent/dist/main.js');
if (!fs.existsSync(main)) throw new Error(`build the agent first: ${main} is missing`);

const CLK_TCK = 100; // Linux USER_HZ; /proc times are in these ticks.

function ticksOf(pid: number, withChildren: boolean): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the comm field: utime is field 14 of stat, i.e. index 11 here; stime 12, cutime 13, cstime 14.
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return utime! + stime! + (withChildren ? cutime! + cstime! : 0);
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry), ...descendants(Number(entry)));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** CPU ticks of the agent and everything under it, dead or alive. */
function treeTicks(pid: number): number {
  return ticksOf(pid, true) + descendants(pid).reduce((sum, child) => sum + ticksOf(child, true), 0);
}

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const x = await startX11Session(1920, 1080);
const peer = await ProtocolPeer.start();
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-footprint-'));
// The malloc settings of packages/agent/service/seatwatch-agent.service, or none (--start).
const env: NodeJS.ProcessEnv = { ...x.env, SEATWATCH_AGENT_HOME: stateDir };
delete env.MALLOC_ARENA_MAX;
delete env.MALLOC_MMAP_THRESHOLD_;
if (start === 'unit') Object.assign(env, { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' });
// The agent's own marker of "already relaunched": set here, it keeps the environment as it is.
if (start === 'raw') env.SEATWATCH_MALLOC_RELAUNCHED = '1';
try {
  const first = await x.openWindow('Ticket 4711 - CRM');
  const second = await x.openWindow('Knowledge base - article 12');
  await new Promise<void>((resolve, reject) => {
    const enroll = spawn(process.execPath, [main, 'enroll', '--server', peer.url, '--token', 'good-token'], {
      env,
      stdio: 'inherit',
    });
    enroll.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`enroll exited ${code}`))));
  });
  const agent = spawn(process.execPath, [main, 'run', '--page-port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The operator confirms the notice on the local page (the agent collects nothing before).
  const confirm = confirmNoticesFromStdout();
  let printed = '';
  agent.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    printed += chunk;
    confirm(printed);
  });
  const captureTimes: number[] = [];
  createInterface({ input: agent.stderr! }).on('line', (line) => {
    try {
      const entry = JSON.parse(line) as { message?: string; outcomes?: string[]; durationMs?: number };
      if (entry.message === 'screenshot attempt' && entry.outcomes?.every((o) => o === 'captured'))
        captureTimes.push(entry.durationMs!);
    } catch {
      process.stderr.write(`${line}\n`);
    }
  });
  await peer.waitFor('hello', () => true, 60_000);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  // The agent itself: the spawned process, or (--start plain on Node 20) the child of that launcher.
  const agentPid = (
    JSON.parse(fs.readFileSync(path.join(stateDir, 'status.json'), 'utf8')) as { pid: number }
  ).pid;

  // The measured window: the default policy, an operator switching windows every 30 s.
  const windowMs = minutes * 60_000;
  const startTicks = treeTicks(agent.pid!);
  const startAgentTicks = ticksOf(agentPid, false);
  const startAt = performance.now();
  let turn = 0;
  const switcher = setInterval(() => {
    turn++;
    x.xdotool('windowactivate', turn % 2 ? second : first).catch(() => {});
  }, 30_000);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  clearInterval(switcher);
  const cpuSeconds = (treeTicks(agent.pid!) - startTicks) / CLK_TCK;
  const agentOnlySeconds = (ticksOf(agentPid, false) - startAgentTicks) / CLK_TCK;
  const elapsed = (performance.now() - startAt) / 1000;
  const rssInWindow = peakRssMb(agentPid);
  const load = os.loadavg();
  const scheduledCaptures = captureTimes.length;

  // Capture timing: change the screen, ask for a screenshot, wait for its result. The agent's
  // CPU time per capture is measured too: wall time suffers when the machine is busy, CPU time less.
  const cpuPerCapture: number[] = [];
  for (let i = 0; i < CAPTURES; i++) {
    await x.xdotool(
      'windowmove',
      '--sync',
      i % 2 ? first : second,
      String(100 + 60 * i),
      String(80 + 40 * i),
    );
    const before = ticksOf(agentPid, false);
    const id = peer.sendCommand('capture_now');
    await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === id, 30_000);
    cpuPerCapture.push(((ticksOf(agentPid, false) - before) * 1000) / CLK_TCK);
  }
  const rssAfterBurst = peakRssMb(agentPid);
  const launcherRss = agentPid === agent.pid ? null : peakRssMb(agent.pid!);
  const agentMallocSettings = fs
    .readFileSync(`/proc/${agentPid}/environ`, 'utf8')
    .split('\0')
    .filter((v) => v.startsWith('MALLOC_'));
  const exited = new Promise((resolve) => agent.on('exit', resolve));
  agent.kill('SIGTERM');
  await exited;

  const sorted = [...captureTimes].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : null;
  const result = {
    minutes,
    start,
    // What the agent process itself ran with (the point of --start plain: it set them on itself).
    agentMallocSettings,
    launcherPid: agentPid === agent.pid ? null : agent.pid,
    launcherPeakRssMb: launcherRss === null ? null : Math.round(launcherRss * 10) / 10,
    display: '1920x1080x24 Xvfb + openbox',
    policy: 'default',
    cpuPercentOfOneCore: Math.round((cpuSeconds / elapsed) * 100 * 1000) / 1000,
    cpuSeconds,
    cpuSecondsAgentProcessOnly: agentOnlySeconds,
    peakRssMb: Math.round(rssInWindow * 10) / 10,
    peakRssMbAfterCaptureBurst: Math.round(rssAfterBurst * 10) / 10,
    loadAverageAtEnd: load.map((l) => Math.round(l * 100) / 100),
    scheduledScreenshotsInWindow: scheduledCaptures,
    captureEncodeHashMs: {
      median,
      min: sorted[0] ?? null,
      max: sorted.at(-1) ?? null,
      samples: sorted.length,
    },
    agentCpuMsPerCaptureMedian:
      [...cpuPerCapture].sort((a, b) => a - b)[Math.floor((cpuPerCapture.length - 1) / 2)] ?? null,
    eventsStored: peer.events().length,
    node: process.version,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await peer.close();
  await x.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
}

/**
 * The notice is a window the operator sees and confirms (issue #12): the
 * real agent CLI on an X11 desktop (Xvfb + openbox) against the real
 * collector on PostgreSQL.
 *
 * With a display and x11-utils (xmessage), the notice appears as a dialog on
 * the seat's screen: its window is mapped and a capture of the screen shows
 * it there; nothing but "starting" reaches the collector until xdotool clicks
 * its button; then the acknowledgement (shown as the desktop channel) comes
 * first and collection begins. Without any channel (no display, no dialog
 * program on the PATH, no terminal) nothing is collected, and status, the
 * local page and the collector are told why.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { probeCollectors } from '@seatwatch/agent';
import { Children, until } from '@seatwatch/testkit';
import {
  type AgentProcess,
  enrollWithLibrary,
  runAgentCommand,
  startAgentProcess,
} from '@seatwatch/testkit/agent';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  createSeatProject,
  type StoredEvent,
  startCollector,
  storedEvents,
} from './support/collector.js';

const run = promisify(execFile);
const TITLE = `SEATWATCH_E2E_DIALOG_${process.pid}`;
const NOTICE = 'Example Contact Center monitors this seat. Questions: privacy@example.com';
const DIALOG = 'Seatwatch monitoring notice';

const children = new Children();
let collector: Collector | null = null;
let desktop: SeatDesktop;
const stateDirs: string[] = [];

const position = (e: StoredEvent) => e.seq * 1_000_000 + e.idx;

async function enrolledSeat(seat: string): Promise<{ stateDir: string; agentId: string }> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-dialog-'));
  stateDirs.push(stateDir);
  const project = await createSeatProject(collector!, {
    noticeText: NOTICE,
    policy: { screenshotsEnabled: false },
  });
  const agentId = await enrollWithLibrary({ server: collector!.url, token: project.token, seat, stateDir });
  return { stateDir, agentId };
}

const xdotool = async (...args: string[]) => (await run('xdotool', args, { env: desktop.env })).stdout.trim();

/** The button of the dialog: the lowest small child window of its window, in root coordinates. */
async function buttonCentre(window: string): Promise<{ x: number; y: number }> {
  const { stdout } = await run('xwininfo', ['-tree', '-id', window], { env: desktop.env });
  const children = [
    ...stdout.matchAll(/0x[0-9a-f]+ .*?\s(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)/g),
  ].map((m) => ({
    width: Number(m[1]),
    height: Number(m[2]),
    x: Number(m[3]),
    y: Number(m[4]),
  }));
  const buttons = children.filter((c) => c.height < 60 && c.width < 400).sort((a, b) => b.y - a.y);
  expect(buttons.length, stdout).toBeGreaterThan(0);
  const button = buttons[0]!;
  return { x: button.x + Math.floor(button.width / 2), y: button.y + Math.floor(button.height / 2) };
}

beforeAll(async () => {
  desktop = await startSeatDesktop(children);
  await desktop.openWindow(TITLE);
  collector = await startCollector();
}, 180_000);

afterAll(async () => {
  await children.stopAll();
  await collector?.close();
  for (const dir of stateDirs) fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('the notice as a dialog the operator confirms (CLI, Xvfb, PostgreSQL)', () => {
  it('is a window on the seat screen; nothing is collected before its button is clicked', async () => {
    const { stateDir, agentId } = await enrolledSeat('desk-e2e-dialog');
    const agent: AgentProcess = startAgentProcess(
      children,
      ['run', '--state-dir', stateDir, '--page-port', '0'],
      desktop.env,
      { confirmNotice: false },
    );
    await agent.waitForStdout(/Seatwatch agent \S+ running\./);
    const window = await until(
      'the notice dialog on the display',
      async () => (await xdotool('search', '--name', `^${DIALOG}$`).catch(() => '')).split('\n')[0] || null,
    );
    const info = (await run('xwininfo', ['-id', window], { env: desktop.env })).stdout;
    expect(info).toMatch(/Map State: IsViewable/);
    const geometry = {
      x: Number(/Absolute upper-left X:\s+(-?\d+)/.exec(info)![1]),
      y: Number(/Absolute upper-left Y:\s+(-?\d+)/.exec(info)![1]),
      width: Number(/Width:\s+(\d+)/.exec(info)![1]),
      height: Number(/Height:\s+(\d+)/.exec(info)![1]),
    };
    expect(geometry.width).toBeGreaterThan(200);

    // A capture of the whole screen shows the dialog where its window is: text on a plain background.
    process.env.DISPLAY = desktop.display;
    const probes = await probeCollectors('linux', desktop.env);
    // Only the screen is used; the other adapters' helpers end now.
    for (const probe of [probes.activeWindow, probes.idleTime, probes.devices]) {
      if (probe.ok && 'close' in probe.port) (probe.port as { close(): void }).close();
    }
    expect(probes.screen.ok).toBe(true);
    if (!probes.screen.ok) return;
    let frame: { width: number; channels: number; pixels: Uint8Array } | null = null;
    for await (const each of probes.screen.port.captureEach()) {
      frame = each;
      break;
    }
    expect(frame).not.toBeNull();
    const colours = new Map<number, number>();
    for (let y = geometry.y; y < geometry.y + geometry.height; y += 2) {
      for (let x = geometry.x; x < geometry.x + geometry.width; x += 2) {
        const at = (y * frame!.width + x) * frame!.channels;
        const rgb = (frame!.pixels[at]! << 16) | (frame!.pixels[at + 1]! << 8) | frame!.pixels[at + 2]!;
        colours.set(rgb, (colours.get(rgb) ?? 0) + 1);
      }
    }
    const counts = [...colours.values()].sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    // The background dominates, and the notice's text is there too (not a blank or black rectangle).
    expect(counts.length).toBeGreaterThan(1);
    expect(counts[0]! / total).toBeLessThan(0.99);
    expect(1 - counts[0]! / total).toBeGreaterThan(0.01);

    // Connected, the notice on screen: only "starting" reached the collector, and status says it waits.
    await until('the agent connected', async () =>
      (await storedEvents(collector!, agentId)).some((e) => e.type === 'lifecycle'),
    );
    const waiting = JSON.parse(
      (await runAgentCommand(children, ['status', '--json', '--state-dir', stateDir], desktop.env)).stdout,
    );
    expect(waiting.status.notice).toMatchObject({ shownAt: null, waiting: true });
    expect(waiting.status.collectors.activity.detail).toMatch(/confirmed the monitoring notice/);
    expect((await storedEvents(collector!, agentId)).map((e) => [e.type, e.body.phase])).toEqual([
      ['lifecycle', 'starting'],
    ]);

    const button = await buttonCentre(window);
    await xdotool('mousemove', String(button.x), String(button.y), 'click', '1');
    const events = await until('the xterm title stored as activity after the click', async () => {
      const stored = await storedEvents(collector!, agentId);
      return stored.some((e) => e.type === 'activity' && e.body.title === TITLE) && stored;
    });
    const acks = events.filter((e) => e.type === 'notice_ack');
    expect(acks).toHaveLength(1);
    // The dialog is the desktop channel on the wire; the page was not opened, so it is not listed.
    expect(acks[0]!.body.shownVia).toEqual(['notification']);
    expect(events.filter((e) => position(e) < position(acks[0]!)).map((e) => e.type)).toEqual(['lifecycle']);
    const recorded = JSON.parse(fs.readFileSync(path.join(stateDir, 'notice.json'), 'utf8'));
    expect(recorded).toMatchObject({
      shownVia: ['dialog'],
      confirmedVia: 'button',
      confirmedWith: 'xmessage',
    });
    await until(
      'the dialog gone',
      async () => (await xdotool('search', '--name', `^${DIALOG}$`).catch(() => '')) === '',
    );
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
  }, 240_000);

  it('with no channel (no display, no dialog program, no terminal): nothing collected, why said everywhere; confirmed on the page, what needs a display is reported unavailable', async () => {
    const { stateDir, agentId } = await enrolledSeat('desk-e2e-nochannel');
    const emptyPath = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-empty-path-'));
    stateDirs.push(emptyPath);
    const env = { PATH: emptyPath, LANG: 'C.UTF-8', DBUS_SESSION_BUS_ADDRESS: 'disabled:' };
    const agent = startAgentProcess(children, ['run', '--state-dir', stateDir, '--page-port', '0'], env, {
      confirmNotice: false,
    });
    const [, pageUrl] = (await agent.waitForStdout(/Local page: (http:\/\/\S+)/)) as unknown as [
      string,
      string,
    ];
    const reported = await until('the agent_error about the notice stored', async () =>
      (await storedEvents(collector!, agentId)).find(
        (e) => e.type === 'agent_error' && e.body.collector === 'notice',
      ),
    );
    expect(reported.body.message).toMatch(/cannot be shown.*no desktop session.*not started from a terminal/);
    const status = JSON.parse(
      (await runAgentCommand(children, ['status', '--state-dir', stateDir, '--json'], env)).stdout,
    );
    expect(status.status.notice.problem).toMatch(/no desktop session/);
    expect(status.status.paused.join('\n')).toMatch(/notice: the monitoring notice cannot be shown/);
    const text = await runAgentCommand(children, ['status', '--state-dir', stateDir], env);
    expect(text.stdout).toMatch(/waiting for the operator to confirm it/);
    expect(await (await fetch(pageUrl)).text()).toContain('cannot be shown to the operator');
    // Nothing collected: only "starting" and the report.
    expect((await storedEvents(collector!, agentId)).map((e) => e.type)).toEqual([
      'lifecycle',
      'agent_error',
    ]);
    // The operator opens the page and confirms there. Collection starts, and what cannot work without a
    // display (the foreground window, idle time, screenshots) is unavailable: in status and to the server.
    const confirmed = await fetch(`${pageUrl}confirm-notice`, { method: 'POST', redirect: 'manual' });
    expect(confirmed.status).toBe(303);
    const unavailable = await until('agent_error for each collector that needs a display', async () => {
      const errors = (await storedEvents(collector!, agentId)).filter(
        (e) =>
          e.type === 'agent_error' && ['activity', 'idle', 'screenshot'].includes(String(e.body.collector)),
      );
      const names = new Set(errors.map((e) => e.body.collector));
      return ['activity', 'idle', 'screenshot'].every((n) => names.has(n)) && errors;
    });
    for (const error of unavailable) expect(error.body.message).toMatch(/^unavailable: .*DISPLAY/);
    const after = JSON.parse(
      (await runAgentCommand(children, ['status', '--state-dir', stateDir, '--json'], env)).stdout,
    );
    expect(after.status.collectors.activity.state).toBe('unavailable');
    expect(after.status.collectors.screenshot.state).toBe('unavailable');
    expect(after.status.notice).toMatchObject({ confirmedVia: 'page', shownVia: ['page'] });
    const page = await (await fetch(pageUrl)).text();
    expect(page).toMatch(/<th>activity<\/th><td>unavailable<\/td><td>[^<]*DISPLAY/);
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
  }, 240_000);
});

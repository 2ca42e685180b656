/**
 * The privacy list holds at capture time (issue #12): the agent CLI on a real
 * X11 desktop (Xvfb + openbox + xterm), the collector on PostgreSQL, and
 * capture_now commands from the admin API while a privacy-listed window is in
 * front, or comes to the front at random moments.
 *
 * The two windows are told apart by what the stored images show: the
 * checkout xterm is red, the other one blue, and each covers the screen. The
 * policy samples the foreground window only once a minute, so a decision on
 * the last activity sample (as before issue #12) captures the checkout.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Children, until } from '@seatwatch/testkit';
import { type AgentProcess, enrollWithLibrary, startAgentProcess } from '@seatwatch/testkit/agent';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  createSeatProject,
  type SeatProject,
  screenshotBytes,
  startCollector,
  storedEvents,
  storedScreenshots,
} from './support/collector.js';

const run = promisify(execFile);

const CHECKOUT = `Payment checkout ${process.pid}`;
const SHELL = `SEATWATCH_E2E_SHELL_${process.pid}`;
/** capture_now commands per scenario (the issue asks for 50). */
const CAPTURES = 50;
const MAX_DELAY_MS = 250;

const children = new Children();
let collector: Collector | null = null;
let desktop: SeatDesktop;
let project: SeatProject;
let stateDir = '';
let agentId = '';
let agent: AgentProcess;
const windows = { checkout: '', shell: '' };

const xdotool = async (...args: string[]) =>
  (await run('xdotool', args, { env: desktop.env, timeout: 30_000 })).stdout.trim();

/** The window title of the agent's notice dialog (notice-dialog.commands.ts). */
const NOTICE_DIALOG = 'Seatwatch monitoring notice';

/** The ids of the windows titled exactly `title`; xdotool exits 1 when there are none. */
async function windowsNamed(title: string): Promise<string[]> {
  try {
    return (await xdotool('search', '--name', `^${title}$`)).split('\n').filter(Boolean);
  } catch (error) {
    if ((error as { code?: unknown }).code === 1) return [];
    throw error;
  }
}

/** A screen-covering xterm in one background colour, focused; returns its window id. */
async function openColouredWindow(title: string, background: string): Promise<string> {
  children.add(
    spawn('xterm', ['-T', title, '-geometry', '200x70+0+0', '-bg', background, '-fg', 'white'], {
      env: desktop.env,
      stdio: 'ignore',
    }),
  );
  const id = (await xdotool('search', '--sync', '--name', `^${title}$`)).split('\n')[0]!;
  await xdotool('windowactivate', '--sync', id);
  return id;
}

/** The share of an image's pixels in the checkout window's red. */
async function redShare(bytes: Uint8Array): Promise<number> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let red = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (data[i]! > 150 && data[i + 1]! < 90 && data[i + 2]! < 90) red++;
  }
  return red / (info.width * info.height);
}

const randomDelay = () => new Promise((resolve) => setTimeout(resolve, Math.random() * MAX_DELAY_MS));

async function captureNow(): Promise<string> {
  const command = await collector!.server.adminOk<{ id: string }>(
    'POST',
    `/projects/${project.projectId}/agents/${agentId}/commands`,
    { cmd: 'capture_now' },
  );
  return command.id;
}

/** capture_now from the admin API, `CAPTURES` times at random short delays; resolves with the command ids. */
async function captureNowRepeatedly(during?: () => Promise<void>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < CAPTURES; i++) {
    await randomDelay();
    await during?.();
    ids.push(await captureNow());
  }
  return ids;
}

/** The capture events and screenshots the collector stored for these commands, once all have a result. */
async function outcomesOf(commandIds: readonly string[]) {
  const wanted = new Set(commandIds);
  await until(
    `results of ${commandIds.length} capture_now commands`,
    async () =>
      (await storedEvents(collector!, agentId)).filter(
        (e) => e.type === 'command_result' && wanted.has(e.body.commandId as string),
      ).length === commandIds.length,
    180_000,
    250,
  );
  const captures = (await storedEvents(collector!, agentId)).filter(
    (e) => e.type === 'capture' && wanted.has(e.body.commandId as string),
  );
  const shots = (await storedScreenshots(collector!, agentId)).filter(
    (s) => s.commandId !== null && wanted.has(s.commandId),
  );
  return { captures, shots };
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-privacy-'));
  desktop = await startSeatDesktop(children);
  windows.checkout = await openColouredWindow(CHECKOUT, 'red');
  windows.shell = await openColouredWindow(SHELL, 'blue');
  collector = await startCollector();
  project = await createSeatProject(collector, {
    noticeText:
      'This seat is monitored (end-to-end test of the privacy list). Questions: privacy@example.com',
    policy: {
      privacyList: ['Payment checkout'],
      // The slowest sampling the policy allows: the last sample is stale for most of a minute.
      activitySampleMs: 60_000,
      screenshotIntervalMs: 86_400_000,
      screenshotJitter: 0,
    },
  });
  agentId = await enrollWithLibrary({
    server: collector.url,
    token: project.token,
    seat: 'desk-e2e-privacy',
    stateDir,
  });
  agent = startAgentProcess(children, ['run', '--state-dir', stateDir, '--page-port', '0'], desktop.env);
  await agent.waitForStdout(/Seatwatch agent \S+ running/);
  // The notice dialog (xmessage here), closed when the test confirmed on the local page, can still be
  // in front for the sample taken at confirmation, and a loaded machine can make that first read time
  // out: either way the next sample is a minute later. With the dialog gone and the shell focused
  // again, that next sample is the shell's.
  await until('the notice dialog to close', async () => (await windowsNamed(NOTICE_DIALOG)).length === 0);
  await xdotool('windowactivate', '--sync', windows.shell);
  // The one sample of the minute: the blue shell.
  await until(
    'the shell sampled as activity',
    async () => {
      const events = await storedEvents(collector!, agentId);
      if (events.some((e) => e.type === 'activity' && e.body.title === SHELL)) return true;
      // Said in the timeout's message: what was sampled, and what else the agent sent.
      throw new Error(
        `stored so far: ${JSON.stringify(events.map((e) => [e.type, e.body.title ?? e.body.collector]))}`,
      );
    },
    2 * 60_000 + 30_000,
    250,
  );
}, 300_000);

afterAll(async () => {
  await children.stopAll();
  await collector?.close();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

describe('the privacy list at capture time (CLI, Xvfb, PostgreSQL)', () => {
  it('a capture with only the shell in front stores it (the red test can see a window)', async () => {
    const { captures, shots } = await outcomesOf([await captureNow()]);
    expect(captures.map((c) => c.body.outcome)).toEqual(['captured']);
    expect(shots).toHaveLength(1);
    expect(await redShare(await screenshotBytes(collector!, shots[0]!.sha256))).toBeLessThan(0.01);
  }, 240_000);

  it(`capture_now ${CAPTURES} times right after the checkout is focused: every one paused, no image`, async () => {
    await xdotool('windowactivate', '--sync', windows.checkout);
    const ids = await captureNowRepeatedly();
    const { captures, shots } = await outcomesOf(ids);
    expect(shots).toEqual([]);
    expect(captures).toHaveLength(CAPTURES);
    for (const capture of captures) {
      expect(capture.body).toMatchObject({
        outcome: 'paused',
        reason: expect.stringContaining('"Payment checkout"'),
      });
    }
  }, 300_000);

  it(`capture_now ${CAPTURES} times while the focus moves between the windows at random: no image shows the checkout`, async () => {
    await xdotool('windowactivate', '--sync', windows.shell);
    let checkoutFocused = 0;
    // Each command is preceded by a focus change half of the time, without waiting for the
    // previous capture: the checkout comes forward before, during or after captures.
    const ids = await captureNowRepeatedly(async () => {
      if (Math.random() < 0.5) return;
      const toCheckout = Math.random() < 0.5;
      if (toCheckout) checkoutFocused++;
      await xdotool('windowactivate', '--sync', toCheckout ? windows.checkout : windows.shell);
    });
    const { captures, shots } = await outcomesOf(ids);
    const red: number[] = [];
    for (const shot of shots) {
      const share = await redShare(await screenshotBytes(collector!, shot.sha256));
      if (share > 0.01) red.push(share);
    }
    expect(red).toEqual([]);
    expect(checkoutFocused).toBeGreaterThan(0);
    expect(captures.filter((c) => c.body.outcome === 'paused').length).toBeGreaterThan(0);
    expect(captures).toHaveLength(ids.length);
  }, 300_000);
});

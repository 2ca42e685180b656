/**
 * Masking on the seat (issue #12): the agent CLI on an X11 desktop (Xvfb +
 * openbox + xterm) against the real collector on PostgreSQL. The foreground
 * window's title holds a card number, a resident ID and a phone number; the
 * project masks card numbers (the default) and has patterns for the other
 * two. What the collector stores is the title with each replaced by
 * "[masked]", and no stored event holds any of them; the notice said so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Children, until } from '@seatwatch/testkit';
import { enrollWithLibrary, startAgentProcess } from '@seatwatch/testkit/agent';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collector, createSeatProject, startCollector, storedEvents } from './support/collector.js';

const CARD = '4111 1111 1111 1111';
const RESIDENT_ID = '11010519491231002X';
const PHONE = '138 1234 5678';
const TITLE = `Refund ${CARD} - ID ${RESIDENT_ID} - callback ${PHONE} (${process.pid})`;
const MASKED = `Refund [masked] - ID [masked] - callback [masked] (${process.pid})`;
const PATTERNS = [String.raw`\b1[3-9]\d(?:[ -]?\d{4}){2}\b`, String.raw`\b\d{17}[\dXx]\b`];

const children = new Children();
let collector: Collector | null = null;
let desktop: SeatDesktop;
let stateDir = '';

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-masking-'));
  desktop = await startSeatDesktop(children);
  await desktop.openWindow(TITLE);
  collector = await startCollector();
}, 180_000);

afterAll(async () => {
  await children.stopAll();
  await collector?.close();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

describe('masking on the seat (CLI, Xvfb, PostgreSQL)', () => {
  it('stores the window title with the card number, the ID and the phone number masked', async () => {
    expect(await desktop.focusedTitle()).toBe(TITLE);
    const project = await createSeatProject(collector!, {
      noticeText: 'Example Contact Center monitors this seat. Questions: privacy@example.com',
      policy: { screenshotsEnabled: false, masks: { cardNumbers: true, patterns: PATTERNS } },
    });
    const agentId = await enrollWithLibrary({
      server: collector!.url,
      token: project.token,
      seat: 'desk-e2e-masking',
      stateDir,
    });
    const agent = startAgentProcess(
      children,
      ['run', '--state-dir', stateDir, '--page-port', '0'],
      desktop.env,
    );
    await agent.waitForStdout(
      /card numbers \(13–19 digits passing the Luhn check\) and 2 pattern\(s\) set by the project/,
    );

    // The xterm's activity, not the notice dialog's: its window can still be in front for the first sample.
    const firstWord = TITLE.split(' ')[0]!;
    const activity = await until('the masked title stored as activity', async () =>
      (await storedEvents(collector!, agentId)).find(
        (e) => e.type === 'activity' && String((e.body as { title?: unknown }).title).startsWith(firstWord),
      ),
    );
    expect(activity.body).toMatchObject({ title: MASKED });
    const everything = JSON.stringify(await storedEvents(collector!, agentId));
    for (const secret of [CARD, RESIDENT_ID, PHONE, '4111111111111111'])
      expect(everything).not.toContain(secret);
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
  }, 240_000);
});

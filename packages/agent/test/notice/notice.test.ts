/** The notice gate and the local transparency page, on a real agent with fake collectors. */
import fs from 'node:fs';
import http from 'node:http';
import { until } from '@seatwatch/testkit';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agent.js';
import type { DesktopNotifier } from '../../src/notice/desktop-notification.port.js';
import type { NoticeChannel, ShowingOutcome } from '../../src/notice/notice-channel.port.js';
import { escapeHtml } from '../../src/notice/transparency-page.js';
import { buildAgent, enrolledStateDir, memoryLogger } from '../support/agent-harness.js';
import { type Fakes, fakeCollectors } from '../support/fake-collectors.js';

let peer: ProtocolPeer;
let stateDir: string;
let fakes: Fakes;
let agent: Agent | null = null;

beforeEach(async () => {
  peer = await ProtocolPeer.start();
  stateDir = await enrolledStateDir(peer);
  fakes = await fakeCollectors();
});
afterEach(async () => {
  await agent?.stop('signal');
  agent = null;
  await peer.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

function get(
  url: string,
  host?: string,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: target.hostname, port: target.port, path: target.pathname, headers: host ? { host } : {} },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        },
      )
      .on('error', reject);
  });
}

/** A dialog the test's operator confirms or closes by hand. */
function manualDialog() {
  const shown: string[] = [];
  let answer: (outcome: ShowingOutcome) => void = () => {};
  let open = false;
  const channel: NoticeChannel = {
    name: 'test-dialog',
    kind: 'dialog',
    show: (_title, text) => {
      shown.push(text);
      open = true;
      const outcome = new Promise<ShowingOutcome>((resolve) => {
        answer = resolve;
      });
      return {
        outcome,
        displayed: () => open,
        close: () => {
          open = false;
          answer({ kind: 'closed' });
        },
      };
    },
  };
  return {
    channel,
    shown,
    press: () => answer({ kind: 'confirmed' }),
    /** The operator closes it (or it fails) without the button. */
    close: (outcome: ShowingOutcome) => {
      open = false;
      answer(outcome);
    },
    isOpen: () => open,
  };
}

describe('monitoring notice', () => {
  it('waits for the button of the dialog; shownVia lists where it was on screen, once per version', async () => {
    const printed: string[] = [];
    const notified: string[] = [];
    const notifier: DesktopNotifier = {
      name: 'test',
      notify: async (title, body) => {
        notified.push(`${title}\n${body}`);
        return true;
      },
    };
    const dialog = manualDialog();
    agent = buildAgent(stateDir, fakes, {
      terminal: { write: (t) => printed.push(t), isTTY: true },
      desktopNotifier: notifier,
      noticeChannels: [dialog.channel],
    });
    const connected = agent.events.waitFor('connected');
    const shown = agent.events.waitFor('notice_shown');
    await agent.start();
    await connected;
    await until('the dialog on screen', () => dialog.shown.length === 1 && notified.length === 1);
    expect(dialog.shown[0]).toContain('privacy@example.com');
    expect(agent.status().notice).toMatchObject({ shownAt: null, waiting: true, problem: null });
    // Not confirmed: a capture asked for now is refused, nothing was collected.
    const refused = peer.sendCommand('capture_now');
    expect(
      await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === refused),
    ).toMatchObject({
      ok: false,
    });
    expect(fakes.screen.captures).toBe(0);
    expect(peer.events().some((e) => e.type === 'activity' || e.type === 'notice_ack')).toBe(false);

    dialog.press();
    expect(await shown).toEqual({
      version: 1,
      shownVia: ['terminal', 'dialog', 'notification'],
      confirmedVia: 'button',
    });
    // protocol v1 has no "dialog": it travels as the desktop channel, "notification".
    const ack = await peer.waitForEvent((e) => e.type === 'notice_ack');
    expect(ack).toMatchObject({ noticeVersion: 1, shownVia: ['terminal', 'notification'] });
    expect(printed.join('')).toContain(agent.pageUrl!);
    expect(notified[0]).toMatch(/^Seatwatch monitors this computer\n/);
    expect(agent.status().notice).toMatchObject({ confirmedVia: 'button', waiting: false });
    await agent.stop('signal');

    // Same version at the next start: not shown again.
    printed.length = 0;
    const again = manualDialog();
    agent = buildAgent(stateDir, fakes, {
      terminal: { write: (t) => printed.push(t), isTTY: true },
      noticeChannels: [again.channel],
    });
    const reconnected = agent.events.waitFor('connected');
    await agent.start();
    await reconnected;
    await agent.whenAcked(agent.outbox.lastSeq);
    expect(printed.join('')).not.toContain('MONITORING NOTICE');
    expect(again.shown).toHaveLength(0);
    expect(peer.events().filter((e) => e.type === 'notice_ack')).toHaveLength(1);
  });

  it('a dialog closed without its button confirms nothing; one that cannot be shown is reported', async () => {
    const dialog = manualDialog();
    const log = memoryLogger();
    agent = buildAgent(stateDir, fakes, { noticeChannels: [dialog.channel], log });
    const connected = agent.events.waitFor('connected');
    await agent.start();
    await connected;
    await until('the dialog on screen', () => dialog.isOpen());
    dialog.close({ kind: 'closed' });
    await until('the agent to note the closed dialog', () =>
      log.lines.some((l) =>
        /closed without being confirmed; it is shown again in a minute/.test(String(l.message)),
      ),
    );
    await agent.whenAcked(agent.outbox.lastSeq);
    expect(agent.status().notice).toMatchObject({ shownAt: null });
    expect(peer.events().some((e) => e.type === 'notice_ack')).toBe(false);
    await agent.stop('signal');

    const failing = manualDialog();
    agent = buildAgent(stateDir, fakes, { noticeChannels: [failing.channel] });
    const again = agent.events.waitFor('connected');
    await agent.start();
    await again;
    await until('the dialog asked for', () => failing.isOpen());
    failing.close({
      kind: 'failed',
      reason: "xmessage could not show it (exit 1: Error: Can't open display: :9)",
    });
    const reported = await peer.waitForEvent((e) => e.type === 'agent_error' && e.collector === 'notice');
    expect(reported.type === 'agent_error' && reported.message).toMatch(
      /cannot be shown.*Can't open display/,
    );
    expect(agent.status().notice.problem).toMatch(/Can't open display/);
    expect(fakes.screen.captures).toBe(0);
  });

  it('with no channel: collects nothing, says why in status, on the page and to the server; the page button confirms', async () => {
    agent = buildAgent(stateDir, fakes, {
      terminal: { write: () => {}, isTTY: false },
      noticeChannels: [],
      noDialogReason: 'no desktop session (neither DISPLAY nor WAYLAND_DISPLAY is set)',
    });
    const connected = agent.events.waitFor('connected');
    await agent.start();
    await connected;
    const reported = await peer.waitForEvent((e) => e.type === 'agent_error' && e.collector === 'notice');
    expect(reported.type === 'agent_error' && reported.message).toMatch(
      /cannot be shown.*no desktop session.*not started from a terminal/,
    );
    const captureNow = peer.sendCommand('capture_now');
    const result = await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === captureNow);
    expect(result).toMatchObject({ ok: false });
    expect(fakes.screen.captures).toBe(0);
    expect(
      peer.events().some((e) => e.type === 'activity' || e.type === 'notice_ack' || e.type === 'status'),
    ).toBe(false);
    const status = agent.status();
    expect(status.collectors.activity).toEqual({
      state: 'paused',
      detail: 'waiting until the operator has confirmed the monitoring notice',
    });
    expect(status.paused.join('\n')).toMatch(/notice: the monitoring notice cannot be shown/);
    const page = await get(agent.pageUrl!);
    expect(page.body).toContain('cannot be shown to the operator');
    expect(page.body).toContain('confirm-notice');

    // A POST from another site (another Origin) is refused; the operator's own click confirms.
    const foreign = await fetch(`${agent.pageUrl}confirm-notice`, {
      method: 'POST',
      headers: { origin: 'http://evil.example' },
      redirect: 'manual',
    });
    expect(foreign.status).toBe(403);
    expect(agent.status().notice.shownAt).toBeNull();
    const shown = agent.events.waitFor('notice_shown');
    const click = await fetch(`${agent.pageUrl}confirm-notice`, { method: 'POST', redirect: 'manual' });
    expect(click.status).toBe(303);
    expect(await shown).toEqual({ version: 1, shownVia: ['page'], confirmedVia: 'page' });
    expect(await peer.waitForEvent((e) => e.type === 'notice_ack')).toMatchObject({ shownVia: ['page'] });
    await until('collection started', () => agent!.status().collectors.activity?.state === 'running');
    const second = await fetch(`${agent.pageUrl}confirm-notice`, { method: 'POST', redirect: 'manual' });
    expect(second.status).toBe(409);
  });
});

describe('transparency page', () => {
  it('serves status, what is collected, the notice and the last screenshot on 127.0.0.1 behind its token', async () => {
    agent = buildAgent(stateDir, fakes);
    const connected = agent.events.waitFor('connected');
    await agent.start();
    await connected;
    await agent.captureNow();
    const url = agent.pageUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/$/);

    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('Seatwatch is monitoring this computer');
    expect(page.body).toContain('foreground application and window title every 1 s');
    expect(page.body).toContain(escapeHtml(peer.notice.text));
    expect(page.body).toContain('last-screenshot');

    const shot = await fetch(`${url}last-screenshot`);
    expect(shot.headers.get('content-type')).toBe('image/jpeg');
    const status = await (await fetch(`${url}status.json`)).json();
    expect(status).toMatchObject({ agentId: 'agent-1', connection: { state: 'connected' } });

    // Without the token: no data. With a foreign Host header (DNS rebinding): refused.
    const root = await get(url.replace(/\/[0-9a-f]{32}\/$/, '/'));
    expect(root.body).not.toContain('agent-1');
    const wrong = await get(`${url.replace(/[0-9a-f]{32}\/$/, '0'.repeat(32))}/status.json`);
    expect(wrong.status).toBe(404);
    const rebinding = await get(url, 'evil.example:80');
    expect(rebinding.status).toBe(421);
  });

  it('escapes what it shows', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).toBe(
      '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;',
    );
  });
});

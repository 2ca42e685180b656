/** The notice gate and the local transparency page, on a real agent with fake collectors. */
import fs from 'node:fs';
import http from 'node:http';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agent.js';
import type { DesktopNotifier } from '../../src/notice/desktop-notification.port.js';
import { escapeHtml } from '../../src/notice/transparency-page.js';
import { buildAgent, enrolledStateDir } from '../support/agent-harness.js';
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

describe('monitoring notice', () => {
  it('is shown on the terminal, as a notification and on the page at first run, once per version', async () => {
    const printed: string[] = [];
    const notified: string[] = [];
    const notifier: DesktopNotifier = {
      name: 'test',
      notify: async (title, body) => {
        notified.push(`${title}\n${body}`);
        return true;
      },
    };
    agent = buildAgent(stateDir, fakes, {
      terminal: { write: (t) => printed.push(t), isTTY: true },
      desktopNotifier: notifier,
    });
    const shown = agent.events.waitFor('notice_shown');
    await agent.start();
    expect(await shown).toEqual({ version: 1, shownVia: ['terminal', 'notification', 'page'] });
    expect(printed.join('')).toContain('privacy@example.com');
    expect(printed.join('')).toContain(agent.pageUrl!);
    expect(notified[0]).toMatch(/^Seatwatch monitors this computer\n/);
    await agent.stop('signal');

    // Same version at the next start: not shown again.
    printed.length = 0;
    agent = buildAgent(stateDir, fakes, { terminal: { write: (t) => printed.push(t), isTTY: true } });
    const connected = agent.events.waitFor('connected');
    await agent.start();
    await connected;
    await agent.whenAcked(agent.outbox.lastSeq);
    expect(printed.join('')).not.toContain('MONITORING NOTICE');
    expect(peer.events().filter((e) => e.type === 'notice_ack')).toHaveLength(1);
  });

  it('collects nothing while the notice could not be shown anywhere', async () => {
    agent = buildAgent(stateDir, fakes, { page: null, terminal: { write: () => {}, isTTY: false } });
    const connected = agent.events.waitFor('connected');
    await agent.start();
    await connected;
    const captureNow = peer.sendCommand('capture_now');
    const result = await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === captureNow);
    expect(result).toMatchObject({ ok: false });
    expect(fakes.screen.captures).toBe(0);
    expect(
      peer.events().some((e) => e.type === 'activity' || e.type === 'notice_ack' || e.type === 'status'),
    ).toBe(false);
    expect(agent.status().collectors.activity).toEqual({
      state: 'paused',
      detail: 'waiting until the monitoring notice has been shown',
    });
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

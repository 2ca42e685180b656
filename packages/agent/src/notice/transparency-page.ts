/**
 * The local transparency page, on 127.0.0.1 only: the agent's status, what it
 * collects and how often, why anything is paused, the notice, and the last
 * screenshot taken. The URL carries a random token (kept in the owner-only
 * state folder and shown to the operator), so other users of a shared
 * computer cannot read this operator's screenshot; the Host header is
 * checked so a web page cannot reach it through DNS rebinding.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Notice } from '@seatwatch/shared';
import { STATE_FILES } from '../identity/state-dir.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import type { AgentStatus } from '../status/agent-status.js';
import { describeCollection } from './notice-text.js';

export interface PageSource {
  status(): AgentStatus;
  notice(): Notice;
  lastScreenshot(): { bytes: Uint8Array; mime: string } | null;
  /** The page's "I have read this notice" button; false when nothing waits for confirmation. */
  confirmNotice?: () => boolean;
  /** A one-time link to the server's self-view of this seat (issue #7); absent when not connected to one. */
  selfViewLink?: () => Promise<string>;
}

export interface TransparencyPage {
  readonly url: string;
  close(): Promise<void>;
}

export const DEFAULT_PAGE_PORT = 47655;

function pageToken(stateDir: string): string {
  const file = path.join(stateDir, STATE_FILES.pageToken);
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{32}$/.test(token)) return token;
  } catch {
    // First run: make one.
  }
  const token = randomBytes(16).toString('hex');
  writeFileAtomic(file, `${token}\n`);
  return token;
}

export async function startTransparencyPage(
  stateDir: string,
  port: number,
  source: PageSource,
): Promise<TransparencyPage> {
  const token = pageToken(stateDir);
  const server = http.createServer((req, res) => {
    const address = server.address() as AddressInfo | null;
    // A request read just as the page closes (the agent stops) has no page left to answer it; without
    // this check it threw, uncaught, and the stopping agent ended with 1 instead of 0.
    if (!address) {
      res.writeHead(503).end();
      return;
    }
    const listening = address.port;
    const allowedHosts = new Set([`127.0.0.1:${listening}`, `localhost:${listening}`]);
    const headers = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy':
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'",
    };
    if (!allowedHosts.has(req.headers.host ?? '')) {
      res.writeHead(421, headers).end();
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const prefix = `/${token}/`;
    if (req.method === 'POST' && url.pathname === `${prefix}confirm-notice` && source.confirmNotice) {
      // The token in the path is the secret another site cannot know; a browser's Origin, when sent, must be this page.
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedHosts.has(origin.replace(/^http:\/\//, ''))) {
        res.writeHead(403, headers).end();
        return;
      }
      req.resume();
      const confirmed = source.confirmNotice();
      res.writeHead(confirmed ? 303 : 409, { ...headers, location: prefix }).end();
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, headers).end();
      return;
    }
    if (url.pathname === prefix) {
      res
        .writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' })
        .end(renderPage(source, prefix));
    } else if (url.pathname === `${prefix}status.json`) {
      res
        .writeHead(200, { ...headers, 'content-type': 'application/json' })
        .end(JSON.stringify(source.status()));
    } else if (url.pathname === `${prefix}self-view` && source.selfViewLink) {
      source.selfViewLink().then(
        (link) => res.writeHead(303, { ...headers, location: link }).end(),
        (error: unknown) =>
          res
            .writeHead(502, { ...headers, 'content-type': 'text/html; charset=utf-8' })
            .end(
              `<!doctype html><title>Seatwatch agent</title><p>The server could not be asked for the link: ${escapeHtml(
                error instanceof Error ? error.message : String(error),
              )}. Try again when the agent is connected.</p>`,
            ),
      );
    } else if (url.pathname === `${prefix}last-screenshot`) {
      const shot = source.lastScreenshot();
      if (!shot) res.writeHead(404, headers).end();
      else res.writeHead(200, { ...headers, 'content-type': shot.mime }).end(shot.bytes);
    } else {
      res
        .writeHead(url.pathname === '/' ? 200 : 404, {
          ...headers,
          'content-type': 'text/html; charset=utf-8',
        })
        .end(
          '<!doctype html><title>Seatwatch agent</title><p>The Seatwatch agent runs on this computer. Its page is at the address shown by <code>seatwatch-agent status</code> and in the monitoring notice.</p>',
        );
    }
  });
  await listen(server, port).catch(async (error: NodeJS.ErrnoException) => {
    // Another agent (another user's session) holds the usual port: take any free one; status shows it.
    if (error.code !== 'EADDRINUSE' || port === 0) throw error;
    await listen(server, 0);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/${token}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function when(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toLocaleString();
}

function noticeState(s: AgentStatus, prefix: string): string {
  if (s.notice.shownAt !== null)
    return `<p>Confirmed ${escapeHtml(when(s.notice.shownAt))}${s.notice.confirmedVia ? ` (${escapeHtml(s.notice.confirmedVia)})` : ''}.</p>`;
  const why = s.notice.problem ? `<p><strong>${escapeHtml(s.notice.problem)}.</strong></p>` : '';
  return `${why}<p>Nothing is collected until you confirm that you have read this notice.</p>
<form method="post" action="${prefix}confirm-notice"><button type="submit">I have read this notice</button></form>`;
}

function renderPage(source: PageSource, prefix: string): string {
  const s = source.status();
  const notice = source.notice();
  const rows = Object.entries(s.collectors)
    .map(
      ([name, c]) =>
        `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(c.state)}</td><td>${escapeHtml(c.detail)}</td></tr>`,
    )
    .join('');
  const paused = s.paused.length
    ? `<ul>${s.paused.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`
    : '<p>Nothing is paused.</p>';
  const shot = s.lastScreenshot
    ? `<p>Taken ${escapeHtml(when(s.lastScreenshot.time))}, monitor ${s.lastScreenshot.monitor}, ${s.lastScreenshot.width}×${s.lastScreenshot.height}.</p><img alt="last screenshot" src="${prefix}last-screenshot?t=${s.lastScreenshot.time}">`
    : '<p>No screenshot has been taken since the agent started.</p>';
  const connection =
    s.connection.state === 'connected'
      ? `connected since ${escapeHtml(when(s.connection.connectedAt))}`
      : `${escapeHtml(s.connection.state)}${s.connection.explanation ? ` — ${escapeHtml(s.connection.explanation)}` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15">
<title>Seatwatch agent on this computer</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}th,td{text-align:left;padding:.25rem .75rem .25rem 0;vertical-align:top}img{max-width:100%;border:1px solid #999}pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}</style>
</head><body>
<h1>Seatwatch is monitoring this computer</h1>
<p>Agent ${escapeHtml(s.agentVersion)}, running since ${escapeHtml(when(s.startedAt))}. Server: ${escapeHtml(s.server)}, ${connection}.
Waiting to be delivered: ${s.outbox.depth} item(s); last acknowledged ${escapeHtml(when(s.outbox.lastAckAt))}.</p>
<h2>What is collected now</h2>
<table>${rows}</table>
<h2>Paused or unavailable</h2>${paused}
<h2>Last screenshot</h2>${shot}
${
  source.selfViewLink
    ? `<h2>What the server holds about this seat</h2><p><a href="${prefix}self-view">See what was collected about this seat, and who looked at it, when and why</a> (opens a one-time link to the server).</p>`
    : ''
}
<h2>The monitoring notice (version ${notice.version})</h2>
${noticeState(s, prefix)}
<pre>${escapeHtml(notice.text)}</pre>
<ul>${describeCollection(s.policy)
    .map((l) => `<li>${escapeHtml(l)}</li>`)
    .join('')}</ul>
</body></html>`;
}

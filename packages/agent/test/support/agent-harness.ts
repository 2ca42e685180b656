/** Enrolls a state folder against the test peer and builds agents on it. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { confirmingNoticeChannel, type ProtocolPeer } from '@seatwatch/testkit/agent';
import { type Agent, type AgentDeps, createAgent } from '../../src/agent.js';
import { enroll } from '../../src/identity/enroll.js';
import { loadIdentity } from '../../src/identity/identity-store.js';
import { jsonLineLogger, type Logger } from '../../src/runtime/logger.js';
import type { Fakes } from './fake-collectors.js';

export function tempStateDir(prefix = 'agent-state-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function enrolledStateDir(peer: ProtocolPeer, seat = 'seat-042'): Promise<string> {
  const stateDir = tempStateDir();
  await enroll({
    stateDir,
    serverUrl: peer.url,
    token: 'good-token',
    seat,
    insecure: false,
    hostname: 'seat-042',
    os: 'linux test',
    osUser: 'operator1',
    agentVersion: '0.1.0',
    now: Date.now,
  });
  return stateDir;
}

/** Collects log lines so a test can assert what the agent logged. */
export function memoryLogger(): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = jsonLineLogger((line) => lines.push(JSON.parse(line)), 'debug');
  return Object.assign(logger, { lines });
}

export function buildAgent(stateDir: string, fakes: Fakes, extra: Partial<AgentDeps> = {}): Agent {
  return createAgent({
    stateDir,
    identity: loadIdentity(stateDir),
    collectors: fakes.probes,
    osUser: 'operator1',
    terminal: null,
    desktopNotifier: null,
    // The operator confirms the notice at once (notice tests pass their own channels).
    noticeChannels: [confirmingNoticeChannel()],
    page: { port: 0 },
    flushDelayMs: 20,
    stopAckTimeoutMs: 3000,
    backoff: { initialMs: 50, maxMs: 400 },
    ...extra,
  });
}

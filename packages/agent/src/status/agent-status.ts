/**
 * What the agent tells about itself: written to status.json (read by
 * `seatwatch-agent status`) and shown on the local transparency page.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Policy } from '@seatwatch/shared';
import type { CollectorStatus } from '../collectors/collector.js';
import { errorMessage } from '../collectors/probe.js';
import { STATE_FILES } from '../identity/state-dir.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { TransportState } from '../transport/transport.js';

export interface AgentStatus {
  readonly version: 1;
  readonly pid: number;
  readonly agentVersion: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly agentId: string;
  readonly seat: string | null;
  readonly server: string;
  readonly connection: {
    readonly state: TransportState;
    readonly session: string | null;
    readonly connectedAt: number | null;
    /** Why the agent is not connected, in words for the operator. */
    readonly explanation: string | null;
    readonly retryAt: number | null;
  };
  readonly outbox: {
    readonly depth: number;
    readonly bytes: number;
    readonly lastSeq: number;
    readonly ackedSeq: number;
    readonly lastAckAt: number | null;
    readonly droppedSinceStart: number;
  };
  readonly notice: {
    readonly version: number;
    readonly shownAt: number | null;
    readonly shownVia: readonly string[];
    /** How the operator confirmed it (button, terminal, page); null while it waits. */
    readonly confirmedVia?: string | null;
    /** On screen, waiting for the operator to confirm it. */
    readonly waiting?: boolean;
    /** Why nothing can show it (no desktop, no dialog program, no terminal); null when something can. */
    readonly problem?: string | null;
  };
  readonly collectors: Readonly<Record<string, CollectorStatus>>;
  /** Every reason something is paused or unavailable now, one sentence each. */
  readonly paused: readonly string[];
  readonly lastScreenshot: {
    readonly time: number;
    readonly monitor: number;
    readonly width: number;
    readonly height: number;
  } | null;
  readonly pageUrl: string | null;
  readonly policy: Policy;
  readonly stopped: { readonly at: number; readonly reason: string } | null;
}

export function writeStatusFile(stateDir: string, status: AgentStatus): void {
  writeFileAtomic(path.join(stateDir, STATE_FILES.status), `${JSON.stringify(status, null, 2)}\n`);
}

export function readStatusFile(stateDir: string): AgentStatus | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, STATE_FILES.status), 'utf8')) as AgentStatus;
  } catch {
    return null;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const WRITE_EVERY_MS = 1000;

export interface StatusFileWriter {
  /** Writes within a second: many changes in a burst cost one write. */
  schedule(): void;
  writeNow(): void;
  /** No write after this one (the agent has stopped). */
  cancel(): void;
}

export function createStatusFileWriter(
  stateDir: string,
  clock: Clock,
  log: Logger,
  status: () => AgentStatus,
): StatusFileWriter {
  let timer: TimerHandle | null = null;
  const cancel = () => {
    clock.clearTimeout(timer);
    timer = null;
  };
  const writeNow = () => {
    cancel();
    try {
      writeStatusFile(stateDir, status());
    } catch (error) {
      log.log('warn', 'could not write the status file', { error: errorMessage(error) });
    }
  };
  return {
    schedule() {
      if (!timer) timer = clock.setTimeout(writeNow, WRITE_EVERY_MS);
    },
    writeNow,
    cancel,
  };
}

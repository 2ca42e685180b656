/**
 * The orchestrator's side of a generator process (generator-process.ts):
 * forks it, keeps its latest periodic stats, and answers report() with
 * stats asked for now. Used by the load bench and the anomaly-overhead
 * bench alike.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentOutcome, FromGenerator, GeneratorStats, ToGenerator } from './generator-messages.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface Generator {
  child: ChildProcess;
  latest: GeneratorStats | null;
  ready: Promise<void>;
  final: Promise<{ stats: GeneratorStats; agents: AgentOutcome[]; drained: boolean }>;
  /** Ignored once the generator failed or exited. */
  send(message: ToGenerator): void;
  /** Stats as of now; rejects if the generator fails or exits first. */
  report(): Promise<GeneratorStats>;
  exited: Promise<void>;
}

export function forkGenerator(onFatal: (message: string) => void): Generator {
  const child = fork(join(here, 'generator-process.ts'), [], {
    execArgv: ['--conditions=seatwatch-source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let markReady!: () => void;
  let markFinal!: (value: { stats: GeneratorStats; agents: AgentOutcome[]; drained: boolean }) => void;
  const reports: { resolve: (stats: GeneratorStats) => void; reject: (error: Error) => void }[] = [];
  let failed: Error | null = null;
  const fail = (error: Error) => {
    failed ??= error;
    for (const waiting of reports.splice(0)) waiting.reject(failed);
  };
  const send = (message: ToGenerator) => {
    if (!failed) child.send(message);
  };
  const generator: Generator = {
    child,
    latest: null,
    ready: new Promise((done) => {
      markReady = done;
    }),
    final: new Promise((done) => {
      markFinal = done;
    }),
    send,
    report: () =>
      new Promise((resolve, reject) => {
        if (failed) return reject(failed);
        reports.push({ resolve, reject });
        send({ type: 'report' });
      }),
    exited: new Promise((done) => child.once('exit', () => done())),
  };
  child.on('message', (message: FromGenerator) => {
    switch (message.type) {
      case 'ready':
        markReady();
        break;
      case 'stats':
        generator.latest = message.stats;
        for (const waiting of reports.splice(0)) waiting.resolve(message.stats);
        break;
      case 'final':
        generator.latest = message.stats;
        markFinal(message);
        break;
      case 'fatal':
        fail(new Error(`generator failed: ${message.message}`));
        onFatal(message.message);
        break;
    }
  });
  child.on('error', fail);
  child.once('exit', (code) => fail(new Error(`generator exited (${code})`)));
  return generator;
}

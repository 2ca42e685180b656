/**
 * Profiles the server for the hold only: the server runs with
 * --inspect=127.0.0.1:<port>, and the bench starts and stops V8's sampling
 * profiler through the DevTools protocol, so start-up, enrollment and the
 * ramp do not blur where the steady-state time goes.
 */
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

export interface InspectorProfiler {
  start(): Promise<void>;
  /** Stops and writes the .cpuprofile (V8's JSON format, loadable in Chrome DevTools). */
  stop(file: string): Promise<void>;
  close(): void;
}

export async function connectInspector(port: number, samplingIntervalUs = 1000): Promise<InspectorProfiler> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string;
  }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error('the server exposes no inspector target');
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 ** 3 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    if (message.id === undefined) return;
    const waiter = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error.message));
    else waiter?.resolve(message.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  return {
    start: async () => {
      await call('Profiler.start');
    },
    async stop(file) {
      const { profile } = (await call('Profiler.stop')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(profile));
    },
    close: () => ws.close(),
  };
}

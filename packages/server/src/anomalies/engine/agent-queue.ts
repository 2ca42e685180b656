/**
 * Work for one agent runs in order; agents run side by side. idle()
 * resolves once everything queued so far is done; after stop(), queued
 * work is dropped (a closing server waits only for what already runs).
 */
export interface AgentQueue {
  /** Queues work behind the agent's earlier work; resolves when it is done (never rejects). */
  run(agentId: string, task: () => Promise<void>): Promise<void>;
  idle(): Promise<void>;
  stop(): void;
}

export function createAgentQueue(onError: (error: unknown) => void): AgentQueue {
  const chains = new Map<string, Promise<void>>();
  let pending = 0;
  let idleWaiters: (() => void)[] = [];
  let stopped = false;

  return {
    run(agentId, task) {
      pending++;
      const previous = chains.get(agentId) ?? Promise.resolve();
      const next = previous
        .then(() => (stopped ? undefined : task()))
        .catch(onError)
        .finally(() => {
          if (chains.get(agentId) === next) chains.delete(agentId);
          pending--;
          if (pending === 0) {
            const waiters = idleWaiters;
            idleWaiters = [];
            for (const resolve of waiters) resolve();
          }
        });
      chains.set(agentId, next);
      return next;
    },
    idle() {
      if (pending === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    stop() {
      stopped = true;
    },
  };
}

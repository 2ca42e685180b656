/**
 * The agent's side of the connection to its server: the Transport (hello,
 * welcome, acknowledgements, resending) wired to the rest of the agent, and
 * what the status file says about it: since when connected, why not, when
 * the next attempt is due, when the last acknowledgement came.
 */
import type { Notice, Policy } from '@seatwatch/shared';
import type { AgentStatus } from '../status/agent-status.js';
import { type Disconnect, Transport, type TransportOptions } from './transport.js';

export interface ServerSessionOptions extends Omit<TransportOptions, 'hooks'> {
  onWelcome(welcome: { session: string; ackedSeq: number; policy: Policy; notice: Notice }): void;
  onCommand: TransportOptions['hooks']['onCommand'];
  onAcked(seq: number): void;
  onDisconnected(info: Disconnect): void;
  onRefused(reason: string): void;
  onRevoked(): void;
}

export interface ServerSession {
  /** Sends what the outbox holds, as far as the window allows. */
  pump(): void;
  waitForAck(seq: number, timeoutMs: number): Promise<boolean>;
  connection(): AgentStatus['connection'];
  readonly lastAckAt: number | null;
  /** Why delivery is held up, in words for the operator; null while connected. */
  deliveryProblem(): string | null;
  /** Waits up to `ackTimeoutMs` for `lastSeq` (the stop event) to be acknowledged, then closes. */
  close(lastSeq: number | null, ackTimeoutMs: number, reason: string): Promise<void>;
}

/** Before the session starts, and in deliver-only runs that never got that far. */
export const NO_CONNECTION: AgentStatus['connection'] = {
  state: 'idle',
  session: null,
  connectedAt: null,
  explanation: null,
  retryAt: null,
};

export function startServerSession(options: ServerSessionOptions): ServerSession {
  const { onWelcome, onCommand, onAcked, onDisconnected, onRefused, onRevoked, ...transportOptions } =
    options;
  const { clock, log } = options;
  let connectedAt: number | null = null;
  let lastDisconnect: Disconnect | null = null;
  let lastAckAt: number | null = null;

  const transport = new Transport({
    ...transportOptions,
    hooks: {
      onWelcome: (welcome) => {
        connectedAt = clock.now();
        lastDisconnect = null;
        onWelcome(welcome);
      },
      onCommand,
      onAcked: (seq) => {
        lastAckAt = clock.now();
        onAcked(seq);
      },
      onDisconnected: (info) => {
        lastDisconnect = info;
        connectedAt = null;
        onDisconnected(info);
      },
      onRefused,
      onRevoked,
    },
  });
  transport.start();

  const connected = () => transport.state === 'connected';

  return {
    pump: () => transport.pump(),
    waitForAck: (seq, timeoutMs) => transport.waitForAck(seq, timeoutMs),
    connection: () => ({
      state: transport.state,
      session: transport.sessionId,
      connectedAt: connected() ? connectedAt : null,
      explanation: connected() ? null : (lastDisconnect?.explanation ?? null),
      retryAt: transport.state === 'waiting' ? (lastDisconnect?.retryAt ?? null) : null,
    }),
    get lastAckAt() {
      return lastAckAt;
    },
    deliveryProblem: () => (lastDisconnect && !connected() ? lastDisconnect.explanation : null),
    async close(lastSeq, ackTimeoutMs, reason) {
      if (lastSeq !== null && connected()) {
        const acked = await transport.waitForAck(lastSeq, ackTimeoutMs);
        if (!acked)
          log.log(
            'warn',
            'stopping without an acknowledgement of the stop event; it is sent at the next start',
            { seq: lastSeq },
          );
      }
      await transport.stop(reason);
    },
  };
}

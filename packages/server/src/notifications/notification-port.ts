/**
 * Cross-process notifications: what one server process must tell the
 * others that share its database. Payloads carry ids only (PostgreSQL
 * NOTIFY payloads are limited to 8000 bytes); receivers read the rest from
 * the database. Delivery is at most once and best effort: anything that
 * must not be lost (a command) is a database row first, and the
 * notification only says "look now".
 */
export type Notification =
  /** Something about a seat changed: connected, disconnected, state, devices. */
  | {
      topic: 'seat.changed';
      projectId: string;
      seatId: string;
      agentId: string;
      /** `activity` (the foreground application changed) and `screenshot` come from the live dashboard's ingest observer. */
      reason:
        | 'connected'
        | 'disconnected'
        | 'state'
        | 'device'
        | 'revoked'
        | 'activity'
        | 'screenshot'
        /** A desktop session of a shared seat started or ended (issue #14). */
        | 'operators';
    }
  /** An anomaly was opened or got another occurrence. */
  | {
      topic: 'anomaly.raised';
      projectId: string;
      anomalyId: string;
      rule: string;
      severity: string;
      agentId: string | null;
      opened: boolean;
    }
  /** Someone (or the server, on an agent's return) changed an anomaly's status. */
  | { topic: 'anomaly.status_changed'; projectId: string; anomalyId: string; status: string }
  /** A project's rule settings or a team's shift schedule changed: forget cached copies. */
  | { topic: 'anomaly.settings_changed'; projectId: string }
  /** Commands are pending for this agent: the process holding its socket sends them. */
  | { topic: 'agent.command'; agentId: string }
  /** The agent completed a hello on some process: any other connection of it is closed with 4409. */
  | { topic: 'agent.connected'; agentId: string; session: string }
  /** The agent was revoked: its connection, wherever it is, gets its pending commands and 4410. */
  | { topic: 'agent.revoked'; agentId: string }
  /** A legal hold was placed, changed or released: read the held seats again (cases/held-seats.ts). */
  | { topic: 'legal_hold.changed' }
  /**
   * Sessions of this user ended on the process `origin` (sign-out, revocation, a password change,
   * the account disabled or reset): every other process re-checks that user's live streams now
   * instead of at their next periodic check (accounts/session-endings.ts).
   */
  | { topic: 'session.ended'; userId: string; origin: string };

export type NotificationTopic = Notification['topic'];
export type NotificationHandler = (notification: Notification) => void;

export interface NotificationPort {
  /** Sends to every process, this one included. */
  publish(notification: Notification): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(handler: NotificationHandler): () => void;
  close(): Promise<void>;
}

/** Calls each handler, so that one handler's exception does not keep the others from hearing. */
export function fanOut(
  handlers: ReadonlySet<NotificationHandler>,
  notification: Notification,
  onError: (error: unknown) => void,
): void {
  for (const handler of handlers) {
    try {
      handler(notification);
    } catch (error) {
      onError(error);
    }
  }
}

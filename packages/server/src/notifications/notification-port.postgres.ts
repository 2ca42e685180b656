/**
 * NotificationPort on PostgreSQL LISTEN/NOTIFY, so that several server
 * processes on one database hear each other. One dedicated connection
 * listens (a pooled one cannot: LISTEN belongs to a session); it reconnects
 * with backoff when it drops. Publishing goes through the shared pool, a
 * turn's worth of notifications per statement.
 */
import pg from 'pg';
import {
  fanOut,
  type Notification,
  type NotificationHandler,
  type NotificationPort,
} from './notification-port.js';

export const NOTIFY_CHANNEL = 'seatwatch_events';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 8000;

export interface PostgresNotificationOptions {
  connectionString: string;
  /** Used to publish; any pool on the same database. */
  pool: pg.Pool;
  onError?: (error: unknown) => void;
  /** Delay before reconnect attempt n (1, 2, ...). */
  backoffMs?: (attempt: number) => number;
}

export async function createPostgresNotificationPort(
  options: PostgresNotificationOptions,
): Promise<NotificationPort> {
  const handlers = new Set<NotificationHandler>();
  const onError = options.onError ?? (() => {});
  const backoff = options.backoffMs ?? ((attempt) => Math.min(30_000, 250 * 2 ** Math.min(attempt, 7)));
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;

  const receive = (message: pg.Notification) => {
    if (message.channel !== NOTIFY_CHANNEL || !message.payload) return;
    let notification: Notification;
    try {
      notification = JSON.parse(message.payload) as Notification;
    } catch (error) {
      onError(error);
      return;
    }
    fanOut(handlers, notification, onError);
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: options.connectionString });
    next.on('notification', receive);
    next.on('error', (error) => {
      onError(error);
      if (client === next) {
        client = null;
        next.end().catch(() => {});
        schedule(1);
      }
    });
    await next.connect();
    await next.query(`LISTEN ${NOTIFY_CHANNEL}`);
    if (closed) {
      await next.end();
      return;
    }
    client = next;
  };

  const schedule = (attempt: number) => {
    if (closed) return;
    retry = setTimeout(() => {
      retry = null;
      connect().catch((error) => {
        onError(error);
        schedule(attempt + 1);
      });
    }, backoff(attempt));
    retry.unref();
  };

  await connect();

  // Publishes made in the same turn of the event loop go out in one statement: ingest can publish for
  // many seats at once, and one pooled query per notification would compete with the group commits.
  let outbox: Array<{ payload: string; settle: (error?: unknown) => void }> = [];
  const flush = () => {
    const batch = outbox;
    outbox = [];
    options.pool
      .query(
        'select pg_notify($1, payload) from jsonb_array_elements_text($2::jsonb) with ordinality as t(payload, n) order by n',
        [NOTIFY_CHANNEL, JSON.stringify(batch.map((item) => item.payload))],
      )
      .then(
        () => {
          for (const item of batch) item.settle();
        },
        (error: unknown) => {
          for (const item of batch) item.settle(error);
        },
      );
  };

  return {
    publish(notification) {
      if (closed) return Promise.resolve();
      const payload = JSON.stringify(notification);
      // Checked here so that one oversized notification cannot fail the others in its statement.
      if (Buffer.byteLength(payload) >= MAX_PAYLOAD_BYTES) {
        return Promise.reject(
          new RangeError(`notification of ${payload.length} bytes is over the NOTIFY limit`),
        );
      }
      return new Promise<void>((resolve, reject) => {
        if (outbox.length === 0) setImmediate(flush);
        outbox.push({
          payload,
          settle: (error) => (error === undefined ? resolve() : reject(error)),
        });
      });
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      handlers.clear();
      const current = client;
      client = null;
      await current?.end();
    },
  };
}

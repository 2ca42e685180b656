/** NotificationPort within one process: PGlite is one process's database, so this is all it needs. */
import { fanOut, type NotificationHandler, type NotificationPort } from './notification-port.js';

export function createInProcessNotificationPort(
  onError: (error: unknown) => void = () => {},
): NotificationPort {
  const handlers = new Set<NotificationHandler>();
  let closed = false;
  return {
    async publish(notification) {
      if (closed) return;
      // Delivered on a later tick, as a notification from another process would be.
      queueMicrotask(() => fanOut(handlers, notification, onError));
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async close() {
      closed = true;
      handlers.clear();
    },
  };
}

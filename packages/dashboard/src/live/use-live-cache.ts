import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { queryKeys } from '../api/queries.js';
import { LiveCache } from './live-cache.js';
import { liveStream } from './live-stream.js';

const animationFrames = {
  request: (callback: () => void) => requestAnimationFrame(callback),
  cancel: (handle: number) => cancelAnimationFrame(handle),
};

/**
 * Keeps the query cache live while the calling page is shown. Returns true
 * once the page may read its snapshots: the stream is open (so nothing after
 * the read is missed) or cannot open at all (so the page still shows data).
 */
export function useLiveCache(): boolean {
  const client = useQueryClient();
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const cache = new LiveCache(client, animationFrames);
    const unsubscribe = liveStream.subscribe({
      open: () => {
        setReady(true);
        cache.opened();
      },
      seat: (seat) => cache.seat(seat),
      anomaly: (message) => cache.anomaly(message.anomaly),
      // The session ended (signed out elsewhere, revoked, password changed): asking again shows sign-in.
      ended: () => void client.invalidateQueries({ queryKey: queryKeys.session }),
    });
    return () => {
      unsubscribe();
      cache.dispose();
    };
  }, [client]);
  return ready;
}

import type { SessionInfo } from '@seatwatch/shared/dashboard-api';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { queries, queryKeys } from '../api/queries.js';

interface SessionState {
  readonly session: SessionInfo | null;
  readonly error: unknown;
  /** An answer that carries the session (sign-in, setup, sign-out) replaces the one read at start. */
  set(session: SessionInfo): void;
}

/** The session, read once at start (it hands out the CSRF token) and then set by the answers that change it. */
export function useSession(): SessionState {
  const client = useQueryClient();
  const { data, error } = useQuery({ ...queries.session(), staleTime: Infinity });
  const set = useCallback(
    (session: SessionInfo) => client.setQueryData(queryKeys.session, session),
    [client],
  );
  return { session: data ?? null, error, set };
}

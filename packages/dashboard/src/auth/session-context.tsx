import type { SessionInfo } from '@seatwatch/shared/dashboard-api';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { auth } from '../api/client.js';

interface SessionState {
  readonly session: SessionInfo | null;
  readonly error: unknown;
  set(session: SessionInfo): void;
  refresh(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refresh = useCallback(async () => {
    try {
      setSession(await auth.session());
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <SessionContext.Provider value={{ session, error, set: setSession, refresh }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

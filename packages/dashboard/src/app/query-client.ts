import { QueryClient } from '@tanstack/react-query';

/**
 * The web app's one query cache. A failed request is shown at once, as the
 * pages always did, rather than retried behind a spinner: the server's
 * refusals (forbidden, not found, bad request) do not change on a retry.
 * Pages are kept current by the live stream and by the changes made here,
 * so switching back to the tab reads nothing again by itself.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}

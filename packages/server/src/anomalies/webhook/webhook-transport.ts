/**
 * Posting one webhook body. The outcome says whether a retry can help:
 * a 2xx is delivered; 408, 425, 429, 5xx, a timeout or a network error are
 * retried; any other answer (a 4xx, or a redirect, which is not followed so
 * that a webhook cannot be bounced elsewhere) means the request itself is
 * wrong and retrying would not change it.
 */
export interface WebhookRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export type WebhookOutcome =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly retry: boolean; readonly status: number | null; readonly error: string };

export interface WebhookTransport {
  post(request: WebhookRequest): Promise<WebhookOutcome>;
}

const RETRYABLE = new Set([408, 425, 429]);

export function classifyStatus(status: number): WebhookOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  return { ok: false, retry: status >= 500 || RETRYABLE.has(status), status, error: `HTTP ${status}` };
}

/** The transport over the runtime's fetch (undici in Node). */
export function createFetchWebhookTransport(options: { timeoutMs: number }): WebhookTransport {
  return {
    async post(request) {
      try {
        const response = await fetch(request.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'seatwatch-webhook/1',
            ...request.headers,
          },
          body: request.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        // The body is not used; reading it frees the connection for reuse.
        await response.arrayBuffer().catch(() => undefined);
        return classifyStatus(response.status);
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, retry: true, status: null, error: cause ? `${message} (${cause})` : message };
      }
    },
  };
}

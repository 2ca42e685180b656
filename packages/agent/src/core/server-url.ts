/**
 * The rule for server URLs: TLS (https) unless the host is loopback or the
 * operator gave --insecure explicitly. Returns the collector's base URL and
 * the WebSocket URL of the agent gateway.
 */
export interface ServerEndpoints {
  readonly base: string;
  readonly ws: string;
  readonly tls: boolean;
}

export type ServerUrlCheck = { ok: true; endpoints: ServerEndpoints } | { ok: false; reason: string };

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  const octets = host.split('.');
  return (
    octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
  );
}

export function checkServerUrl(raw: string, insecure: boolean): ServerUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `not a URL: ${raw}` };
  }
  const tls = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!tls && url.protocol !== 'http:' && url.protocol !== 'ws:') {
    return { ok: false, reason: `unsupported scheme ${url.protocol} (use https://)` };
  }
  if (url.username || url.password)
    return { ok: false, reason: 'credentials in the server URL are not allowed' };
  if (!tls && !insecure && !isLoopbackHost(url.hostname)) {
    return {
      ok: false,
      reason: `refusing ${url.protocol}// to ${url.hostname}: without TLS anyone on the path can read the traffic; use https:// (or --insecure on a network you trust)`,
    };
  }
  const path = url.pathname.replace(/\/+$/, '');
  const base = `${tls ? 'https' : 'http'}://${url.host}${path}`;
  const ws = `${tls ? 'wss' : 'ws'}://${url.host}${path}/api/v1/agent/ws`;
  return { ok: true, endpoints: { base, ws, tls } };
}

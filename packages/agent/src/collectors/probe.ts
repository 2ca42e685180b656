/**
 * What an adapter factory returns: a working port, or the reason there is
 * none (no display, library missing, OS not supported). A missing capability
 * is a probe result the agent reports, never a crash.
 */
export type Probe<T> =
  | { readonly ok: true; readonly port: T }
  | { readonly ok: false; readonly reason: string };

export function available<T>(port: T): Probe<T> {
  return { ok: true, port };
}

export function unavailable<T>(reason: string): Probe<T> {
  return { ok: false, reason };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Settles within `ms`, so a hung OS call cannot stall a collector's loop. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One spelling per address, so that "::ffff:10.0.0.1" and "10.0.0.1" are the same IP to every rule. */
export function normalizeIp(ip: string): string {
  const lower = ip.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  return mapped ? mapped[1]! : lower;
}

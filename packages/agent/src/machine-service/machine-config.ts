/**
 * The machine service's configuration file (default /etc/seatwatch/agent.conf),
 * which a software-distribution tool writes once per computer: `key = value`
 * lines, `#` comments. Pure: text in, settings or every problem out.
 *
 *     server = https://collector.example.com
 *     token = …            # enrollment token, used once at the first start
 *     seat = Floor 2 / 14  # optional
 *     insecure = false     # plain http to a host that is not loopback
 *     stateDir = /var/lib/seatwatch-agent
 *     socketDir = /run/seatwatch-agent/sessions
 *     sessionUsers = alice, bob   # optional: else every account with a desktop session (logind)
 */

export interface MachineConfig {
  readonly server?: string;
  readonly token?: string;
  readonly seat?: string;
  readonly insecure?: boolean;
  readonly stateDir?: string;
  readonly socketDir?: string;
  readonly sessionUsers?: readonly string[];
}

const KEYS = new Set(['server', 'token', 'seat', 'insecure', 'stateDir', 'socketDir', 'sessionUsers']);

export function parseMachineConfig(
  text: string,
  source: string,
): { ok: true; config: MachineConfig } | { ok: false; problems: string[] } {
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const at = `${source}:${index + 1}`;
    const eq = line.indexOf('=');
    if (eq < 0) {
      problems.push(`${at}: expected "key = value"`);
      return;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!KEYS.has(key)) {
      // A typo must not be ignored: the setting it meant would silently not apply.
      problems.push(`${at}: unknown setting "${key}"`);
      return;
    }
    if (key in config) problems.push(`${at}: "${key}" is set twice`);
    if (key === 'insecure') {
      if (value !== 'true' && value !== 'false') problems.push(`${at}: insecure must be true or false`);
      config.insecure = value === 'true';
    } else if (key === 'sessionUsers') {
      config.sessionUsers = value
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
    } else if (value === '') {
      problems.push(`${at}: "${key}" has no value`);
    } else {
      config[key] = value;
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: config as MachineConfig };
}

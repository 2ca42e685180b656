import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkOwnerOnly,
  loadIdentity,
  NotEnrolledError,
  StateError,
} from '../../src/identity/identity-store.js';
import { defaultStateDir, resolveStateDir } from '../../src/identity/state-dir.js';
import { AGENT_VERSION } from '../../src/version.js';
import { tempStateDir } from '../support/agent-harness.js';

describe('state folder', () => {
  it('follows each OS convention, overridable by flag or SEATWATCH_AGENT_HOME', () => {
    expect(defaultStateDir('linux', {}, '/home/op')).toBe('/home/op/.local/state/seatwatch-agent');
    expect(defaultStateDir('linux', { XDG_STATE_HOME: '/x/state' }, '/home/op')).toBe(
      '/x/state/seatwatch-agent',
    );
    expect(defaultStateDir('darwin', {}, '/Users/op')).toBe(
      '/Users/op/Library/Application Support/Seatwatch Agent',
    );
    expect(defaultStateDir('win32', { LOCALAPPDATA: 'C:\\Users\\op\\AppData\\Local' }, 'C:\\Users\\op')).toBe(
      'C:\\Users\\op\\AppData\\Local\\Seatwatch\\Agent',
    );
    expect(resolveStateDir('/flag', { SEATWATCH_AGENT_HOME: '/env' }, 'linux', '/h')).toBe('/flag');
    expect(resolveStateDir(undefined, { SEATWATCH_AGENT_HOME: '/env' }, 'linux', '/h')).toBe('/env');
  });

  it('refuses a key file others can read, and says not enrolled plainly', () => {
    const dir = tempStateDir();
    try {
      expect(() => loadIdentity(dir)).toThrow(NotEnrolledError);
      const key = path.join(dir, 'agent.key');
      fs.writeFileSync(key, 'x', { mode: 0o640 });
      fs.chmodSync(key, 0o640);
      expect(() => checkOwnerOnly(key)).toThrow(StateError);
      expect(() => checkOwnerOnly(key)).toThrow(/mode 640/);
      fs.chmodSync(key, 0o600);
      expect(() => checkOwnerOnly(key)).not.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the version constant equal to package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8'));
    expect(AGENT_VERSION).toBe(pkg.version);
  });
});

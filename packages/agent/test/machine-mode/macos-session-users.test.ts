/**
 * How the machine service finds the account at a Mac's console and its uid
 * and gid (issue #14), from the outputs of `stat -f %Su /dev/console`,
 * `id -u` and `id -g` as macOS prints them (fixtures/macos), through a
 * strict stand-in for the commands that fails on any command line it was not
 * given. With those ids the Unix-socket channel is the one tested on Linux.
 * Not run on a Mac (docs/agent.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSocketDir } from '../../src/machine-service/service-command.js';
import {
  consoleSessionUsers,
  namedMacUsers,
  parseConsoleUser,
  parseIdNumber,
  type RunCommand,
} from '../../src/machine-service/session-users.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'macos');
const recorded = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** Answers only the command lines in `outputs` (a fixture name, or an Error to fail with), and records the calls. */
function commands(outputs: Record<string, string | Error>) {
  const calls: string[] = [];
  const run: RunCommand = async (program, args) => {
    const line = [program, ...args].join(' ');
    calls.push(line);
    const output = outputs[line];
    if (output === undefined) throw new Error(`unexpected command: ${line}`);
    if (output instanceof Error) throw output;
    return recorded(output);
  };
  return { run, calls };
}

describe('macOS session accounts', () => {
  it('takes the console user, with the uid and gid id prints', async () => {
    const cmd = commands({
      'stat -f %Su /dev/console': 'stat-f-Su-dev-console.txt',
      'id -u ada': 'id-u-ada.txt',
      'id -g ada': 'id-g-ada.txt',
    });
    expect(await consoleSessionUsers(cmd.run)()).toEqual([{ name: 'ada', uid: 501, gid: 20 }]);
    expect(cmd.calls).toEqual(['stat -f %Su /dev/console', 'id -u ada', 'id -g ada']);
  });

  it("has no one while the login window shows (the console is root's)", async () => {
    const cmd = commands({ 'stat -f %Su /dev/console': 'stat-f-Su-dev-console.login-window.txt' });
    expect(await consoleSessionUsers(cmd.run)()).toEqual([]);
    expect(cmd.calls).toEqual(['stat -f %Su /dev/console']);
  });

  it('takes the accounts named in the configuration, leaving out one that is not an account', async () => {
    const cmd = commands({
      'id -u ada': 'id-u-ada.txt',
      'id -g ada': 'id-g-ada.txt',
      'id -u gone': new Error('id: gone: no such user'),
    });
    expect(await namedMacUsers(['gone', 'ada'], cmd.run)()).toEqual([{ name: 'ada', uid: 501, gid: 20 }]);
  });

  it('parses the outputs strictly', () => {
    expect(parseConsoleUser('_mbsetupuser\n')).toBeNull();
    expect(parseConsoleUser('\n')).toBeNull();
    expect(parseConsoleUser('jean.dupont\n')).toBe('jean.dupont');
    expect(parseIdNumber('501\n')).toBe(501);
    expect(parseIdNumber('id: x: no such user\n')).toBeNull();
  });

  it('puts the sockets under /var/run, which macOS has (it has no /run), for the service and the session part alike', () => {
    expect(defaultSocketDir('darwin')).toBe('/var/run/seatwatch-agent/sessions');
    expect(defaultSocketDir('linux')).toBe('/run/seatwatch-agent/sessions');
  });
});

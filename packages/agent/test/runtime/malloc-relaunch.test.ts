/** When `run` starts itself again with the systemd unit's malloc settings (pure decision). */
import { describe, expect, it } from 'vitest';
import { MALLOC_SETTINGS, RELAUNCH_MARK, relaunchEnv } from '../../src/runtime/malloc-relaunch.js';

describe('relaunchEnv', () => {
  const base = { PATH: '/usr/bin', HOME: '/home/op', DISPLAY: ':0' };

  it('run on Linux without the settings: the same environment plus the settings and the mark', () => {
    expect(relaunchEnv('linux', ['run', '--page-port', '0'], base)).toEqual({
      ...base,
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '65536',
      [RELAUNCH_MARK]: '1',
    });
    expect(MALLOC_SETTINGS).toEqual({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' });
  });

  it("machine mode's long-running commands too: the session part (autostart) and the service", () => {
    expect(relaunchEnv('linux', ['session'], base)).toMatchObject({ MALLOC_ARENA_MAX: '2' });
    expect(relaunchEnv('linux', ['service'], base)).toMatchObject({ MALLOC_ARENA_MAX: '2' });
  });

  it('keeps what the environment already chose, and adds only what is missing', () => {
    expect(relaunchEnv('linux', ['run'], { ...base, MALLOC_ARENA_MAX: '4' })).toMatchObject({
      MALLOC_ARENA_MAX: '4',
      MALLOC_MMAP_THRESHOLD_: '65536',
    });
  });

  it('never twice, never with both set, never for short commands, only on Linux (glibc)', () => {
    expect(relaunchEnv('linux', ['run'], { ...base, [RELAUNCH_MARK]: '1' })).toBeNull();
    expect(relaunchEnv('linux', ['run'], { ...base, ...MALLOC_SETTINGS })).toBeNull();
    expect(relaunchEnv('linux', ['status'], base)).toBeNull();
    expect(relaunchEnv('linux', ['enroll', '--server', 'x'], base)).toBeNull();
    expect(relaunchEnv('linux', [], base)).toBeNull();
    expect(relaunchEnv('darwin', ['run'], base)).toBeNull();
    expect(relaunchEnv('win32', ['run'], base)).toBeNull();
  });
});

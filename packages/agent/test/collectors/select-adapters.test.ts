/**
 * The probes the agent picks on a Linux Wayland session that also has DISPLAY
 * (XWayland): the X11-only collectors are unavailable with the reason, the
 * others are probed as usual. Nothing here talks to an X server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeCollectors } from '../../src/collectors/select-adapters.js';

describe('probeCollectors on Linux', () => {
  it('reports the X11-only collectors unavailable in a Wayland session even with DISPLAY set', async () => {
    const probes = await probeCollectors('linux', {
      PATH: process.env.PATH,
      DISPLAY: ':0',
      WAYLAND_DISPLAY: 'wayland-0',
      XDG_SESSION_TYPE: 'wayland',
    });
    for (const name of ['activeWindow', 'idleTime', 'screen'] as const) {
      const probe = probes[name];
      expect(probe.ok, name).toBe(false);
      expect(!probe.ok && probe.reason, name).toMatch(/^Wayland session \(XDG_SESSION_TYPE=wayland\): /);
    }
    expect(!probes.screen.ok && probes.screen.reason).toMatch(/no screenshots are taken/);
    // What does not go through X11 is probed as on any Linux seat.
    expect(probes.network.ok).toBe(true);
    expect(probes.encoder.ok).toBe(true);
  });
});

describe('probeCollectors: the devices adapter on macOS and Windows', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-select-devices-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  /** A PATH with `program` printing the fixture, or failing when `fixture` is null. */
  function pathWith(program: string, fixture: string | null): string {
    const bin = fs.mkdtempSync(path.join(work, 'bin-'));
    const body = fixture
      ? `cat "${path.join(import.meta.dirname, 'fixtures', fixture)}"`
      : 'echo "not here" >&2; exit 1';
    fs.writeFileSync(path.join(bin, program), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return `${bin}:/usr/bin:/bin`;
  }

  it.each([
    ['darwin', 'system_profiler', 'macos/system_profiler-SPUSBDataType-json.empty.json', 'system_profiler'],
    ['win32', 'powershell.exe', 'windows/powershell-pnp-devices.empty.json', 'powershell Get-PnpDevice'],
  ] as const)('on %s uses our %s adapter', async (platform, program, fixture, name) => {
    const probes = await probeCollectors(platform, { PATH: pathWith(program, fixture) });
    expect(probes.devices.ok && probes.devices.port.name).toBe(name);
  });

  it.each([
    ['darwin', 'system_profiler'],
    ['win32', 'powershell.exe'],
  ] as const)('on %s falls back to systeminformation only when %s cannot run', async (platform, program) => {
    const probes = await probeCollectors(platform, { PATH: pathWith(program, null) });
    // systeminformation goes by the platform it runs on (Linux here, where it answers, empty at worst).
    expect(probes.devices.ok && probes.devices.port.name).toBe('systeminformation');
  });
});

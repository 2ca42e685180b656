/**
 * The probes the agent picks on a Linux Wayland session that also has DISPLAY
 * (XWayland): the X11-only collectors are unavailable with the reason, the
 * others are probed as usual. Nothing here talks to an X server.
 */
import { describe, expect, it } from 'vitest';
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

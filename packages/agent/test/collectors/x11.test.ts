/**
 * The real Linux adapters under Xvfb 1920×1080 with openbox and a real
 * xterm: the foreground window title, the idle time, real screenshots, and a
 * whole agent delivering them to the protocol peer.
 */
import fs from 'node:fs';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { startX11Session, waitUntil, type X11Session } from '@seatwatch/testkit/desktop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createXpropSpyActiveWindow } from '../../src/collectors/activity/active-window.xprop-spy.js';
import { createX11ScreensaverIdleTime } from '../../src/collectors/idle/idle-time.x11-screensaver.js';
import { createSharpImageEncoder } from '../../src/collectors/screenshot/image-encoder.sharp.js';
import { createNodeScreenshotsCapture } from '../../src/collectors/screenshot/screen-capture.node-screenshots.js';
import { probeCollectors } from '../../src/collectors/select-adapters.js';
import { differenceHash, hammingDistance, isUnchanged, looksBlank } from '../../src/core/perceptual-hash.js';
import { buildAgent, enrolledStateDir } from '../support/agent-harness.js';

let x: X11Session;
const title = `SEATWATCH_TEST_${process.pid}`;

beforeAll(async () => {
  x = await startX11Session();
  // node-screenshots' XCB connection reads DISPLAY from this process's environment (as on a seat).
  process.env.DISPLAY = x.display;
  await x.openWindow(title);
});
afterAll(async () => {
  await x?.close();
});

describe('Linux X11 adapters (real Xvfb)', () => {
  it('reports the focused xterm and follows focus and title changes', async () => {
    const probe = await createXpropSpyActiveWindow(x.env);
    expect(probe.ok).toBe(true);
    if (!probe.ok) return;
    try {
      await waitUntil(async () => (await probe.port.current())?.title === title);
      expect(await probe.port.current()).toEqual({ app: 'XTerm', title });

      const other = `${title}_OTHER`;
      const otherId = await x.openWindow(other);
      await waitUntil(async () => (await probe.port.current())?.title === other);

      await x.xdotool('set_window', '--name', `${other} — café`, otherId);
      await waitUntil(async () => (await probe.port.current())?.title === `${other} — café`);
    } finally {
      probe.port.close();
    }
  });

  it('is unavailable, with a reason, without a display', async () => {
    expect(await createX11ScreensaverIdleTime({ PATH: process.env.PATH })).toEqual({
      ok: false,
      reason: 'no X11 display (DISPLAY is not set)',
    });
    const noServer = await createX11ScreensaverIdleTime({ DISPLAY: ':1999' });
    expect(noServer.ok).toBe(false);
    const probe = await createXpropSpyActiveWindow({ PATH: process.env.PATH });
    expect(probe).toEqual({ ok: false, reason: 'no X11 display (DISPLAY is not set)' });
    const capture = await createNodeScreenshotsCapture('linux', {
      PATH: process.env.PATH,
      XDG_SESSION_TYPE: 'wayland',
      WAYLAND_DISPLAY: 'wayland-0',
    });
    expect(capture.ok).toBe(false);
    expect(!capture.ok && capture.reason).toMatch(/Wayland/);
  });

  it('reads the input-idle time from the X server, and sees input reset it', async () => {
    const probe = await createX11ScreensaverIdleTime(x.env);
    expect(probe.ok).toBe(true);
    if (!probe.ok) return;
    try {
      const first = await probe.port.read();
      expect(first.idleMs).toBeGreaterThanOrEqual(0);
      expect(first.locked).toBeNull();
      await waitUntil(async () => (await probe.port.read()).idleMs >= 1500);
      await x.xdotool('mousemove', '300', '300');
      await waitUntil(async () => (await probe.port.read()).idleMs < 1500);
    } finally {
      probe.port.close();
    }
  });

  it('captures the real screen, encodes it scaled, and hashes it stably', async () => {
    const capture = await createNodeScreenshotsCapture('linux', x.env);
    const encoder = await createSharpImageEncoder();
    expect(capture.ok && encoder.ok).toBe(true);
    if (!capture.ok || !encoder.ok) return;
    const grab = async () => {
      const frames = [];
      for await (const frame of capture.port.captureEach()) frames.push(frame);
      return frames;
    };
    const [frame] = await grab();
    expect(frame).toMatchObject({ monitor: 0, width: 1920, height: 1080, channels: 4 });
    expect(frame!.pixels.length).toBe(1920 * 1080 * 4);
    const scaled = await encoder.port.scale(frame!, 1280);
    expect(scaled).toMatchObject({ width: 1280, height: 720, channels: 3 });
    const grey = await encoder.port.thumbnail(scaled);
    expect(looksBlank(grey)).toBe(false);
    const image = await encoder.port.encode(scaled, { format: 'jpeg', quality: 60 });
    expect(image).toMatchObject({ mime: 'image/jpeg', width: 1280, height: 720 });
    expect(Array.from(image.bytes.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
    const webp = await encoder.port.encode(await encoder.port.scale(frame!, 800), {
      format: 'webp',
      quality: 50,
    });
    expect(webp.width).toBe(800);
    expect(new TextDecoder().decode(webp.bytes.subarray(8, 12))).toBe('WEBP');

    const hashOfScreen = async () =>
      differenceHash(await encoder.port.thumbnail(await encoder.port.scale((await grab())[0]!, 1280)));
    expect(isUnchanged(differenceHash(grey), await hashOfScreen())).toBe(true);
    // A big window appearing is a change.
    const big = await x.openWindow(`${title}_BIG`);
    await x.xdotool('windowsize', '--sync', big, '1800', '1000');
    expect(hammingDistance(differenceHash(grey), await hashOfScreen())).toBeGreaterThan(2);
    await x.xdotool(
      'windowactivate',
      '--sync',
      (await x.xdotool('search', '--name', `^${title}$`)).split('\n')[0]!,
    );
  });

  it('runs a whole agent on the real adapters: the xterm title and a real screenshot reach the collector', async () => {
    const peer = await ProtocolPeer.start();
    const stateDir = await enrolledStateDir(peer);
    const probes = await probeCollectors('linux', x.env);
    expect(Object.fromEntries(Object.entries(probes).map(([k, p]) => [k, p.ok]))).toMatchObject({
      activeWindow: true,
      idleTime: true,
      screen: true,
      encoder: true,
      network: true,
    });
    const agent = buildAgent(stateDir, { probes } as never);
    try {
      const connected = agent.events.waitFor('connected');
      await agent.start();
      await connected;
      const activity = await peer.waitForEvent((e) => e.type === 'activity' && e.title === title);
      expect(activity).toMatchObject({ app: 'XTerm' });
      await peer.waitForEvent((e) => e.type === 'status');

      const commandId = peer.sendCommand('capture_now');
      await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === commandId);
      const blob = [...peer.stored.values()].find((f) => f.kind === 'blob')!;
      expect(blob.events[0]).toMatchObject({
        outcome: 'captured',
        trigger: 'command',
        commandId,
        width: 1280,
        height: 720,
      });
      expect(Array.from(blob.blob!.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
      const noticeSeq = [...peer.stored.values()].find((f) =>
        f.events.some((e) => e.type === 'notice_ack'),
      )!.seq;
      expect(noticeSeq).toBeLessThan(blob.seq);

      // The local page shows the same screenshot.
      const page = agent.pageUrl!;
      const shot = await fetch(`${page}last-screenshot`);
      expect(shot.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(await shot.arrayBuffer()).equals(Buffer.from(blob.blob!))).toBe(true);
    } finally {
      await agent.stop('signal', 'test over');
      await peer.close();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

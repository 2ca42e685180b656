/**
 * The Windows and macOS idle adapters, run here on Linux through their own
 * code, with the OS commands replaced by stand-ins on the PATH that print
 * outputs recorded from the real commands (fixtures/macos, fixtures/windows,
 * written as the commands print them, CRLF included). The macOS shell loop
 * runs for real under sh, with its awk and grep, on `ioreg`'s recorded
 * output; the Windows adapter reads a recorded transcript of its PowerShell
 * loop. The USB records are what systeminformation's own parsers make of
 * those systems' outputs (its usb.js: parseWindowsUsb, parseDarwinUsb), as
 * the devices adapter receives them. What stays untested: that the commands
 * print the same on every macOS and Windows version (docs/agent.md, "Tested
 * here, and not").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from '@seatwatch/testkit';
import type { Systeminformation } from 'systeminformation';
import { afterAll, describe, expect, it } from 'vitest';
import { fromUsb } from '../../src/collectors/devices/devices.systeminformation.js';
import { createIoregIdleTime } from '../../src/collectors/idle/idle-time.ioreg.js';
import type { IdleTimePort } from '../../src/collectors/idle/idle-time.port.js';
import { createPowershellIdleTime } from '../../src/collectors/idle/idle-time.powershell.js';
import type { IdleReading } from '../../src/core/idle-machine.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-os-adapters-'));
const ports: IdleTimePort[] = [];

afterAll(() => {
  for (const port of ports) port.close?.();
  fs.rmSync(work, { recursive: true, force: true });
});

/** A folder with one stand-in command, for the adapter's PATH. */
function standIn(name: string, command: string, script: string): NodeJS.ProcessEnv {
  const bin = path.join(work, name);
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, command), `#!/bin/sh\n${script}`, { mode: 0o755 });
  return { PATH: `${bin}:/usr/bin:/bin` };
}

async function available(probe: Promise<{ ok: true; port: IdleTimePort } | { ok: false; reason: string }>) {
  const result = await probe;
  if (!result.ok) throw new Error(`unavailable: ${result.reason}`);
  ports.push(result.port);
  return result.port;
}

/** ioreg as the adapter calls it: the HID system at depth 4, or the registry root as a plist. */
function ioreg(name: string, rootPlist: string): NodeJS.ProcessEnv {
  const macos = path.join(FIXTURES, 'macos');
  return standIn(
    name,
    'ioreg',
    `case "$*" in
  "-c IOHIDSystem -d 4") cat "${macos}/ioreg-c-IOHIDSystem-d-4.txt" ;;
  "-n Root -d 1 -a") cat "${macos}/${rootPlist}" ;;
  *) echo "unexpected: ioreg $*" >&2; exit 64 ;;
esac
`,
  );
}

describe('macOS idle time and lock (ioreg, recorded on macOS 14.5)', () => {
  // HIDIdleTime = 73482108625 ns in the recording.
  it.each([
    ['a locked screen (CGSSessionScreenIsLocked true)', 'ioreg-n-Root-d-1-a.locked.plist', true],
    ['an unlocked screen (no CGSSessionScreenIsLocked)', 'ioreg-n-Root-d-1-a.unlocked.plist', false],
    ['the key present but false', 'ioreg-n-Root-d-1-a.unlocked-key-false.plist', false],
  ])('reads the idle time and %s', async (_what, rootPlist, locked) => {
    const port = await available(createIoregIdleTime(ioreg(rootPlist.replace(/\W/g, '-'), rootPlist)));
    expect(await port.read()).toEqual({ idleMs: 73_482, locked } satisfies IdleReading);
  });

  it('is unavailable, with the reason, when ioreg prints no HIDIdleTime', async () => {
    const env = standIn(
      'ioreg-empty',
      'ioreg',
      'echo "+-o Root  <class IORegistryEntry, id 0x100000100, retain 36>"\n',
    );
    const result = await createIoregIdleTime(env);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^ioreg HIDIdleTime cannot read the idle time \(exit 4/);
  });
});

describe('Windows idle time and lock (the PowerShell loop, recorded on Windows 11)', () => {
  it('reads each line of the loop as PowerShell writes it (CRLF), the lock screen included', async () => {
    const transcript = path.join(FIXTURES, 'windows/powershell-idle-loop.txt');
    const argsFile = path.join(work, 'powershell-args');
    // One recorded line every 100 ms, then the last one stays (the real loop prints every second).
    const env = standIn(
      'powershell',
      'powershell.exe',
      `printf '%s\\n' "$@" > "${argsFile}"
while IFS= read -r line; do printf '%s\\n' "$line"; sleep 0.1; done < "${transcript}"
exec sleep 300
`,
    );
    const port = await available(createPowershellIdleTime(env));
    const recorded = fs
      .readFileSync(transcript, 'utf8')
      .split('\r\n')
      .filter(Boolean)
      .map((line) => {
        const [idle, lock] = line.split(' ');
        return { idleMs: Number(idle), locked: lock === '1' };
      });
    const seen: IdleReading[] = [];
    await until('the last recorded reading', async () => {
      const reading = await port.read();
      seen.push(reading);
      return reading.idleMs === 62_906 && reading;
    });
    for (const reading of seen) expect(recorded).toContainEqual(reading);
    expect(seen.at(-1)).toEqual({ idleMs: 62_906, locked: true });
    const args = fs.readFileSync(argsFile, 'utf8').split('\n');
    expect(args.slice(0, 3)).toEqual(['-NoProfile', '-NonInteractive', '-Command']);
    expect(args.join('\n')).toContain('GetLastInputInfo');
  });
});

describe('USB devices as systeminformation gives them on Windows and macOS', () => {
  const record = (fields: Record<string, unknown>) => fields as unknown as Systeminformation.UsbData;
  // Windows (Get-CimInstance CIM_LogicalDevice): id is the position in the list, the ids and serial are in
  // the PnP device id.
  const windowsStick = (position: number) =>
    record({
      bus: null,
      deviceId: 'USB\\VID_0781&PID_5583\\4C530001230918110362',
      id: position,
      name: 'USB Mass Storage Device',
      type: 'Storage',
      removable: null,
      vendor: null,
      manufacturer: 'Compatible USB storage device',
      maxPower: null,
      serialNumber: null,
    });

  it('Windows: vendor, product and serial from the PnP id, the same device at any position', () => {
    const stick = fromUsb(windowsStick(3));
    expect(stick).toEqual({
      id: 'usb:0781:5583:4C530001230918110362',
      vendorId: '0781',
      productId: '5583',
      name: 'USB Mass Storage Device',
      manufacturer: 'Compatible USB storage device',
      serial: '4C530001230918110362',
      deviceClass: 'Storage',
      massStorage: true,
    });
    expect(fromUsb(windowsStick(0)).id).toBe(stick.id);
  });

  it('Windows: an instance id Windows made up is not a serial; the device is known by it', () => {
    const hub = fromUsb(
      record({
        bus: null,
        deviceId: 'USB\\VID_8087&PID_0029\\5&2A7B0C1E&0&14',
        id: 1,
        name: 'Intel(R) Wireless Bluetooth(R)',
        type: 'Bluetooth',
        removable: null,
        vendor: null,
        manufacturer: 'Intel Corporation',
        maxPower: null,
        serialNumber: null,
      }),
    );
    expect(hub).toMatchObject({
      id: 'usb:8087:0029:USB\\VID_8087&PID_0029\\5&2A7B0C1E&0&14',
      vendorId: '8087',
      productId: '0029',
      serial: null,
      massStorage: false,
    });
  });

  it('macOS: no vendor or product ids (id is the USB address); the serial, else name and address', () => {
    const mac = (serialNumber: string | null) =>
      fromUsb(
        record({
          bus: null,
          deviceId: null,
          id: 3,
          name: 'Ultra',
          type: 'Storage',
          removable: true,
          vendor: 'SanDisk',
          manufacturer: 'SanDisk',
          maxPower: null,
          serialNumber,
        }),
      );
    expect(mac('4C530001230918110362')).toMatchObject({
      id: 'usb:?:?:4C530001230918110362',
      vendorId: null,
      productId: null,
      serial: '4C530001230918110362',
      manufacturer: 'SanDisk',
      massStorage: true,
    });
    expect(mac(null).id).toBe('usb:?:?:Ultra@3');
  });
});

/**
 * The shared shape of the devices adapters that ask an OS command for the
 * list (system_profiler on macOS, PowerShell on Windows): run it, parse its
 * stdout with our own pure parser, and run it again no sooner than
 * `minIntervalMs`. The collector scans every policy.deviceScanMs (2 s by
 * default), and starting PowerShell costs far more than reading sysfs, so a
 * scan between two runs gets the last list.
 */
import { execFile } from 'node:child_process';
import type { DeviceInfo } from '../../core/device-diff.js';
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { DevicesPort } from './devices.port.js';

export interface DeviceCommandOptions {
  /** The environment the command runs in (its PATH finds it; a stand-in in tests). */
  readonly env?: NodeJS.ProcessEnv;
  /** The shortest time between two runs of the command. */
  readonly minIntervalMs?: number;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export interface DeviceCommand {
  readonly name: string;
  readonly program: string;
  readonly args: readonly string[];
  readonly parse: (stdout: string) => DeviceInfo[];
}

export function runCommand(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      [...args],
      { env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        // Node's message repeats the whole command line (a script, on Windows): the outcome and stderr's first line say enough.
        const outcome = error.killed
          ? `did not finish within ${timeoutMs} ms`
          : typeof error.code === 'number'
            ? `exited with ${error.code}`
            : error.code === 'ENOENT'
              ? 'is not installed or not on the PATH'
              : errorMessage(error);
        const why = String(stderr).trim().split(/\r?\n/)[0];
        reject(new Error(`${program} ${outcome}${why ? ` (${why})` : ''}`));
      },
    );
  });
}

export async function createCommandDevices(
  command: DeviceCommand,
  options: DeviceCommandOptions,
  defaultIntervalMs: number,
): Promise<Probe<DevicesPort>> {
  const env = options.env ?? process.env;
  const minIntervalMs = options.minIntervalMs ?? defaultIntervalMs;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const now = options.now ?? Date.now;
  let last: { at: number; devices: DeviceInfo[] } | null = null;
  const port: DevicesPort = {
    name: command.name,
    async list() {
      if (last && now() - last.at < minIntervalMs) return last.devices;
      const devices = command.parse(await runCommand(command.program, command.args, env, timeoutMs));
      last = { at: now(), devices };
      return devices;
    },
  };
  try {
    await port.list();
  } catch (error) {
    return unavailable(`${command.name} cannot list devices: ${errorMessage(error)}`);
  }
  return available(port);
}

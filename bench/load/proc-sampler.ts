/**
 * Reads what the kernel knows about processes and the machine: resident
 * memory (VmRSS) and its high-water mark (VmHWM) from /proc/<pid>/status,
 * CPU time from /proc/<pid>/stat, machine CPU from /proc/stat and the load
 * average. Linux only, like the rest of the bench.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Kernel clock ticks per second (USER_HZ); 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

export interface MemorySample {
  rssBytes: number;
  hwmBytes: number;
}

export function readMemory(pid: number): MemorySample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssBytes: kb('VmRSS') * 1024, hwmBytes: kb('VmHWM') * 1024 };
  } catch {
    return null;
  }
}

/** User + system CPU seconds of a process (all its threads), or null if it is gone. */
export function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export interface MachineCpu {
  /** Busy and total CPU seconds of the whole machine since boot (all cores). */
  busySeconds: number;
  totalSeconds: number;
}

export function readMachineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busySeconds: (total - idle) / TICKS_PER_SECOND, totalSeconds: total / TICKS_PER_SECOND };
}

export function machineFacts(): { nproc: number; cpuModel: string; loadAverage: number[]; node: string } {
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    node: process.version,
  };
}

/**
 * CPU use between two readings, as a share of ONE core (100 % = one core
 * busy), for named groups of processes, plus the rest of the machine.
 */
export class CpuMeter {
  #last: { at: number; groups: Map<string, Map<number, number>>; machine: MachineCpu };

  constructor(readonly groups: () => Map<string, number[]>) {
    this.#last = this.#read();
  }

  #read() {
    const groups = new Map<string, Map<number, number>>();
    for (const [name, pids] of this.groups()) {
      const perPid = new Map<number, number>();
      for (const pid of pids) {
        const seconds = readCpuSeconds(pid);
        if (seconds !== null) perPid.set(pid, seconds);
      }
      groups.set(name, perPid);
    }
    return { at: performance.now(), groups, machine: readMachineCpu() };
  }

  /** Percent of one core per group since the previous call; `other` is everything else on the machine. */
  sample(): Record<string, number> {
    const now = this.#read();
    const seconds = (now.at - this.#last.at) / 1000;
    const out: Record<string, number> = {};
    let accounted = 0;
    for (const [name, perPid] of now.groups) {
      const before = this.#last.groups.get(name);
      let used = 0;
      // A process that appeared since the last reading spent all its CPU time in between.
      for (const [pid, cpu] of perPid) used += cpu - (before?.get(pid) ?? 0);
      accounted += used;
      out[name] = Math.round((used / seconds) * 100);
    }
    const busy = now.machine.busySeconds - this.#last.machine.busySeconds;
    out.machine = Math.round((busy / seconds) * 100);
    out.other = Math.max(0, Math.round(((busy - accounted) / seconds) * 100));
    this.#last = now;
    return out;
  }
}

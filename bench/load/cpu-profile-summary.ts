/**
 * Where the server's main thread spent its time, from a V8 .cpuprofile
 * (taken over the hold through the inspector): self time grouped by module (a package, a folder of
 * ours, a node: internal), the heaviest functions by self time, and the
 * heaviest by inclusive time (the function and everything it called).
 * Work on other threads (libuv's pool: sharp, fs, crypto's async calls)
 * does not appear here; the process CPU time in the report includes it.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of the wall time the main thread was not idle. */
  busyPercent: number;
  byModule: ProfileRow[];
  topSelf: ProfileRow[];
  topInclusive: ProfileRow[];
}

/** A short, stable name for the code a URL points at. */
export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm) return pnpm[1]!;
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (plain) return plain[1]!;
  const ours = /packages\/([^/]+)\/(?:src|dist)\/(.+?)\.(?:ts|js)$/.exec(url);
  if (ours) return `@seatwatch/${ours[1]}/${ours[2]}`;
  const internal = /^node:(internal\/)?([^/]+(?:\/[^/]+)?)/.exec(url);
  if (internal) return `node:${internal[2]}`;
  return url.replace(/^file:\/\//, '');
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${moduleOf(url, functionName)}:${lineNumber + 1}` : '';
  return where ? `${functionName || '(anonymous)'} ${where}` : functionName || '(anonymous)';
}

const IDLE = new Set(['(idle)', '(root)']);

export function summarizeCpuProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const totalUs = profile.endTime - profile.startTime;
  let idleUs = 0;

  const modules = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (IDLE.has(node.callFrame.functionName)) idleUs += us;
    const module = moduleOf(node.callFrame.url, node.callFrame.functionName);
    modules.set(module, (modules.get(module) ?? 0) + us);
    const name = label(node);
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + us);
  }

  // Inclusive time: each node's self time counts once for every distinct function on its stack.
  const inclusive = new Map<string, number>();
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const node = byId.get(at)!;
      if (IDLE.has(node.callFrame.functionName)) continue;
      const name = label(node);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }

  const busyUs = totalUs - idleUs;
  const rows = (map: Map<string, number>, skip: (name: string) => boolean = () => false) =>
    [...map]
      .filter(([name]) => !skip(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 1000),
        percent: Math.round((us / Math.max(1, busyUs)) * 1000) / 10,
      }));
  return {
    file,
    totalMs: Math.round(totalUs / 1000),
    busyPercent: Math.round((busyUs / Math.max(1, totalUs)) * 1000) / 10,
    byModule: rows(modules, (name) => IDLE.has(name)),
    topSelf: rows(selfByFunction, (name) => IDLE.has(name)),
    topInclusive: rows(inclusive, (name) => name.startsWith('(program)')),
  };
}

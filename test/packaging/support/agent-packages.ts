/**
 * The agent's packages that both packaging test files install, built once per
 * run by the packaging project's globalSetup (vitest.config.ts) rather than
 * once per file: `pnpm package` (packaging/package.ts, its build step left
 * out: the tests run on a built tree) for this version as a .deb and a Linux
 * tarball, and for a later version as a .deb to upgrade to. The files are
 * only read by the tests (inspected, copied into their roots).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const AGENT_VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'packages/agent/package.json'), 'utf8')) as { version: string }
).version;
export const FIRST = AGENT_VERSION;
/** Sorts after FIRST in dpkg's order, so installing it is an upgrade. */
export const UPGRADE = `${AGENT_VERSION}+upgrade1`;

export interface AgentPackages {
  /** FIRST's .deb, its Linux tarball, and UPGRADE's .deb (absolute paths). */
  readonly first: string;
  readonly tarball: string;
  readonly upgrade: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    agentPackages: AgentPackages;
  }
}

/** `pnpm package` for these targets into `out`; the files made. */
async function buildPackages(out: string, version: string, targets: string): Promise<string[]> {
  const { stdout } = await run(
    'node',
    ['--import', 'tsx', 'packaging/package.ts', '--out', out, '--version', version, '--targets', targets],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout
    .trim()
    .split('\n')
    .map((file) => path.resolve(ROOT, file));
}

/** Vitest's globalSetup: builds the packages, provides their paths, and removes them after the run. */
export default async function buildAgentPackages(project: TestProject): Promise<() => void> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-agent-packages-'));
  const [[first, tarball], [upgrade]] = await Promise.all([
    buildPackages(out, FIRST, 'deb,tar'),
    buildPackages(out, UPGRADE, 'deb'),
  ]);
  project.provide('agentPackages', { first: first!, tarball: tarball!, upgrade: upgrade! });
  return () => fs.rmSync(out, { recursive: true, force: true });
}

/**
 * Enrollment with the collector's real HTTP endpoint: through the agent CLI
 * (a child process, as an installer runs it) or through the agent library's
 * enroll() in this process, which saves a process start where the CLI's own
 * enroll command is not what a test is about.
 */
import os from 'node:os';
import { AGENT_VERSION, enroll } from '@seatwatch/agent';
import type { Children } from '../children.js';
import { runAgentCommand } from './agent-process.js';

export interface EnrollSeat {
  server: string;
  token: string;
  seat: string;
  stateDir: string;
}

/** `seatwatch-agent enroll` against the collector; returns the agent id it printed. */
export async function enrollWithCli(
  children: Children,
  options: EnrollSeat & { env: Record<string, string> },
): Promise<string> {
  const enrolled = await runAgentCommand(
    children,
    [
      'enroll',
      '--server',
      options.server,
      '--token',
      options.token,
      '--seat',
      options.seat,
      '--state-dir',
      options.stateDir,
    ],
    options.env,
  );
  const agentId = /Enrolled: agent (\S+) in project/.exec(enrolled.stdout)?.[1];
  if (enrolled.code !== 0 || !agentId) {
    throw new Error(`enroll failed (${enrolled.code}):\n${enrolled.stdout}\n${enrolled.stderr}`);
  }
  return agentId;
}

/** enroll() of the agent library; returns the agent id. */
export async function enrollWithLibrary(options: EnrollSeat): Promise<string> {
  const identity = await enroll({
    stateDir: options.stateDir,
    serverUrl: options.server,
    token: options.token,
    seat: options.seat,
    insecure: false,
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    osUser: os.userInfo().username,
    agentVersion: AGENT_VERSION,
    now: Date.now,
  });
  return identity.agentId;
}

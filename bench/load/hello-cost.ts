/**
 * Database cost of an accepted hello (issue #15, the connect storm): the
 * gateway's two statements (agent-gateway/hello.repository.ts) against the
 * eight round trips it made before 6e1d769 (the agent, the allowlist, BEGIN,
 * the login record, the agent row, the latest account, COMMIT, the policy;
 * rebuilt here from the repositories that remain). Each variant opens
 * sessions for every agent of an existing bench database, alternately, on
 * one connection; the PostgreSQL backend's CPU time (/proc) and this
 * process's are divided by the hellos. Wall-clock time is reported too, but
 * on a shared machine it measures the neighbours.
 *
 *   node --conditions=seatwatch-source --import tsx bench/load/hello-cost.ts \
 *     --db-url postgres://postgres@127.0.0.1:5432/<db> [--rounds 3]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { listAllowlist } from '../../packages/server/src/access/allowlist.repository.js';
import { insertLogin, type NewLogin } from '../../packages/server/src/access/logins.repository.js';
import {
  openSessionRows,
  readHelloContext,
} from '../../packages/server/src/agent-gateway/hello.repository.js';
import { findAgentForHello, markAgentConnected } from '../../packages/server/src/agents/agents.repository.js';
import { type Db, openDatabase } from '../../packages/server/src/db/connect.js';
import { applicableRanges, decideIp } from '../../packages/server/src/domain/allowlist.js';
import { effectivePolicy } from '../../packages/server/src/tenancy/tenancy.repository.js';

const CLOCK_TICKS_PER_SECOND = 100;

function backendCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

const processCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

function login(agentId: string, session: string): NewLogin {
  return {
    at: new Date(),
    kind: 'hello',
    projectId: null,
    agentId,
    claimedAgent: agentId,
    seatId: null,
    ip: '127.0.0.1',
    peerIp: '127.0.0.1',
    allowed: true,
    reason: null,
    clockSkewMs: 0,
    session,
    hostname: 'bench-host',
    osUser: 'operator',
    agentVersion: '0.1.0-bench',
  };
}

/** The hello's database work as it was: eight round trips. */
async function eightRoundTrips(db: Db, agentId: string, session: string): Promise<void> {
  const found = await findAgentForHello(db, agentId);
  if (!found) throw new Error(`no agent ${agentId}`);
  const entries = await listAllowlist(db, found.agent.projectId);
  if (!decideIp('127.0.0.1', applicableRanges(entries, found.siteId)).allowed) throw new Error('refused');
  await db.transaction(async (tx) => {
    await insertLogin(tx, { ...login(agentId, session), projectId: found.agent.projectId });
    await markAgentConnected(tx, {
      agentId,
      session,
      ip: '127.0.0.1',
      at: new Date(),
      hostname: 'bench-host',
      osUser: 'operator',
      agentVersion: '0.1.0-bench',
      noticeVersion: 1,
    });
    await tx.execute(
      `select os_user from events where agent_id = '${agentId}' order by seq desc, idx desc limit 1`,
    );
  });
  await effectivePolicy(db, found.agent.projectId, found.siteId);
}

/** The hello's database work now: two statements. */
async function twoStatements(db: Db, agentId: string, session: string): Promise<void> {
  const found = await readHelloContext(db, agentId);
  if (!found) throw new Error(`no agent ${agentId}`);
  if (!decideIp('127.0.0.1', applicableRanges(found.allowlist, found.siteId)).allowed)
    throw new Error('refused');
  await openSessionRows(db, {
    login: { ...login(agentId, session), projectId: found.projectId },
    agentId,
    session,
    ip: '127.0.0.1',
    at: new Date(),
    hostname: 'bench-host',
    osUser: 'operator',
    agentVersion: '0.1.0-bench',
    noticeVersion: 1,
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'db-url': { type: 'string' }, rounds: { type: 'string', default: '3' } },
  });
  const url = values['db-url'];
  if (!url) throw new Error('--db-url is required');
  const database = await openDatabase({ databaseUrl: url, poolSize: 1 });
  const pool = database.pool!;
  const { rows: agents } = await pool.query<{ id: string }>(
    `select id from agents where status = 'active' order by id`,
  );
  const { rows: backend } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
  const pid = backend[0]!.pid;
  const variants = { eight: eightRoundTrips, two: twoStatements } as const;
  let n = 0;
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [name, hello] of Object.entries(variants)) {
      const pgBefore = backendCpuMs(pid);
      const nodeBefore = processCpuMs();
      const started = performance.now();
      for (const agent of agents) await hello(database.db, agent.id, `bench-${name}-${round}-${n++}`);
      const wallMs = performance.now() - started;
      const count = agents.length;
      process.stdout.write(
        `${JSON.stringify({
          variant: name,
          round,
          hellos: count,
          postgresMsPerHello: Math.round(((backendCpuMs(pid) - pgBefore) / count) * 1000) / 1000,
          clientMsPerHello: Math.round(((processCpuMs() - nodeBefore) / count) * 1000) / 1000,
          wallMsPerHello: Math.round((wallMs / count) * 1000) / 1000,
        })}\n`,
      );
    }
  }
  await database.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

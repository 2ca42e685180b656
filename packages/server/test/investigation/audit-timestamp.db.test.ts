// PostgreSQL only: the server's database does not change what the time-stamp authority signs.
/**
 * RFC 3161 (issue #11): a server configured with a time-stamp authority
 * gets each audit checkpoint countersigned. The authority here is
 * OpenSSL's own (`openssl ts -reply`) behind a tiny HTTP wrapper, with a
 * CA and a TSA certificate made by openssl for this test; the token is
 * verified by OpenSSL (`openssl ts -verify`) and by our verifyTimestamp.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointMessage, type SignedCheckpoint } from '../../src/audit/audit-checkpoint.js';
import { recordAudit } from '../../src/audit/audit-log.js';
import { readTimestamp, timestampAuthority, verifyTimestamp } from '../../src/audit/timestamp-authority.js';
import { runInvestigationCommand } from '../../src/cli/investigation-cli.js';
import { configWith } from '../../src/config.js';
import { startServer } from '../../src/startup/startup.js';

const run = promisify(execFile);
const openssl = (dir: string, ...args: string[]) => run('openssl', args, { cwd: dir });

/** A CA, a TSA certificate it issued (timeStamping only) and the ts configuration for `openssl ts -reply`. */
async function makeAuthority(dir: string): Promise<void> {
  await openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=Seatwatch test TSA CA',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  await openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'tsa.key',
    '-out',
    'tsa.csr',
    '-subj',
    '/CN=Seatwatch test TSA',
  );
  await writeFile(
    join(dir, 'tsa-ext.cnf'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n',
  );
  await openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'tsa.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'tsa.pem',
    '-days',
    '2',
    '-extfile',
    'tsa-ext.cnf',
  );
  await writeFile(join(dir, 'tsaserial'), '01\n');
  await writeFile(
    join(dir, 'tsa.cnf'),
    [
      '[ tsa ]',
      'default_tsa = test_tsa',
      '[ test_tsa ]',
      `dir = ${dir}`,
      'serial = $dir/tsaserial',
      'crypto_device = builtin',
      'signer_cert = $dir/tsa.pem',
      'signer_key = $dir/tsa.key',
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'digests = sha256',
      'accuracy = secs:1',
      'ordering = yes',
      'tsa_name = no',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
}

/** The HTTP side RFC 3161 §3.4 describes, around `openssl ts -reply`; one request at a time. */
function serveAuthority(dir: string): Server {
  let queue: Promise<unknown> = Promise.resolve();
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      queue = queue.then(async () => {
        if (request.headers['content-type'] !== 'application/timestamp-query') {
          response.writeHead(415).end();
          return;
        }
        await writeFile(join(dir, 'request.tsq'), Buffer.concat(chunks));
        try {
          await openssl(
            dir,
            'ts',
            '-reply',
            '-config',
            'tsa.cnf',
            '-queryfile',
            'request.tsq',
            '-out',
            'reply.tsr',
          );
          const reply = await readFile(join(dir, 'reply.tsr'));
          response.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(reply);
        } catch (error) {
          response.writeHead(500).end(String(error));
        }
      });
    });
  });
}

describe('audit checkpoints countersigned by an RFC 3161 time-stamp authority', () => {
  let db: TestDatabase;
  let dir: string;
  let authority: Server;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    dir = await mkdtemp(join(tmpdir(), 'seatwatch-tsa-'));
    await makeAuthority(dir);
    authority = serveAuthority(dir);
    await new Promise<void>((resolve) => authority.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(authority.address() as AddressInfo).port}/tsa`;
  }, 60_000);

  afterAll(async () => {
    authority?.close();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('each checkpoint carries a token OpenSSL and verifyTimestamp both accept, for exactly its bytes', async () => {
    const dataDir = join(dir, 'data');
    const config = configWith({
      databaseUrl: db.url!,
      dataDir,
      port: 0,
      logLevel: 'silent',
      retention: { intervalMs: 0 },
      auditCheckpoints: { intervalMs: 0, timestampAuthorityUrl: url },
    });
    const server = await startServer(config);
    const before = Date.now();
    let checkpoint: SignedCheckpoint;
    try {
      await recordAudit(server.database.db, { actor: 'system', action: 'test.entry' });
      checkpoint = await server.auditCheckpoint();
    } finally {
      await server.close();
    }
    const [line] = (await readFile(config.auditCheckpoints.file, 'utf8')).trim().split('\n');
    expect(JSON.parse(line!).tst).toBe(checkpoint.tst);
    expect(checkpoint.tst).toEqual(expect.any(String));
    const token = Buffer.from(checkpoint.tst!, 'base64');
    const message = checkpointMessage(checkpoint);

    await writeFile(join(dir, 'checkpoint.bin'), message);
    await writeFile(join(dir, 'token.tsr'), token);
    const checked = await openssl(
      dir,
      'ts',
      '-verify',
      '-data',
      'checkpoint.bin',
      '-in',
      'token.tsr',
      '-CAfile',
      'ca.pem',
      '-untrusted',
      'tsa.pem',
    );
    expect(checked.stdout).toContain('Verification: OK');

    const caPem = await readFile(join(dir, 'ca.pem'), 'utf8');
    const info = await verifyTimestamp(token, message, caPem);
    expect(info.genTime.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    expect(info.genTime.getTime()).toBeLessThanOrEqual(Date.now() + 1000);

    // Other bytes, or another CA: refused.
    const other = checkpointMessage({ ...checkpoint, seq: checkpoint.seq + 1 });
    expect(() => readTimestamp(token, other)).toThrow(/other bytes/);
    await openssl(
      dir,
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'stranger.key',
      '-out',
      'stranger.pem',
      '-subj',
      '/CN=Someone else',
      '-days',
      '2',
    );
    const stranger = await readFile(join(dir, 'stranger.pem'), 'utf8');
    await expect(verifyTimestamp(token, message, stranger)).rejects.toThrow(/does not verify/);

    // verify-audit checks the tokens of the server's checkpoint file with the authority's CA.
    const verifyAudit = async (caFile: string) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runInvestigationCommand(['verify-audit', '--tsa-ca', caFile], {
        out: (text) => out.push(text),
        err: (text) => err.push(text),
        readConfig: () => config,
        cwd: dir,
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const ok = await verifyAudit('ca.pem');
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(ok.out).toContain('2 of 2 checkpoints carry an RFC 3161 time stamp');
    expect(await verifyAudit('stranger.pem')).toMatchObject({
      code: 1,
      err: expect.stringContaining("its time stamp: the time stamp's signature does not verify"),
    });
  }, 90_000);

  it('asks with its own nonce and checks the answer; an authority that fails fails the countersignature', async () => {
    const message = new TextEncoder().encode('seatwatch/1 audit checkpoint\n{}');
    const der = await timestampAuthority({ url, timeoutMs: 10_000 }).countersign(message);
    expect(readTimestamp(der, message)).toMatchObject({ genTime: expect.any(Date) });
    const closed = createServer((_request, response) => response.writeHead(503).end());
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    try {
      await expect(
        timestampAuthority({ url: `http://127.0.0.1:${port}/`, timeoutMs: 5000 }).countersign(message),
      ).rejects.toThrow(/HTTP 503/);
    } finally {
      closed.close();
    }
  });
});

/**
 * Setting the stage through the server's real interfaces: the admin API
 * (project, allowlist, one enrollment token with a use limit of N) and the
 * real HTTP enrollment, once per simulated seat. Keys are made with
 * node:crypto in the @seatwatch/shared key layout (seed ++ public key):
 * tweetnacl, which the real agent uses, takes about 7 ms a key here, half a
 * minute for 5,000 seats of pure set-up.
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { type Ed25519KeyPair, type EnrollRequest, type EnrollResponse, toBase64 } from '@seatwatch/shared';
import { seatIdentity } from './seat-workload.js';

export function generateAgentKeys(): Ed25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const secretKey = new Uint8Array(64);
  secretKey.set(seed, 0);
  secretKey.set(pub, 32);
  return { publicKey: new Uint8Array(pub), secretKey };
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

export async function requestJson<T>(
  method: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method,
        agent: keepAlive,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {}),
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: keep the text for the error message
          }
          resolve({ status: response.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

export interface BenchProject {
  projectId: string;
  token: string;
}

/** A project whose allowlist holds loopback, and one token good for `agents` enrollments. */
export async function createBenchProject(
  baseUrl: string,
  adminToken: string,
  agents: number,
): Promise<BenchProject> {
  const auth = { authorization: `Bearer ${adminToken}` };
  const ok = async <T>(method: string, path: string, body: unknown): Promise<T> => {
    const answer = await requestJson<T>(method, `${baseUrl}/api/v1/admin${path}`, body, auth);
    if (answer.status < 200 || answer.status >= 300) {
      throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  };
  const project = await ok<{ id: string }>('POST', '/projects', {
    name: `load bench ${new Date().toISOString()}`,
  });
  // The hello and enrollment paths check the allowlist; a real deployment has one.
  await ok('POST', `/projects/${project.id}/allowlist`, { cidr: '127.0.0.0/8' });
  const token = await ok<{ token: string }>('POST', `/projects/${project.id}/tokens`, {
    label: 'load bench',
    maxUses: agents,
    expiresInHours: 24,
  });
  return { projectId: project.id, token: token.token };
}

export interface EnrolledSeat {
  index: number;
  agentId: string;
  secretKey: string;
  noticeVersion: number;
  serverPublicKey: string;
}

/** Enrolls `count` seats over HTTP, `concurrency` at a time; calls onProgress now and then. */
export async function enrollSeats(
  baseUrl: string,
  token: string,
  count: number,
  concurrency: number,
  onProgress: (done: number) => void,
): Promise<EnrolledSeat[]> {
  const seats: EnrolledSeat[] = new Array(count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const keys = generateAgentKeys();
      const identity = seatIdentity(index);
      const request: EnrollRequest = {
        token,
        publicKey: toBase64(keys.publicKey),
        hostname: identity.hostname,
        os: 'Windows 11 Pro 23H2',
        osUser: identity.osUser,
        agentVersion: '0.1.0-bench',
      };
      const answer = await requestJson<EnrollResponse>('POST', `${baseUrl}/api/v1/enroll`, request);
      if (answer.status !== 201) {
        throw new Error(`enrollment ${index} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      seats[index] = {
        index,
        agentId: answer.body.agentId,
        secretKey: toBase64(keys.secretKey),
        noticeVersion: answer.body.notice.version,
        serverPublicKey: answer.body.serverPublicKey,
      };
      if (++done % 250 === 0) onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return seats;
}

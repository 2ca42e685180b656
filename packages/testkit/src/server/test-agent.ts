/**
 * A scripted seat agent for tests: enrolls over HTTP, then speaks protocol
 * v1 over a real WebSocket, optionally from another loopback address. Every
 * server message is verified with the server key from enrollment before the
 * test sees it, so a test also checks that the server signs what it sends.
 */
import { randomBytes } from 'node:crypto';
import {
  type AckPayload,
  type BatchPayload,
  type BlobPayload,
  type CaptureEvent,
  type ChallengePayload,
  decodeTextFrame,
  type Ed25519KeyPair,
  type Ed25519Signer,
  type EnrollResponse,
  type Event,
  encodeBinaryFrame,
  encodeTextFrame,
  fromBase64,
  generateKeyPair,
  type HelloPayload,
  type ServerPayload,
  toBase64,
  tweetnaclSigner,
  type WelcomePayload,
} from '@seatwatch/shared';
import { createNodeCryptoVerifier, sha256Hex } from '@seatwatch/shared/node-crypto';
import WebSocket from 'ws';
import { httpJson, type TestServer } from './test-server.js';

/** What the helpers below need of a server: an in-process TestServer or a ServerProcess. */
export type ServerEndpoint = Pick<TestServer, 'url' | 'wsUrl' | 'admin' | 'adminOk'>;

const verifier = createNodeCryptoVerifier();

export interface TestProject {
  projectId: string;
  name: string;
}

/** A project with the given allowlist (none: open to any IP). */
export async function createTestProject(
  server: ServerEndpoint,
  options: { name?: string; allowlist?: string[]; retentionDays?: number } = {},
): Promise<TestProject> {
  const name = options.name ?? `project-${randomBytes(4).toString('hex')}`;
  const project = await server.adminOk<{ id: string }>('POST', '/projects', {
    name,
    ...(options.retentionDays ? { retentionDays: options.retentionDays } : {}),
  });
  for (const cidr of options.allowlist ?? []) {
    await server.adminOk('POST', `/projects/${project.id}/allowlist`, { cidr });
  }
  return { projectId: project.id, name };
}

export async function issueToken(
  server: ServerEndpoint,
  projectId: string,
  body: { maxUses?: number; expiresInHours?: number; siteId?: string } = {},
): Promise<{ id: string; token: string }> {
  return server.adminOk('POST', `/projects/${projectId}/tokens`, body);
}

export interface EnrolledAgent {
  agentId: string;
  projectId: string;
  keys: Ed25519KeyPair;
  signer: Ed25519Signer;
  serverPublicKey: Uint8Array;
  enrollment: EnrollResponse;
  hostname: string;
}

export interface EnrollOptions {
  /** Enroll into this project; a fresh open project when absent. */
  projectId?: string;
  hostname?: string;
  osUser?: string;
  localAddress?: string;
  /** CA certificate (PEM) to trust for https:// (a test server with tls). */
  ca?: string;
}

/** Enrolls a fresh key pair with a fresh token; throws unless the server answers 201. */
export async function enrollTestAgent(
  server: ServerEndpoint,
  options: EnrollOptions = {},
): Promise<EnrolledAgent> {
  const projectId = options.projectId ?? (await createTestProject(server)).projectId;
  const { token } = await issueToken(server, projectId);
  const keys = generateKeyPair();
  const hostname = options.hostname ?? `seat-${randomBytes(3).toString('hex')}`;
  const answer = await httpJson<EnrollResponse>(
    'POST',
    `${server.url}/api/v1/enroll`,
    {
      token,
      publicKey: toBase64(keys.publicKey),
      hostname,
      os: 'linux',
      osUser: options.osUser ?? 'operator1',
      agentVersion: '0.1.0-test',
    },
    {
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    },
  );
  if (answer.status !== 201)
    throw new Error(`enrollment answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return {
    agentId: answer.body.agentId,
    projectId,
    keys,
    signer: tweetnaclSigner(keys.secretKey),
    serverPublicKey: fromBase64(answer.body.serverPublicKey, 32),
    enrollment: answer.body,
    hostname,
  };
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ConnectOptions {
  localAddress?: string;
  headers?: Record<string, string>;
  /** CA certificate (PEM) to trust for wss:// (a test server with tls). */
  ca?: string;
  /** false: never answer the server's pings (a hung agent). */
  autoPong?: boolean;
}

/** A protocol v1 client on a real socket. Create with TestAgentClient.connect(). */
export class TestAgentClient {
  readonly received: ServerPayload[] = [];
  readonly closed: Promise<CloseInfo>;
  challenge!: ChallengePayload;
  session: string | null = null;
  welcome: WelcomePayload | null = null;
  #waiters: Array<{ match: (p: ServerPayload) => boolean; resolve: (p: ServerPayload) => void }> = [];
  #closeInfo: CloseInfo | null = null;
  #failures: Error[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly agent: EnrolledAgent,
  ) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.#closeInfo = { code, reason: reason.toString('utf8') };
        resolve(this.#closeInfo);
      });
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.#failures.push(new Error('server sent a binary frame'));
        return;
      }
      let payload: ServerPayload;
      try {
        payload = decodeTextFrame(data as Buffer, {
          sender: 'server',
          publicKey: agent.serverPublicKey,
          verifier,
        }) as ServerPayload;
      } catch (error) {
        this.#failures.push(error as Error);
        return;
      }
      this.received.push(payload);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.match(payload)) return true;
        waiter.resolve(payload);
        return false;
      });
    });
  }

  /** Opens the socket and waits for the server's challenge. */
  static async connect(
    server: ServerEndpoint,
    agent: EnrolledAgent,
    options: ConnectOptions = {},
  ): Promise<TestAgentClient> {
    const ws = new WebSocket(server.wsUrl, {
      perMessageDeflate: false,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.autoPong === false ? { autoPong: false } : {}),
    });
    const client = new TestAgentClient(ws, agent);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    client.challenge = (await client.next('challenge')) as ChallengePayload;
    return client;
  }

  /** Server messages that failed verification (must stay empty). */
  get failures(): readonly Error[] {
    return this.#failures;
  }

  /** Resolves with the next (or an already received, not yet taken) message of this type. */
  next<T extends ServerPayload['t']>(
    type: T,
    match: (p: Extract<ServerPayload, { t: T }>) => boolean = () => true,
  ): Promise<Extract<ServerPayload, { t: T }>> {
    const test = (p: ServerPayload) => p.t === type && match(p as Extract<ServerPayload, { t: T }>);
    const existing = this.received.find(test);
    if (existing) {
      this.received.splice(this.received.indexOf(existing), 1);
      return Promise.resolve(existing as Extract<ServerPayload, { t: T }>);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match: test,
        resolve: (p: ServerPayload) => {
          this.received.splice(this.received.indexOf(p), 1);
          resolve(p as Extract<ServerPayload, { t: T }>);
        },
      };
      this.#waiters.push(waiter);
      this.closed.then((info) => {
        if (this.#waiters.includes(waiter)) {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new Error(`socket closed (${info.code} ${info.reason}) while waiting for "${type}"`));
        }
      });
    });
  }

  /** Waits until an ack covers `seq`. */
  ack(seq: number): Promise<AckPayload> {
    return this.next('ack', (ack) => ack.seq >= seq);
  }

  helloPayload(overrides: Partial<HelloPayload> = {}): HelloPayload {
    return {
      t: 'hello',
      v: 1,
      agent: this.agent.agentId,
      nonce: this.challenge.nonce,
      time: Date.now(),
      info: {
        hostname: this.agent.hostname,
        osUser: 'operator1',
        localIps: ['192.0.2.10'],
        agentVersion: '0.1.0-test',
        noticeVersion: 1,
      },
      ...overrides,
    };
  }

  /** Sends a signed hello (with overrides) without waiting. */
  sendHello(overrides: Partial<HelloPayload> = {}, signer: Ed25519Signer = this.agent.signer): void {
    this.ws.send(encodeTextFrame(this.helloPayload(overrides), 'agent', signer));
  }

  /** Sends the hello and waits for the welcome. */
  async hello(overrides: Partial<HelloPayload> = {}): Promise<WelcomePayload> {
    this.sendHello(overrides);
    const welcome = await this.next('welcome');
    this.welcome = welcome;
    this.session = welcome.session;
    return welcome;
  }

  batchPayload(seq: number, events: Event[], session = this.session!): BatchPayload {
    return { t: 'batch', v: 1, session, seq, time: Date.now(), events };
  }

  sendBatch(seq: number, events: Event[], options: { session?: string } = {}): void {
    this.ws.send(
      encodeTextFrame(this.batchPayload(seq, events, options.session), 'agent', this.agent.signer),
    );
  }

  /** Sends a blob frame; `payload` overrides fields (e.g. a wrong sha256). */
  sendBlob(seq: number, bytes: Uint8Array, payload: Partial<BlobPayload> = {}): void {
    const blob: BlobPayload = {
      t: 'blob',
      v: 1,
      session: this.session!,
      seq,
      time: Date.now(),
      sha256: sha256Hex(bytes),
      size: bytes.length,
      mime: 'image/jpeg',
      event: captureEvent(),
      ...payload,
    };
    this.ws.send(encodeBinaryFrame(blob, bytes, 'agent', this.agent.signer));
  }

  sendRaw(data: string | Uint8Array, binary = typeof data !== 'string'): void {
    this.ws.send(data, { binary });
  }

  /** Closes from the agent side and waits for the close to complete. */
  async close(code = 1000): Promise<CloseInfo> {
    if (this.#closeInfo) return this.#closeInfo;
    this.ws.close(code);
    return this.closed;
  }
}

/** Connects, says hello and returns the welcomed client. */
export async function connectAgent(
  server: ServerEndpoint,
  agent: EnrolledAgent,
  options: ConnectOptions = {},
): Promise<TestAgentClient> {
  const client = await TestAgentClient.connect(server, agent, options);
  await client.hello();
  return client;
}

// ---- sample data -------------------------------------------------------------------------------

export function captureEvent(overrides: Partial<CaptureEvent> = {}): CaptureEvent {
  return {
    type: 'capture',
    time: Date.now(),
    outcome: 'captured',
    trigger: 'schedule',
    monitor: 0,
    width: 64,
    height: 48,
    reason: '',
    commandId: null,
    ...overrides,
  };
}

/** `count` events of mixed kinds, times from `start` (ms) on. */
export function sampleEvents(count: number, start = Date.now()): Event[] {
  const events: Event[] = [];
  for (let i = 0; i < count; i++) {
    const time = start + i * 1000;
    switch (i % 3) {
      case 0:
        events.push({ type: 'activity', time, end: time + 900, app: 'crm', title: `Ticket #${i}` });
        break;
      case 1:
        events.push({ type: 'status', time, state: i % 2 ? 'active' : 'idle', idleMs: i * 10 });
        break;
      default:
        events.push({
          type: 'device_attached',
          time,
          device: {
            id: `usb-${i}`,
            vendorId: '0781',
            productId: '5567',
            name: 'Cruzer Blade',
            manufacturer: 'SanDisk',
            serial: `SN${i}`,
            deviceClass: 'mass-storage',
            massStorage: true,
          },
        });
    }
  }
  return events;
}

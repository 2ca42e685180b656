/**
 * A small protocol v1 collector for the agent's own tests: a real HTTP and
 * WebSocket server on 127.0.0.1, port 0, with its own Ed25519 key pair. It
 * speaks the protocol strictly (challenge, signed hello, welcome with
 * ackedSeq, cumulative acks after "storing", commands) and records what it
 * stored, so tests can assert delivery without the server package.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type BatchPayload,
  type BlobPayload,
  type CaptureEvent,
  DEFAULT_POLICY,
  decodeBinaryFrame,
  decodeTextFrame,
  type Ed25519KeyPair,
  type Event,
  encodeTextFrame,
  fromBase64,
  generateKeyPair,
  type HelloPayload,
  type Notice,
  openTextFrame,
  type Policy,
  parsePayloadJson,
  type ServerPayload,
  toBase64,
  tweetnaclSigner,
  unverifiedHelloAgent,
  verifyEnvelope,
} from '@seatwatch/shared';
import { createNodeCryptoVerifier, sha256Hex } from '@seatwatch/shared/node-crypto';
import { type WebSocket, WebSocketServer } from 'ws';

export const TEST_NOTICE: Notice = {
  version: 1,
  text: 'This computer is monitored by Example Contact Center for security and quality. Supervisors and HR can see the data. It is kept 60 days. Questions: privacy@example.com',
};

export interface StoredFrame {
  readonly seq: number;
  readonly kind: 'batch' | 'blob';
  readonly events: readonly Event[];
  readonly blob: Uint8Array | null;
  readonly mime: string | null;
}

export interface PeerEventMap {
  hello: { agent: string; info: HelloPayload['info']; remoteAddress: string };
  stored: StoredFrame;
  resend: { seq: number };
  /** A frame received and verified but thrown away (mode "lose"). */
  lost: { seq: number };
  agentError: { code: string; message: string };
  closed: { code: number; reason: string };
  connection: { remoteAddress: string };
  /** The agent pinged (its liveness check of a quiet connection). */
  ping: { session: string };
}

export interface PeerConnection {
  readonly socket: WebSocket;
  /** The TCP connection under the WebSocket. */
  readonly tcp: Socket;
  readonly session: string;
  welcomed: boolean;
}

export class ProtocolPeer {
  readonly keys: Ed25519KeyPair;
  readonly agents: Map<string, Uint8Array>;
  readonly tokens = new Set<string>(['good-token']);
  readonly stored: Map<number, StoredFrame>;
  readonly hellos: PeerEventMap['hello'][] = [];
  readonly gaps: { after: number; seq: number }[] = [];
  policy: Policy;
  notice: Notice;
  /** 'auto' acknowledges after storing; 'hold' stores but does not acknowledge until releaseAcks(). */
  ackMode: 'auto' | 'hold' = 'auto';
  /** True: frames are verified, then thrown away unstored and unacknowledged (a collector that lost them). */
  lose = false;
  private highest: number;
  private readonly emitter = new EventEmitter();
  private readonly signer: ReturnType<typeof tweetnaclSigner>;
  private readonly verifier = createNodeCryptoVerifier();
  private connection: PeerConnection | null = null;
  private enrolled: number;

  private constructor(
    private readonly http: http.Server,
    private readonly wss: WebSocketServer,
    from: ProtocolPeer | undefined,
  ) {
    // A restarted collector keeps its key, its agents and what it stored.
    this.keys = from?.keys ?? generateKeyPair();
    this.agents = from?.agents ?? new Map();
    this.stored = from?.stored ?? new Map();
    this.highest = from?.highest ?? 0;
    this.enrolled = from?.enrolled ?? 0;
    this.policy = from?.policy ?? { ...DEFAULT_POLICY };
    this.notice = from?.notice ?? TEST_NOTICE;
    this.signer = tweetnaclSigner(this.keys.secretKey);
  }

  /** Starts a peer; with `from`, a restart of that (closed) peer on `port`. */
  static async start(from?: ProtocolPeer, port = 0): Promise<ProtocolPeer> {
    const server = http.createServer();
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: 16 * 1024 * 1024,
    });
    const peer = new ProtocolPeer(server, wss, from);
    server.on('request', (req, res) => peer.onHttp(req, res));
    server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/api/v1/agent/ws') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => peer.onConnection(ws, req.socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return peer;
  }

  get url(): string {
    const { port } = this.http.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Highest seq stored (what a welcome reports as ackedSeq). */
  get ackedSeq(): number {
    return this.highest;
  }

  get current(): PeerConnection | null {
    return this.connection;
  }

  /** Every stored event, in seq order (a blob contributes its capture event). */
  events(): Event[] {
    return [...this.stored.values()].sort((a, b) => a.seq - b.seq).flatMap((f) => f.events);
  }

  on<K extends keyof PeerEventMap>(name: K, listener: (payload: PeerEventMap[K]) => void): void {
    this.emitter.on(name, listener);
  }

  waitFor<K extends keyof PeerEventMap>(
    name: K,
    predicate: (payload: PeerEventMap[K]) => boolean = () => true,
    // A guard against hangs, generous because a busy 2-core machine starts Node processes slowly.
    timeoutMs = 60_000,
  ): Promise<PeerEventMap[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.emitter.off(name, listener);
        reject(new Error(`peer: timed out waiting for ${name}`));
      }, timeoutMs);
      const listener = (payload: PeerEventMap[K]) => {
        if (!predicate(payload)) return;
        clearTimeout(timer);
        this.emitter.off(name, listener);
        resolve(payload);
      };
      this.emitter.on(name, listener);
    });
  }

  /** Resolves once an event matching `predicate` has been stored (or already was). */
  async waitForEvent(predicate: (event: Event) => boolean, timeoutMs = 60_000): Promise<Event> {
    const found = this.events().find(predicate);
    if (found) return found;
    const frame = await this.waitFor('stored', (f) => f.events.some(predicate), timeoutMs);
    return frame.events.find(predicate)!;
  }

  send(payload: ServerPayload): void {
    this.connection?.socket.send(encodeTextFrame(payload, 'server', this.signer));
  }

  /** Sends a payload signed with some other key: the agent must refuse it. */
  sendForged(payload: ServerPayload): void {
    const other = tweetnaclSigner(generateKeyPair().secretKey);
    this.connection?.socket.send(encodeTextFrame(payload, 'server', other));
  }

  sendCommand(cmd: string, args: Record<string, unknown> = {}): string {
    const id = `cmd-${randomBytes(4).toString('hex')}`;
    this.send({ t: 'command', v: 1, session: this.connection!.session, id, cmd, args });
    return id;
  }

  /** Closes the agent's connection the way the server does: a signed error, then the close code. */
  closeCurrent(code: number, errorCode?: string, message = 'closed by the test peer'): void {
    const connection = this.connection;
    if (!connection) return;
    if (errorCode) this.send({ t: 'error', v: 1, code: errorCode, message });
    connection.socket.close(code, errorCode ?? 'test');
  }

  /**
   * The current connection goes silent as a link that died without a reset
   * looks from the agent: nothing it sends is read (so pings get no pong),
   * nothing comes back, and the socket stays open.
   */
  stallCurrent(): void {
    this.connection?.tcp.pause();
  }

  releaseAcks(): void {
    this.ackMode = 'auto';
    if (this.connection && this.highest > 0) this.ack(this.connection, this.highest);
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'POST' || req.url !== '/api/v1/enroll') {
      res.writeHead(404).end();
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      let request: { token?: string; publicKey?: string };
      try {
        request = JSON.parse(body);
      } catch {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'bad_request', message: 'not JSON' }));
        return;
      }
      if (!request.token || !this.tokens.has(request.token) || !request.publicKey) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: 'token_invalid',
            message: 'Enrollment token is unknown, expired, used up or revoked',
          }),
        );
        return;
      }
      const agentId = `agent-${++this.enrolled}`;
      this.agents.set(agentId, fromBase64(request.publicKey, 32));
      res.writeHead(201, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          agentId,
          serverPublicKey: toBase64(this.keys.publicKey),
          projectId: 'project-1',
          policy: this.policy,
          notice: this.notice,
        }),
      );
    });
  }

  private onConnection(socket: WebSocket, tcp: Socket): void {
    const remoteAddress = tcp.remoteAddress ?? '';
    const nonce = toBase64(randomBytes(32));
    const connection: PeerConnection = {
      socket,
      tcp,
      session: `s-${randomBytes(6).toString('hex')}`,
      welcomed: false,
    };
    let agentKey: Uint8Array | null = null;
    this.emitter.emit('connection', { remoteAddress });
    socket.on('ping', () => this.emitter.emit('ping', { session: connection.session }));
    socket.on('close', (code, reason) => {
      if (this.connection === connection) this.connection = null;
      this.emitter.emit('closed', { code, reason: reason.toString() });
    });
    socket.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      try {
        if (!connection.welcomed) {
          const envelope = openTextFrame(bytes);
          const agent = unverifiedHelloAgent(parsePayloadJson(envelope));
          const key = agent ? this.agents.get(agent) : undefined;
          if (!agent || !key) throw new Error('unknown agent');
          verifyEnvelope(envelope, 'agent', key, this.verifier);
          const hello = parsePayloadJson(envelope) as HelloPayload;
          if (hello.nonce !== nonce) throw new Error('wrong nonce');
          agentKey = key;
          // A newer connection replaces the older one (4409), as the real server does.
          if (this.connection && this.connection !== connection)
            this.connection.socket.close(4409, 'replaced');
          this.connection = connection;
          connection.welcomed = true;
          const info = { agent, info: hello.info, remoteAddress };
          this.hellos.push(info);
          this.emitter.emit('hello', info);
          this.send({
            t: 'welcome',
            v: 1,
            session: connection.session,
            ackedSeq: this.highest,
            policy: this.policy,
            notice: this.notice,
          });
          return;
        }
        const options = { sender: 'agent' as const, publicKey: agentKey!, verifier: this.verifier };
        if (isBinary) {
          const { payload, blob } = decodeBinaryFrame(bytes, { ...options, sha256Hex });
          this.data(connection, payload, blob);
        } else {
          const payload = decodeTextFrame(bytes, options);
          if (payload.t === 'error')
            this.emitter.emit('agentError', { code: payload.code, message: payload.message });
          else if (payload.t === 'batch') this.data(connection, payload, null);
          else throw new Error(`unexpected ${payload.t}`);
        }
      } catch (error) {
        socket.close(4401, String(error instanceof Error ? error.message : error).slice(0, 100));
      }
    });
    socket.send(encodeTextFrame({ t: 'challenge', v: 1, nonce, time: Date.now() }, 'server', this.signer));
  }

  private data(
    connection: PeerConnection,
    payload: BatchPayload | BlobPayload,
    blob: Uint8Array | null,
  ): void {
    if (payload.session !== connection.session) throw new Error('wrong session');
    if (this.lose) {
      this.emitter.emit('lost', { seq: payload.seq });
      return;
    }
    if (payload.seq <= this.highest) {
      this.emitter.emit('resend', { seq: payload.seq });
    } else {
      if (payload.seq > this.highest + 1) this.gaps.push({ after: this.highest, seq: payload.seq });
      const frame: StoredFrame =
        payload.t === 'batch'
          ? { seq: payload.seq, kind: 'batch', events: payload.events, blob: null, mime: null }
          : {
              seq: payload.seq,
              kind: 'blob',
              events: [payload.event as CaptureEvent],
              blob,
              mime: payload.mime,
            };
      this.stored.set(payload.seq, frame);
      this.highest = payload.seq;
      this.emitter.emit('stored', frame);
    }
    if (this.ackMode === 'auto') this.ack(connection, this.highest);
  }

  private ack(connection: PeerConnection, seq: number): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    connection.socket.send(
      encodeTextFrame({ t: 'ack', v: 1, session: connection.session, seq }, 'server', this.signer),
    );
  }
}

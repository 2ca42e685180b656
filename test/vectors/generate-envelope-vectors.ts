/**
 * Writes test/vectors/envelopes.json: golden protocol v1 envelope cases made
 * with fixed keys. Ed25519 is deterministic, so running this again gives the
 * same file byte for byte (the vector test checks that too).
 *   pnpm vectors
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type BlobPayload,
  type Ed25519Signer,
  encodeBinaryFrame,
  encodeTextFrame,
  keyPairFromSeed,
  type Payload,
  signingInput,
  toBase64,
  tweetnaclSigner,
} from '@seatwatch/shared';
import { sha256Hex } from '@seatwatch/shared/node-crypto';

const AGENT_SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const SERVER_SEED = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const agent = keyPairFromSeed(AGENT_SEED);
const server = keyPairFromSeed(SERVER_SEED);
const agentSigner = tweetnaclSigner(agent.secretKey);
const serverSigner = tweetnaclSigner(server.secretKey);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const T = 1_764_000_000_000;
const NONCE = toBase64(Uint8Array.from({ length: 32 }, (_, i) => 255 - i));
const SESSION = 'sess-0001';

const batch: Payload = {
  t: 'batch',
  v: 1,
  session: SESSION,
  seq: 7,
  time: T,
  events: [
    {
      type: 'activity',
      time: T - 60_000,
      end: T - 1_000,
      app: 'xterm',
      title: 'Ticket #4711 – Müller (客户)',
    },
    { type: 'status', time: T - 500, state: 'idle', idleMs: 180_000 },
  ],
};
const hello: Payload = {
  t: 'hello',
  v: 1,
  agent: 'agt_01',
  nonce: NONCE,
  time: T,
  info: {
    hostname: 'seat-042',
    osUser: 'operator1',
    localIps: ['10.0.0.42'],
    agentVersion: '0.1.0',
    noticeVersion: 1,
  },
};
const command: Payload = { t: 'command', v: 1, session: SESSION, id: 'cmd-1', cmd: 'capture_now', args: {} };
const blobBytes = new TextEncoder().encode('not really a jpeg, but bytes all the same');
const blobPayload: BlobPayload = {
  t: 'blob',
  v: 1,
  session: SESSION,
  seq: 8,
  time: T,
  sha256: sha256Hex(blobBytes),
  size: blobBytes.length,
  mime: 'image/jpeg',
  event: {
    type: 'capture',
    time: T,
    outcome: 'captured',
    trigger: 'schedule',
    monitor: 0,
    width: 1280,
    height: 720,
    reason: '',
    commandId: null,
  },
};

/** Signs an arbitrary p (even one that is not a valid payload). */
function sealRaw(p: string, role: 'agent' | 'server', signer: Ed25519Signer): string {
  const sig = signer.sign(signingInput(role, new TextEncoder().encode(p)));
  return JSON.stringify({ p, s: toBase64(sig) });
}

function binaryFrame(envelopeText: string, blob: Uint8Array, lengthOverride?: number): string {
  const env = new TextEncoder().encode(envelopeText);
  const frame = new Uint8Array(4 + env.length + blob.length);
  new DataView(frame.buffer).setUint32(0, lengthOverride ?? env.length, false);
  frame.set(env, 4);
  frame.set(blob, 4 + env.length);
  return toBase64(frame);
}

/** Adds L to S (little-endian 256-bit add): same point equation, non-canonical S. */
function malleate(signature: Uint8Array): Uint8Array {
  const L = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');
  const out = Uint8Array.from(signature);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const sum = out[32 + i]! + L[i]! + carry;
    out[32 + i] = sum & 0xff;
    carry = sum >> 8;
  }
  return out;
}

const batchFrame = encodeTextFrame(batch, 'agent', agentSigner);
const batchEnv = JSON.parse(batchFrame) as { p: string; s: string };
const sigBytes = Buffer.from(batchEnv.s, 'base64');

type Case = {
  name: string;
  description: string;
  frameType: 'text' | 'binary';
  frame?: string;
  /** For very large frames: the frame is `unit` repeated `count` times (UTF-8). */
  frameRepeat?: { unit: string; count: number };
  sender: 'agent' | 'server';
  key: 'agent' | 'server';
  expect: string;
  payload?: unknown;
};

const cases: Case[] = [
  {
    name: 'text-batch-ok',
    description: 'Agent batch with non-ASCII titles, verified with the agent key',
    frameType: 'text',
    frame: batchFrame,
    sender: 'agent',
    key: 'agent',
    expect: 'ok',
    payload: batch,
  },
  {
    name: 'text-hello-ok',
    description: 'Agent hello echoing a challenge nonce',
    frameType: 'text',
    frame: encodeTextFrame(hello, 'agent', agentSigner),
    sender: 'agent',
    key: 'agent',
    expect: 'ok',
    payload: hello,
  },
  {
    name: 'text-server-command-ok',
    description: 'Server command, verified with the pinned server key',
    frameType: 'text',
    frame: encodeTextFrame(command, 'server', serverSigner),
    sender: 'server',
    key: 'server',
    expect: 'ok',
    payload: command,
  },
  {
    name: 'binary-blob-ok',
    description: 'Blob frame whose sha256 and size match the bytes',
    frameType: 'binary',
    frame: toBase64(encodeBinaryFrame(blobPayload, blobBytes, 'agent', agentSigner)),
    sender: 'agent',
    key: 'agent',
    expect: 'ok',
    payload: blobPayload,
  },
  {
    name: 'wrong-role',
    description: 'An agent-signed frame checked as if the server had sent it (domain separation)',
    frameType: 'text',
    frame: batchFrame,
    sender: 'server',
    key: 'agent',
    expect: 'bad_signature',
  },
  {
    name: 'malleated-s-plus-l',
    description: 'The valid batch signature with L added to S: tweetnacl alone would accept it',
    frameType: 'text',
    frame: JSON.stringify({ p: batchEnv.p, s: toBase64(malleate(sigBytes)) }),
    sender: 'agent',
    key: 'agent',
    expect: 'bad_signature',
  },
  {
    name: 'flipped-byte-in-p',
    description: 'One character of p changed after signing (seq 7 -> 8)',
    frameType: 'text',
    frame: JSON.stringify({ p: batchEnv.p.replace('"seq":7', '"seq":8'), s: batchEnv.s }),
    sender: 'agent',
    key: 'agent',
    expect: 'bad_signature',
  },
  {
    name: 'flipped-bit-in-signature',
    description: 'Lowest bit of the first signature byte flipped',
    frameType: 'text',
    frame: JSON.stringify({
      p: batchEnv.p,
      s: toBase64(Uint8Array.from(sigBytes, (b, i) => (i === 0 ? b ^ 1 : b))),
    }),
    sender: 'agent',
    key: 'agent',
    expect: 'bad_signature',
  },
  {
    name: 'signature-wrong-length',
    description: 'Signature of 63 bytes',
    frameType: 'text',
    frame: JSON.stringify({ p: batchEnv.p, s: toBase64(sigBytes.subarray(0, 63)) }),
    sender: 'agent',
    key: 'agent',
    expect: 'frame_malformed',
  },
  {
    name: 'envelope-extra-field',
    description: 'Envelope with a field besides p and s',
    frameType: 'text',
    frame: JSON.stringify({ p: batchEnv.p, s: batchEnv.s, x: 1 }),
    sender: 'agent',
    key: 'agent',
    expect: 'frame_malformed',
  },
  {
    name: 'binary-truncated-header',
    description: 'Binary frame of 3 bytes: shorter than its length header',
    frameType: 'binary',
    frame: toBase64(Uint8Array.from([0, 0, 1])),
    sender: 'agent',
    key: 'agent',
    expect: 'frame_malformed',
  },
  {
    name: 'binary-length-beyond-frame',
    description: 'Header says the envelope is longer than the whole frame',
    frameType: 'binary',
    frame: binaryFrame(sealRaw(JSON.stringify(blobPayload), 'agent', agentSigner), blobBytes, 1_000_000),
    sender: 'agent',
    key: 'agent',
    expect: 'frame_malformed',
  },
  {
    name: 'binary-hash-mismatch',
    description: 'Validly signed blob payload whose sha256 is not that of the bytes (one byte changed)',
    frameType: 'binary',
    frame: binaryFrame(
      sealRaw(JSON.stringify(blobPayload), 'agent', agentSigner),
      Uint8Array.from(blobBytes, (b, i) => (i === 0 ? b ^ 0xff : b)),
    ),
    sender: 'agent',
    key: 'agent',
    expect: 'blob_hash_mismatch',
  },
  {
    name: 'binary-size-mismatch',
    description: 'Validly signed blob payload, one byte appended to the blob',
    frameType: 'binary',
    frame: binaryFrame(
      sealRaw(JSON.stringify(blobPayload), 'agent', agentSigner),
      Uint8Array.from([...blobBytes, 0]),
    ),
    sender: 'agent',
    key: 'agent',
    expect: 'blob_size_mismatch',
  },
  {
    name: 'p-not-json',
    description: 'Validly signed p that is not JSON',
    frameType: 'text',
    frame: sealRaw('{"t":"batch",', 'agent', agentSigner),
    sender: 'agent',
    key: 'agent',
    expect: 'payload_invalid',
  },
  {
    name: 'missing-t',
    description: 'Validly signed payload without t',
    frameType: 'text',
    frame: sealRaw(
      JSON.stringify({ v: 1, session: SESSION, seq: 1, time: T, events: [] }),
      'agent',
      agentSigner,
    ),
    sender: 'agent',
    key: 'agent',
    expect: 'payload_invalid',
  },
  {
    name: 'missing-v',
    description: 'Validly signed batch without v',
    frameType: 'text',
    frame: sealRaw(JSON.stringify({ ...batch, v: undefined }), 'agent', agentSigner),
    sender: 'agent',
    key: 'agent',
    expect: 'payload_invalid',
  },
  {
    name: 'blob-in-text-frame',
    description: 'A blob payload sent in a text frame',
    frameType: 'text',
    frame: sealRaw(JSON.stringify(blobPayload), 'agent', agentSigner),
    sender: 'agent',
    key: 'agent',
    expect: 'payload_invalid',
  },
  {
    name: 'oversize-text-frame',
    description: 'A text frame of 1 MiB + 1 byte is refused before anything is parsed',
    frameType: 'text',
    frameRepeat: { unit: ' ', count: 1024 * 1024 + 1 },
    sender: 'agent',
    key: 'agent',
    expect: 'frame_too_large',
  },
];

const file = {
  description:
    'Seatwatch protocol v1 envelope vectors. Decode `frame` (text: UTF-8 string; binary: base64 of the frame bytes) as sent by `sender`, verifying with the public key named by `key`. `expect` is "ok" (then the payload must equal `payload`) or the error code from docs/errors.md.',
  keys: {
    agent: { seed: hex(AGENT_SEED), publicKey: toBase64(agent.publicKey) },
    server: { seed: hex(SERVER_SEED), publicKey: toBase64(server.publicKey) },
  },
  cases,
};

export const envelopeVectorsJson = `${JSON.stringify(file, null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('./envelopes.json', import.meta.url), envelopeVectorsJson);
  console.log(`wrote ${cases.length} envelope cases to test/vectors/envelopes.json`);
}

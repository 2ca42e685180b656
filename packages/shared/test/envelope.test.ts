import {
  type BatchPayload,
  decodeBinaryFrame,
  decodeTextFrame,
  encodeBinaryFrame,
  encodeTextFrame,
  fromBase64,
  generateKeyPair,
  MAX_BINARY_FRAME_BYTES,
  MAX_TEXT_FRAME_BYTES,
  openTextFrame,
  type Payload,
  parsePayloadJson,
  SeatwatchError,
  toBase64,
  tweetnaclSigner,
  unverifiedHelloAgent,
  verifyEnvelope,
} from '@seatwatch/shared';
import { createNodeCryptoVerifier, sha256Hex } from '@seatwatch/shared/node-crypto';
import { describe, expect, it } from 'vitest';

const verifier = createNodeCryptoVerifier();
const agent = generateKeyPair();
const server = generateKeyPair();
const agentSigner = tweetnaclSigner(agent.secretKey);
const serverSigner = tweetnaclSigner(server.secretKey);
const nonce = toBase64(new Uint8Array(32).fill(7));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SeatwatchError) return error.code;
    throw error;
  }
  return 'ok';
}

const batch: BatchPayload = {
  t: 'batch',
  v: 1,
  session: 's1',
  seq: 1,
  time: 1,
  events: [{ type: 'status', time: 1, state: 'active', idleMs: 0 }],
};

describe('text frames', () => {
  const serverMessages: Payload[] = [
    { t: 'challenge', v: 1, nonce, time: 5 },
    {
      t: 'welcome',
      v: 1,
      session: 's1',
      ackedSeq: 0,
      policy: {
        activitySampleMs: 1000,
        idleThresholdMs: 180_000,
        heartbeatMs: 15_000,
        screenshotsEnabled: true,
        screenshotIntervalMs: 300_000,
        screenshotJitter: 0.2,
        screenshotMaxWidth: 1280,
        screenshotFormat: 'jpeg',
        screenshotQuality: 60,
        privacyList: ['checkout'],
        deviceScanMs: 2000,
        outboxMaxBytes: 1 << 28,
        retentionDays: 60,
      },
      notice: { version: 1, text: 'This seat is monitored.' },
    },
    { t: 'ack', v: 1, session: 's1', seq: 3 },
    { t: 'command', v: 1, session: 's1', id: 'c1', cmd: 'capture_now', args: {} },
    { t: 'error', v: 1, code: 'ip_not_allowed', message: 'nope' },
  ];

  it.each(serverMessages)('server $t round-trips', (payload) => {
    const frame = encodeTextFrame(payload, 'server', serverSigner);
    expect(decodeTextFrame(frame, { sender: 'server', publicKey: server.publicKey, verifier })).toEqual(
      payload,
    );
  });

  it('accepts the frame as UTF-8 bytes too, and refuses invalid UTF-8', () => {
    const frame = encodeTextFrame(batch, 'agent', agentSigner);
    const bytes = new TextEncoder().encode(frame);
    expect(decodeTextFrame(bytes, { sender: 'agent', publicKey: agent.publicKey, verifier })).toEqual(batch);
    expect(codeOf(() => openTextFrame(Uint8Array.from([0x7b, 0xff, 0x7d])))).toBe('frame_malformed');
  });

  it('refuses a payload type the sender may not send', () => {
    const frame = encodeTextFrame({ t: 'ack', v: 1, session: 's', seq: 1 }, 'agent', agentSigner);
    expect(
      codeOf(() => decodeTextFrame(frame, { sender: 'agent', publicKey: agent.publicKey, verifier })),
    ).toBe('payload_invalid');
  });

  it('refuses the wrong key, version 2, and batches outside the schema', () => {
    const opts = { sender: 'agent' as const, publicKey: agent.publicKey, verifier };
    const frame = encodeTextFrame(batch, 'agent', agentSigner);
    expect(codeOf(() => decodeTextFrame(frame, { ...opts, publicKey: server.publicKey }))).toBe(
      'bad_signature',
    );
    const v2 = encodeTextFrame({ ...batch, v: 2 } as unknown as Payload, 'agent', agentSigner);
    expect(codeOf(() => decodeTextFrame(v2, opts))).toBe('payload_invalid');
    const empty = encodeTextFrame({ ...batch, events: [] }, 'agent', agentSigner);
    expect(codeOf(() => decodeTextFrame(empty, opts))).toBe('payload_invalid');
    const seq0 = encodeTextFrame({ ...batch, seq: 0 }, 'agent', agentSigner);
    expect(codeOf(() => decodeTextFrame(seq0, opts))).toBe('payload_invalid');
    const unknownEvent = encodeTextFrame(
      { ...batch, events: [{ type: 'keystrokes', time: 1 }] } as unknown as Payload,
      'agent',
      agentSigner,
    );
    expect(codeOf(() => decodeTextFrame(unknownEvent, opts))).toBe('payload_invalid');
  });

  it('counts the size limit in UTF-8 bytes, not UTF-16 units', () => {
    // 400k three-byte characters: under the limit in UTF-16 length, over it in UTF-8 bytes.
    const wide = '€'.repeat(400_000);
    expect(wide.length).toBeLessThan(MAX_TEXT_FRAME_BYTES);
    expect(codeOf(() => openTextFrame(wide))).toBe('frame_too_large');
  });

  it('lets the server read only the agent id of an unverified hello, then verify', () => {
    const hello = encodeTextFrame(
      {
        t: 'hello',
        v: 1,
        agent: 'agt_1',
        nonce,
        time: 1,
        info: { hostname: 'h', osUser: 'u', localIps: [], agentVersion: '1', noticeVersion: 1 },
      },
      'agent',
      agentSigner,
    );
    const envelope = openTextFrame(hello);
    const raw = parsePayloadJson(envelope);
    expect(unverifiedHelloAgent(raw)).toBe('agt_1');
    expect(unverifiedHelloAgent({ t: 'batch', agent: 'agt_1' })).toBeNull();
    expect(() => verifyEnvelope(envelope, 'agent', agent.publicKey, verifier)).not.toThrow();
  });
});

describe('binary frames', () => {
  const blob = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
  const payload = {
    t: 'blob' as const,
    v: 1 as const,
    session: 's1',
    seq: 2,
    time: 1,
    sha256: sha256Hex(blob),
    size: blob.length,
    mime: 'image/webp' as const,
    event: {
      type: 'capture' as const,
      time: 1,
      outcome: 'captured' as const,
      trigger: 'command' as const,
      monitor: 1,
      width: 10,
      height: 10,
      reason: '',
      commandId: 'c9',
    },
  };

  it('round-trips and hands back the exact blob bytes', () => {
    const frame = encodeBinaryFrame(payload, blob, 'agent', agentSigner);
    const decoded = decodeBinaryFrame(frame, {
      sender: 'agent',
      publicKey: agent.publicKey,
      verifier,
      sha256Hex,
    });
    expect(decoded.payload).toEqual(payload);
    expect(decoded.blob).toEqual(blob);
  });

  it('refuses a frame over 16 MiB before reading it', () => {
    const frame = new Uint8Array(MAX_BINARY_FRAME_BYTES + 1);
    expect(
      codeOf(() =>
        decodeBinaryFrame(frame, { sender: 'agent', publicKey: agent.publicKey, verifier, sha256Hex }),
      ),
    ).toBe('frame_too_large');
  });

  it('refuses a text payload type in a binary frame', () => {
    const envelope = new TextEncoder().encode(encodeTextFrame(batch, 'agent', agentSigner));
    const frame = new Uint8Array(4 + envelope.length);
    new DataView(frame.buffer).setUint32(0, envelope.length);
    frame.set(envelope, 4);
    expect(
      codeOf(() =>
        decodeBinaryFrame(frame, { sender: 'agent', publicKey: agent.publicKey, verifier, sha256Hex }),
      ),
    ).toBe('payload_invalid');
  });
});

describe('base64', () => {
  it('round-trips every length and refuses non-canonical or invalid text', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    }
    expect(codeOf(() => fromBase64('QQ=='))).toBe('ok');
    expect(codeOf(() => fromBase64('QR=='))).toBe('frame_malformed'); // stray bits in padding
    expect(codeOf(() => fromBase64('QQ'))).toBe('frame_malformed'); // padding required
    expect(codeOf(() => fromBase64('QQ-_'))).toBe('frame_malformed'); // base64url alphabet
    expect(codeOf(() => fromBase64('AAAA', 4))).toBe('frame_malformed');
  });
});

/**
 * The first step of a hello on raw bytes: what it reads before anything is
 * trusted (the claimed agent id only), and the refusal codes of frames
 * that are not a hello. The later steps need the database; close-codes.test.ts
 * drives them through a real socket.
 */
import {
  encodeTextFrame,
  generateKeyPair,
  type HelloPayload,
  SeatwatchError,
  toBase64,
  tweetnaclSigner,
} from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import { readHello } from '../../src/agent-gateway/hello.js';

const signer = tweetnaclSigner(generateKeyPair().secretKey);
const utf8 = (text: string) => new TextEncoder().encode(text);
const signed = (payload: unknown) => utf8(encodeTextFrame(payload as HelloPayload, 'agent', signer));

const hello: HelloPayload = {
  t: 'hello',
  v: 1,
  agent: 'agent-1',
  nonce: 'nonce',
  time: 0,
  info: { hostname: 'seat-1', osUser: 'op', localIps: [], agentVersion: '0.1.0', noticeVersion: 1 },
};

/** The SeatwatchError a refused frame throws, by its code. */
const refusal = (code: string) => expect.objectContaining({ name: SeatwatchError.name, code });

describe('readHello', () => {
  it('gives the claimed agent id and the parsed payload, unverified', () => {
    const claim = readHello(signed(hello), false);
    expect(claim.claimed).toBe('agent-1');
    expect(claim.value).toEqual(hello);
    expect(claim.envelope.p).toBe(JSON.stringify(hello));
  });

  it('refuses a binary frame, a frame that is no envelope, and a payload that is not JSON', () => {
    expect(() => readHello(signed(hello), true)).toThrow(refusal('unexpected_message'));
    expect(() => readHello(utf8('{"not": "an envelope"'), false)).toThrow(refusal('frame_malformed'));
    const unsignedJunk = JSON.stringify({ p: '{', s: toBase64(new Uint8Array(64)) });
    expect(() => readHello(utf8(unsignedJunk), false)).toThrow(refusal('payload_invalid'));
  });

  it('tells a message that is not a hello from a hello without a usable agent field', () => {
    expect(() => readHello(signed({ t: 'batch', v: 1 }), false)).toThrow(refusal('unexpected_message'));
    expect(() => readHello(signed({ ...hello, agent: '' }), false)).toThrow(refusal('payload_invalid'));
    expect(() => readHello(signed({ ...hello, agent: 'x'.repeat(129) }), false)).toThrow(
      refusal('payload_invalid'),
    );
  });
});

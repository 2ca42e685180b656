import { describe, expect, it } from 'vitest';
import { createNodeCryptoVerifier, nodeCryptoSigner, sha256Hex } from '@seatwatch/shared/node-crypto';
import { decodeBinaryFrame, decodeTextFrame, encodeBinaryFrame, encodeTextFrame, generateKeyPair, tweetnaclSigner, tweetnaclVerifier } from '@seatwatch/shared';

describe('smoke', () => {
  it('roundtrips', () => {
    const kp = generateKeyPair();
    const signer = tweetnaclSigner(kp.secretKey);
    const frame = encodeTextFrame({ t: 'batch', v: 1, session: 's', seq: 1, time: 1, events: [{ type: 'status', time: 1, state: 'idle', idleMs: 5 }] }, 'agent', signer);
    const p = decodeTextFrame(frame, { sender: 'agent', publicKey: kp.publicKey, verifier: createNodeCryptoVerifier() });
    expect(p.t).toBe('batch');
    expect(nodeCryptoSigner(kp.secretKey).sign(new Uint8Array([1,2]))).toEqual(signer.sign(new Uint8Array([1,2])));
    const blob = new Uint8Array([1,2,3]);
    const bf = encodeBinaryFrame({ t: 'blob', v: 1, session: 's', seq: 2, time: 1, sha256: sha256Hex(blob), size: 3, mime: 'image/jpeg', event: { type: 'capture', time: 1, outcome: 'captured', trigger: 'schedule', monitor: 0, width: 1, height: 1, reason: '', commandId: null } }, blob, 'agent', signer);
    const d = decodeBinaryFrame(bf, { sender: 'agent', publicKey: kp.publicKey, verifier: tweetnaclVerifier, sha256Hex });
    expect(d.blob).toEqual(blob);
  });
});

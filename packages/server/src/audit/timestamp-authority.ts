/**
 * RFC 3161 time stamps for audit checkpoints: an outside authority signs
 * "these bytes existed at this time", so a checkpoint's time cannot be
 * backdated by whoever holds the server key. The request and the response
 * are DER built and read with PKI.js (asn1js), not by hand; the request
 * goes out as `application/timestamp-query` over HTTP(S) (RFC 3161 §3.4).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const SHA256_OID = '2.16.840.1.101.3.4.2.1';
// RFC 3161 PKIStatus: granted (0) and grantedWithMods (1) carry a token.
const GRANTED = new Set([0, 1]);

export interface TimestampAuthorityOptions {
  url: string;
  timeoutMs: number;
}

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** DER of a TimeStampReq over SHA-256(message), asking for the TSA's certificate in the answer. */
export function timestampRequest(message: Uint8Array, nonce: Uint8Array): Uint8Array {
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_OID }),
      hashedMessage: new asn1js.OctetString({ valueHex: createHash('sha256').update(message).digest() }),
    }),
    nonce: new asn1js.Integer({ valueHex: arrayBuffer(nonce) }),
    certReq: true,
  });
  return new Uint8Array(request.toSchema().toBER(false));
}

export interface TimestampInfo {
  /** The time the authority vouches for. */
  genTime: Date;
  /** The authority's own serial number of the stamp. */
  serial: string;
}

function tstInfo(response: pkijs.TimeStampResp): pkijs.TSTInfo {
  const signed = new pkijs.SignedData({ schema: response.timeStampToken!.content });
  const content = signed.encapContentInfo.eContent;
  if (!content) throw new Error('the time-stamp token holds no TSTInfo');
  return pkijs.TSTInfo.fromBER(content.getValue());
}

function parseResponse(der: Uint8Array): pkijs.TimeStampResp {
  const response = pkijs.TimeStampResp.fromBER(arrayBuffer(der));
  if (!GRANTED.has(response.status.status) || !response.timeStampToken) {
    throw new Error(`the time-stamp authority refused (PKIStatus ${response.status.status})`);
  }
  return response;
}

const hex = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes as ArrayBuffer).toString('hex');

/**
 * Reads a time-stamp response and checks that it is granted and covers
 * exactly `message` (the SHA-256 imprint) and, when given, our nonce.
 * The authority's signature is checked with verifyTimestamp().
 */
export function readTimestamp(der: Uint8Array, message: Uint8Array, nonce?: Uint8Array): TimestampInfo {
  const info = tstInfo(parseResponse(der));
  const expected = createHash('sha256').update(message).digest('hex');
  if (info.messageImprint.hashAlgorithm.algorithmId !== SHA256_OID) {
    throw new Error('the time stamp is not over a SHA-256 imprint');
  }
  if (hex(info.messageImprint.hashedMessage.getValue()) !== expected) {
    throw new Error('the time stamp is over other bytes than this checkpoint');
  }
  if (
    nonce &&
    (!info.nonce || BigInt(`0x${hex(info.nonce.valueBlock.valueHexView)}`) !== BigInt(`0x${hex(nonce)}`))
  ) {
    throw new Error('the time stamp answers another request (nonce)');
  }
  return { genTime: info.genTime, serial: hex(info.serialNumber.valueBlock.valueHexView) };
}

/**
 * Checks the authority's signature on the token and its certificate's
 * chain to one of `trustedCertsPem` (PEM, the authority's CA), and that it
 * covers `message`.
 */
export async function verifyTimestamp(
  der: Uint8Array,
  message: Uint8Array,
  trustedCertsPem: string,
): Promise<TimestampInfo> {
  const info = readTimestamp(der, message);
  const trustedCerts = [
    ...trustedCertsPem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g),
  ].map((match) =>
    pkijs.Certificate.fromBER(arrayBuffer(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'))),
  );
  if (trustedCerts.length === 0) throw new Error('no certificate to trust in the given PEM');
  const token = parseResponse(der).timeStampToken!;
  // checkChain: the signer's certificate must lead to a trusted one, not merely sign.
  const ok = await new pkijs.SignedData({ schema: token.content })
    .verify({
      signer: 0,
      trustedCerts,
      data: arrayBuffer(message),
      checkChain: true,
      checkDate: info.genTime,
    })
    .catch((error: unknown) => {
      throw new Error(`the time stamp's signature does not verify: ${(error as Error).message ?? error}`);
    });
  if (!ok) throw new Error("the time stamp's signature does not verify");
  return info;
}

/** Asks the authority to countersign; resolves with the DER TimeStampResp, already checked against `message`. */
export function timestampAuthority(options: TimestampAuthorityOptions): {
  countersign: (message: Uint8Array) => Promise<Uint8Array>;
} {
  return {
    async countersign(message) {
      const nonce = randomBytes(8);
      // A leading zero bit keeps the INTEGER positive, as RFC 3161 nonces are.
      nonce[0] = nonce[0]! & 0x7f;
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', 'user-agent': 'seatwatch-audit/1' },
        body: Buffer.from(timestampRequest(message, nonce)),
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const body = new Uint8Array(await response.arrayBuffer());
      if (response.status !== 200)
        throw new Error(`the time-stamp authority answered HTTP ${response.status}`);
      readTimestamp(body, message, nonce);
      return body;
    },
  };
}

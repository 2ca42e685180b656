/** Ed25519 (RFC 8032) behind two narrow ports, so each side picks its backend. */
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SECRET_KEY_BYTES = 64; // tweetnacl layout: seed (32) ++ public key (32)
export const ED25519_SIGNATURE_BYTES = 64;

export interface Ed25519Verifier {
  readonly name: string;
  /** Strict: false for any malformed key or signature, and for S ≥ L. Never throws. */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

export interface Ed25519Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const GROUP_ORDER_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

/**
 * RFC 8032 §5.1.7 requires S < L. tweetnacl skips this check and so accepts
 * a malleated signature (S + L); OpenSSL does not. Both our verifiers call
 * this first so that they agree on every input.
 */
export function hasCanonicalScalar(signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!;
    const l = GROUP_ORDER_LE[i]!;
    if (s < l) return true;
    if (s > l) return false;
  }
  return false; // S == L
}

/** Shape checks shared by every verifier backend. */
export function isWellFormedSignatureInput(signature: Uint8Array, publicKey: Uint8Array): boolean {
  return publicKey.length === ED25519_PUBLIC_KEY_BYTES && hasCanonicalScalar(signature);
}

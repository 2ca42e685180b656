/** Whether an enrollment token may be used now. */
export interface TokenState {
  revokedAt: number | null;
  expiresAt: number;
  uses: number;
  maxUses: number;
}

export type TokenDecision = { usable: true } | { usable: false; why: 'revoked' | 'expired' | 'used_up' };

export function decideToken(token: TokenState, now: number): TokenDecision {
  if (token.revokedAt !== null) return { usable: false, why: 'revoked' };
  if (token.expiresAt <= now) return { usable: false, why: 'expired' };
  if (token.uses >= token.maxUses) return { usable: false, why: 'used_up' };
  return { usable: true };
}

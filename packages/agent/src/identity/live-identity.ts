/**
 * The identity while the agent runs: the server replaces its policy and
 * notice (welcome, policy command) or revokes it, and each change is saved
 * to agent.json at once, so a restart starts from the latest.
 */
import type { Notice, Policy } from '@seatwatch/shared';
import { type Identity, saveIdentity } from './identity-store.js';

export interface LiveIdentity {
  readonly current: Identity;
  /** Stores a new policy and notice; the policy they replace, or null when nothing changed. */
  replacePolicy(policy: Policy, notice: Notice): Policy | null;
  /** Marks the agent revoked; false when it already was. */
  revoke(): boolean;
}

export function liveIdentity(stateDir: string, initial: Identity): LiveIdentity {
  let identity = initial;
  const save = (next: Identity) => {
    identity = next;
    saveIdentity(stateDir, identity);
  };
  return {
    get current() {
      return identity;
    },
    replacePolicy(policy, notice) {
      const changed =
        JSON.stringify(policy) !== JSON.stringify(identity.policy) ||
        notice.version !== identity.notice.version ||
        notice.text !== identity.notice.text;
      if (!changed) return null;
      const previous = identity.policy;
      save({ ...identity, policy, notice });
      return previous;
    },
    revoke() {
      if (identity.revoked) return false;
      save({ ...identity, revoked: true });
      return true;
    },
  };
}

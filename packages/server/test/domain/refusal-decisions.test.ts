/**
 * Which requests the audit trail records one by one and which refusals the
 * access records fold (issue #11): each refusal goes exactly one way, so
 * none is lost and none is counted twice.
 */
import { describe, expect, it } from 'vitest';
import { classifyRequest, isFoldedRefusal, type RequestFacts } from '../../src/audit/request-audit.js';

const facts = (method: string, route: string, status: number): RequestFacts => ({ method, route, status });

describe('refusals: one entry each, or folded', () => {
  it('folds refused changes, refused reads and refusals of any route', () => {
    for (const refused of [
      facts('POST', '/api/v1/admin/projects/:projectId/sites', 403),
      facts('DELETE', '/api/v1/admin/projects/:projectId/allowlist/:entryId', 401),
      facts('GET', '/api/v1/investigation/audit', 403),
      facts('GET', '/api/v1/seats/:seatId', 401),
      facts('POST', '/api/v1/investigation/timeline', 403),
      facts('GET', '/api/v1/self-view', 401),
    ]) {
      expect(classifyRequest(refused)).toBeNull();
      expect(isFoldedRefusal(refused)).toBe(true);
    }
  });

  it('keeps a failed sign-in as its own entry, and folds a throttled one', () => {
    const wrongPassword = facts('POST', '/api/v1/auth/login', 401);
    expect(classifyRequest(wrongPassword)).toEqual({
      kind: 'sign-in',
      action: 'auth.login',
      outcome: 'refused',
    });
    expect(isFoldedRefusal(wrongPassword)).toBe(false);
    const throttled = facts('POST', '/api/v1/auth/login', 429);
    expect(classifyRequest(throttled)).toBeNull();
    expect(isFoldedRefusal(throttled)).toBe(true);
    // A logout without a session says nothing about a person, but it is still a refusal.
    expect(isFoldedRefusal(facts('POST', '/api/v1/auth/logout', 401))).toBe(true);
  });

  it('folds nothing that is not a refusal', () => {
    for (const other of [
      facts('POST', '/api/v1/admin/projects/:projectId/sites', 201),
      facts('GET', '/api/v1/seats/:seatId', 404),
      facts('POST', '/api/v1/admin/projects/:projectId/sites', 400),
      facts('GET', '/api/v1/board', 500),
    ]) {
      expect(isFoldedRefusal(other)).toBe(false);
    }
    expect(classifyRequest(facts('POST', '/api/v1/admin/projects/:projectId/sites', 201))).toEqual({
      kind: 'change',
      action: 'admin.change',
      outcome: 'success',
    });
  });
});

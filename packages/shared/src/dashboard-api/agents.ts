/**
 * A project's agents as its administration lists them
 * (GET /api/v1/admin/projects/:projectId/agents): which seat each runs on and
 * which version it reported in its last hello, so a rollout or an upgrade can
 * be followed seat by seat (issue #14). Times are ISO 8601 strings here; the
 * host name, OS, account and version come from the seat and are untrusted.
 */
import Type, { type Static } from 'typebox';

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const ProjectAgent = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  seatId: Type.String(),
  /** active or revoked */
  status: Type.String(),
  hostname: Type.String(),
  os: Type.String(),
  osUser: Type.String(),
  agentVersion: Type.String(),
  enrolledAt: Type.String(),
  lastSeenAt: NullableString,
  connected: Type.Boolean(),
  revokedAt: NullableString,
});
export type ProjectAgent = Static<typeof ProjectAgent>;

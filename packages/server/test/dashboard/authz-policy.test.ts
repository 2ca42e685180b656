import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  type Action,
  can,
  canAnywhere,
  canManageGrants,
  type Grant,
  INSTALLATION,
  inScope,
  type Principal,
  ROLES,
  type Role,
  scopeOf,
  thumbnailBlurred,
} from '../../src/domain/authz-policy.js';

const user = (...grants: Grant[]): Principal => ({ kind: 'user', id: 'u', grants });
const grant = (role: Role, projectId: string | null, teamId: string | null = null): Grant => ({
  role,
  projectId,
  teamId,
});

const seatInA1 = { kind: 'team', projectId: 'A', teamId: 'A1' } as const;
const seatInA2 = { kind: 'team', projectId: 'A', teamId: 'A2' } as const;
const seatInANoTeam = { kind: 'team', projectId: 'A', teamId: null } as const;
const seatInB1 = { kind: 'team', projectId: 'B', teamId: 'B1' } as const;
const projectA = { kind: 'project', projectId: 'A' } as const;
const projectB = { kind: 'project', projectId: 'B' } as const;

describe('can: the role table of issue #6', () => {
  // Which actions each role holds inside its own project (team-scoped actions on a seat of that project).
  const expected: Record<Role, Action[]> = {
    administrator: [
      'project.manage',
      'project.read',
      'user.manage',
      'board.read',
      'seat.read',
      'seat.capture',
      'screenshot.thumbnail',
      'anomaly.read',
      'anomaly.update',
      'audit.read',
      'report.read',
    ],
    supervisor: [
      'board.read',
      'seat.read',
      'seat.capture',
      'screenshot.thumbnail',
      'anomaly.read',
      'anomaly.update',
      'report.read',
    ],
    investigator: [
      'seat.read',
      'screenshot.thumbnail',
      'screenshot.full',
      'timeline.read',
      'anomaly.read',
      'anomaly.update',
      'case.manage',
    ],
    auditor: ['audit.read'],
  };

  for (const role of ROLES) {
    it(`${role} holds exactly its actions in its own project`, () => {
      const principal = user(grant(role, 'A'));
      const held = (Object.keys(ACTIONS) as Action[]).filter((action) => {
        const scope = ACTIONS[action].scope;
        if (scope === 'installation') return can(principal, action, INSTALLATION);
        return can(principal, action, scope === 'project' ? projectA : seatInA1);
      });
      expect(held.sort()).toEqual([...expected[role]].sort());
    });

    it(`${role} of project A holds nothing in project B`, () => {
      const principal = user(grant(role, 'A'));
      for (const action of Object.keys(ACTIONS) as Action[]) {
        expect(can(principal, action, projectB)).toBe(false);
        expect(can(principal, action, seatInB1)).toBe(false);
        expect(can(principal, action, INSTALLATION)).toBe(false);
      }
    });
  }

  it('refuses everything without a principal or without grants', () => {
    for (const action of Object.keys(ACTIONS) as Action[]) {
      expect(can(null, action, seatInA1)).toBe(false);
      expect(can(user(), action, seatInA1)).toBe(false);
      expect(canAnywhere(null, action)).toBe(false);
    }
  });
});

describe('team scope', () => {
  const supervisorA1 = user(grant('supervisor', 'A', 'A1'));

  it('reaches seats of its team only', () => {
    expect(can(supervisorA1, 'board.read', seatInA1)).toBe(true);
    expect(can(supervisorA1, 'seat.capture', seatInA1)).toBe(true);
    expect(can(supervisorA1, 'seat.read', seatInA2)).toBe(false);
    expect(can(supervisorA1, 'seat.capture', seatInA2)).toBe(false);
  });

  it('does not reach seats without a team, nor project-wide decisions', () => {
    expect(can(supervisorA1, 'seat.read', seatInANoTeam)).toBe(false);
    expect(can(supervisorA1, 'board.read', projectA)).toBe(false);
  });

  it('a team id that exists in another project does not match there', () => {
    const sameTeamIdElsewhere = { kind: 'team', projectId: 'B', teamId: 'A1' } as const;
    expect(can(supervisorA1, 'seat.read', sameTeamIdElsewhere)).toBe(false);
  });

  it('a team-narrowed administrator grant cannot manage the project', () => {
    const teamAdmin = user(grant('administrator', 'A', 'A1'));
    expect(can(teamAdmin, 'seat.read', seatInA1)).toBe(true);
    expect(can(teamAdmin, 'project.manage', projectA)).toBe(false);
    expect(canAnywhere(teamAdmin, 'project.manage')).toBe(false);
    expect(canAnywhere(teamAdmin, 'seat.read')).toBe(true);
  });
});

describe('installation administrator', () => {
  const root = user(grant('administrator', null));

  it('manages the installation and every project', () => {
    expect(can(root, 'installation.manage', INSTALLATION)).toBe(true);
    expect(can(root, 'project.manage', projectB)).toBe(true);
    expect(can(root, 'seat.capture', seatInANoTeam)).toBe(true);
    expect(can(root, 'screenshot.full', seatInA1)).toBe(false);
  });

  it('a project administrator does not manage the installation', () => {
    expect(can(user(grant('administrator', 'A')), 'installation.manage', INSTALLATION)).toBe(false);
  });
});

describe('scopeOf and inScope', () => {
  it('collects projects and teams per action', () => {
    const principal = user(
      grant('supervisor', 'A', 'A1'),
      grant('supervisor', 'A', 'A2'),
      grant('administrator', 'B'),
      grant('auditor', 'C'),
    );
    const scope = scopeOf(principal, 'board.read');
    expect(scope.all).toBe(false);
    expect([...scope.projects.keys()].sort()).toEqual(['A', 'B']);
    expect(inScope(scope, 'A', 'A1')).toBe(true);
    expect(inScope(scope, 'A', 'A2')).toBe(true);
    expect(inScope(scope, 'A', null)).toBe(false);
    expect(inScope(scope, 'A', 'A3')).toBe(false);
    expect(inScope(scope, 'B', null)).toBe(true);
    expect(inScope(scope, 'C', 'C1')).toBe(false);
    expect(scopeOf(principal, 'audit.read').projects.has('C')).toBe(true);
  });

  it('agrees with can for every role, action and resource', () => {
    const principals = [
      user(grant('supervisor', 'A', 'A1')),
      user(grant('administrator', 'A')),
      user(grant('investigator', 'B', 'B1'), grant('auditor', 'A')),
      user(grant('administrator', null)),
    ];
    const seats = [seatInA1, seatInA2, seatInANoTeam, seatInB1];
    for (const principal of principals) {
      for (const action of Object.keys(ACTIONS) as Action[]) {
        if (ACTIONS[action].scope !== 'team') continue;
        const scope = scopeOf(principal, action);
        for (const seat of seats) {
          expect(inScope(scope, seat.projectId, seat.teamId)).toBe(can(principal, action, seat));
        }
      }
    }
  });

  it('installation-wide grants give the all scope', () => {
    expect(scopeOf(user(grant('administrator', null)), 'seat.read').all).toBe(true);
    expect(scopeOf(user(grant('administrator', null)), 'timeline.read').all).toBe(false);
  });
});

describe('canManageGrants', () => {
  const adminA = user(grant('administrator', 'A'));

  it('lets a project administrator manage accounts that live only in the project', () => {
    expect(canManageGrants(adminA, [grant('supervisor', 'A', 'A1'), grant('auditor', 'A')])).toBe(true);
    expect(canManageGrants(adminA, [])).toBe(true);
  });

  it('refuses accounts that also hold grants elsewhere or installation-wide', () => {
    expect(canManageGrants(adminA, [grant('supervisor', 'A'), grant('supervisor', 'B')])).toBe(false);
    expect(canManageGrants(adminA, [grant('administrator', null)])).toBe(false);
    expect(canManageGrants(user(grant('administrator', null)), [grant('administrator', null)])).toBe(true);
  });

  it('a supervisor manages nobody', () => {
    expect(canManageGrants(user(grant('supervisor', 'A')), [grant('supervisor', 'A', 'A1')])).toBe(false);
  });
});

describe('thumbnailBlurred', () => {
  it('blurs for supervisors unless the project shows thumbnails clear', () => {
    const supervisor = user(grant('supervisor', 'A', 'A1'));
    expect(thumbnailBlurred(supervisor, seatInA1, false)).toBe(true);
    expect(thumbnailBlurred(supervisor, seatInA1, true)).toBe(false);
  });

  it('shows clear thumbnails to administrators and investigators of the seat', () => {
    expect(thumbnailBlurred(user(grant('administrator', 'A')), seatInA1, false)).toBe(false);
    expect(thumbnailBlurred(user(grant('investigator', 'A', 'A1')), seatInA1, false)).toBe(false);
    // An investigator grant elsewhere does not unblur this seat.
    expect(
      thumbnailBlurred(user(grant('supervisor', 'A', 'A1'), grant('investigator', 'B')), seatInA1, false),
    ).toBe(true);
  });
});

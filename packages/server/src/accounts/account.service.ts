/**
 * Dashboard accounts, composed from their parts: the first administrator,
 * sign-in (password, then TOTP) and its throttles, sessions, setup links,
 * the administration of users, the dashboard allowlist and per-project
 * dashboard settings.
 * The app holds one AccountService; each route module asks for only the
 * parts it calls. Clock and randomness come in through deps and tokens.ts.
 */
import type { Db } from '../db/connect.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import {
  createDashboardAllowlistService,
  createDashboardNetworkCheck,
  type DashboardAllowlistService,
} from './dashboard-allowlist.service.js';
import {
  createFirstAdministratorService,
  type FirstAdministratorService,
} from './first-administrator.service.js';
import { createOwnPasswordService, type OwnPasswordService } from './own-password.service.js';
import { createProjectSettingsService, type ProjectSettingsService } from './project-settings.service.js';
import type { SecretBox } from './secret-box.js';
import { createSessionEndings, type SessionEndings } from './session-endings.js';
import { createSessionService, type SessionService } from './sessions.service.js';
import { createSetupLinkService, type SetupLinkService } from './setup-links.service.js';
import { createSignInService, type SignInService } from './sign-in.service.js';
import {
  createSignInThrottle,
  createSignInThrottleService,
  type SignInThrottleService,
} from './sign-in-throttles.service.js';
import {
  createUserAdministrationService,
  type UserAdministrationService,
} from './user-administration.service.js';

export type AccountService = FirstAdministratorService &
  SignInService &
  SignInThrottleService &
  SessionService &
  Pick<SessionEndings, 'onSessionsEnded'> &
  OwnPasswordService &
  SetupLinkService &
  UserAdministrationService &
  DashboardAllowlistService &
  ProjectSettingsService;

export function createAccountService(deps: {
  db: Db;
  now: () => number;
  secrets: SecretBox;
  /** Tells the other server processes when a user's sessions end, so their live streams end too. */
  notifications?: NotificationPort;
  onError?: (error: unknown) => void;
}): AccountService {
  const network = createDashboardNetworkCheck(deps);
  const throttle = createSignInThrottle(deps);
  const sessionEndings = createSessionEndings(deps);
  return {
    ...createFirstAdministratorService(deps),
    ...createSignInService({ ...deps, network, throttle }),
    ...createSignInThrottleService(deps),
    ...createSessionService({ ...deps, network, sessionEndings }),
    onSessionsEnded: sessionEndings.onSessionsEnded,
    ...createOwnPasswordService({ ...deps, throttle, sessionEndings }),
    ...createSetupLinkService({ ...deps, network, sessionEndings }),
    ...createUserAdministrationService({ ...deps, sessionEndings }),
    ...createDashboardAllowlistService({ ...deps, network }),
    ...createProjectSettingsService(deps),
  };
}

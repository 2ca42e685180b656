/**
 * Every rule, once: the engine dispatches each trigger to the rules listed
 * here (rule-dispatch.ts) and the settings catalog reads their schemas and
 * defaults from here. A new rule is its own file plus one line below.
 */
import { agentSilentRule } from './agent-silent.rule.js';
import { agentStoppedRule } from './agent-stopped.rule.js';
import type { RuleId } from './anomaly.js';
import { captureBlockedRule } from './capture-blocked.rule.js';
import { clockSkewRule } from './clock-skew.rule.js';
import { concurrentLoginRule } from './concurrent-login.rule.js';
import { ipChangedRule } from './ip-changed.rule.js';
import { ipNotAllowedRule } from './ip-not-allowed.rule.js';
import { longIdleRule } from './long-idle.rule.js';
import { offHoursRule } from './off-hours.rule.js';
import { prohibitedAppRule } from './prohibited-app.rule.js';
import { tamperRule } from './tamper.rule.js';
import { unknownDeviceRule } from './unknown-device.rule.js';
import { usbStorageRule } from './usb-storage.rule.js';

export const RULES = {
  agent_silent: agentSilentRule,
  agent_stopped: agentStoppedRule,
  capture_blocked: captureBlockedRule,
  clock_skew: clockSkewRule,
  concurrent_login: concurrentLoginRule,
  ip_changed: ipChangedRule,
  ip_not_allowed: ipNotAllowedRule,
  long_idle: longIdleRule,
  off_hours: offHoursRule,
  prohibited_app: prohibitedAppRule,
  tamper: tamperRule,
  unknown_device: unknownDeviceRule,
  usb_storage: usbStorageRule,
} as const satisfies Record<RuleId, unknown>;

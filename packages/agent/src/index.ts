/** What other packages (end-to-end tests, benchmarks) may use of the agent. */
export {
  type Agent,
  type AgentDeps,
  type AgentEventMap,
  type AgentEvents,
  createAgent,
  type StopReason,
} from './agent.js';
export { type CliDeps, runCli } from './cli.js';
export type { ActiveWindow, ActiveWindowPort } from './collectors/activity/active-window.port.js';
export type { CollectorProbes } from './collectors/collector-supervisor.js';
export type { DevicesPort } from './collectors/devices/devices.port.js';
export type { IdleTimePort } from './collectors/idle/idle-time.port.js';
export type { NetworkInfo, NetworkPort } from './collectors/network/network.port.js';
export { available, type Probe, unavailable } from './collectors/probe.js';
export type {
  ImageEncoderPort,
  MonitorFrame,
  ScreenCapturePort,
} from './collectors/screenshot/screen-capture.port.js';
export type { CaptureResult } from './collectors/screenshot/screenshot.collector.js';
export { probeCollectors } from './collectors/select-adapters.js';
export type { DeviceInfo } from './core/device-diff.js';
export type { IdleReading } from './core/idle-machine.js';
export { enroll } from './identity/enroll.js';
export { loadIdentity, StateError } from './identity/identity-store.js';
export { resolveStateDir } from './identity/state-dir.js';
export { requestSelfViewLink } from './notice/self-view-link.js';
export { startTransparencyPage, type TransparencyPage } from './notice/transparency-page.js';
export type { Clock } from './runtime/clock.js';
export { systemClock } from './runtime/clock.js';
export { jsonLineLogger, type Logger } from './runtime/logger.js';
export { type AgentStatus, readStatusFile } from './status/agent-status.js';
export { AGENT_VERSION } from './version.js';

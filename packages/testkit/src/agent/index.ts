/**
 * The agent's side of a test: a scripted collector the real agent talks to
 * (ProtocolPeer), and the real agent CLI as a child process.
 */
export { type AgentProcess, type LogLine, runAgentCommand, startAgentProcess } from './agent-process.js';
export { type EnrollSeat, enrollWithCli, enrollWithLibrary } from './enrollment.js';
export { confirmingNoticeChannel, confirmNoticesFromStdout } from './notice-confirmation.js';
export {
  type PeerConnection,
  type PeerEventMap,
  ProtocolPeer,
  type StoredFrame,
  TEST_NOTICE,
} from './protocol-peer.js';

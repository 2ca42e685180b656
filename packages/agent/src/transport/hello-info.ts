/** What the agent says about its seat in every hello. */
import os from 'node:os';
import { type AgentInfo, MAX_STRING_LENGTHS, sanitizeText } from '@seatwatch/shared';
import type { NetworkInfo } from '../collectors/network/network.port.js';

export interface SeatFacts {
  /** The network collector's latest reading, null before the first one. */
  readonly network: NetworkInfo | null;
  readonly osUser: string;
  readonly agentVersion: string;
  /** The notice version the operator was last shown, 0 for none. */
  readonly noticeVersion: number;
  readonly seat: string | null;
}

export function helloInfo(facts: SeatFacts): AgentInfo {
  const net = facts.network;
  // AgentInfo is open: the gateway, OS and seat name travel along with the required fields.
  const info: AgentInfo & { gateway: string | null; os: string; seat: string | null } = {
    hostname: net?.hostname ?? sanitizeText(os.hostname(), MAX_STRING_LENGTHS.hostname),
    osUser: sanitizeText(facts.osUser, MAX_STRING_LENGTHS.osUser),
    localIps: [...(net?.localIps ?? [])],
    agentVersion: facts.agentVersion,
    noticeVersion: facts.noticeVersion,
    gateway: net?.gateway ?? null,
    os: `${os.platform()} ${os.release()}`,
    seat: facts.seat,
  };
  return info;
}

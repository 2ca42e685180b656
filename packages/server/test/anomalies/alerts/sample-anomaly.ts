import type { Anomaly } from '@seatwatch/shared/dashboard-api';
import type { EvidenceRef } from '../../../src/domain/rules/anomaly.js';

const deviceEvidence: EvidenceRef = {
  kind: 'event',
  id: 42,
  seq: 7,
  at: Date.parse('2026-03-02T10:00:00Z'),
  name: 'SanDisk Ültra',
};

export function sampleAnomaly(overrides: Partial<Anomaly> = {}): Anomaly {
  return {
    id: 'a1b2',
    projectId: 'p1',
    siteId: null,
    teamId: 't1',
    seatId: 's1',
    seatName: 'Seat 1',
    agentId: 'ag1',
    rule: 'usb_storage',
    severity: 'high',
    operator: 'jdoe',
    key: 'usb:0781:5581:AB123',
    summary: 'Mass-storage device attached: SanDisk Ültra',
    code: 'usb_storage',
    params: { device: 'SanDisk Ültra' },
    firstAt: Date.parse('2026-03-02T10:00:00Z'),
    lastAt: Date.parse('2026-03-02T10:00:00Z'),
    count: 1,
    status: 'open',
    statusBy: null,
    statusAt: null,
    comment: null,
    evidence: [deviceEvidence],
    ...overrides,
  };
}

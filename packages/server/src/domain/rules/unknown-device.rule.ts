/** unknown_device: a device that is not on the project's approved-device list was attached. */
import Type from 'typebox';
import { type AnomalyCandidate, eventRef, type ObservedEvent } from './anomaly.js';
import { DeviceMatcher, deviceDetails, deviceKey, deviceMatches } from './device-match.js';
import { defineRule, found } from './rule-definition.js';

export const unknownDeviceRule = defineRule({
  id: 'unknown_device',
  severity: 'medium',
  enabled: true,
  summary: "A device not on the project's approved-device list was attached",
  config: Type.Object(
    {
      approved: Type.Array(DeviceMatcher, { maxItems: 2000, description: 'The approved-device list' }),
      ignoreClasses: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        maxItems: 50,
        description: 'Device classes never reported (case-insensitive), e.g. hub',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { approved: [], ignoreClasses: ['hub'] },
  on: { event: (facts, config) => found(detectUnknownDevice(facts.observed, config)) },
});

export function detectUnknownDevice(
  observed: ObservedEvent,
  config: { readonly approved: readonly DeviceMatcher[]; readonly ignoreClasses: readonly string[] },
): AnomalyCandidate | null {
  const { event } = observed;
  if (event.type !== 'device_attached') return null;
  const deviceClass = event.device.deviceClass?.toLowerCase() ?? null;
  if (deviceClass !== null && config.ignoreClasses.some((c) => c.toLowerCase() === deviceClass)) return null;
  if (config.approved.some((m) => deviceMatches(m, event.device))) return null;
  return {
    rule: 'unknown_device',
    key: deviceKey(event.device),
    at: event.time,
    evidence: [eventRef(observed, deviceDetails(event.device))],
  };
}

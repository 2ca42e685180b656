/** usb_storage: a mass-storage device was attached (unless the project exempts that device). */
import Type from 'typebox';
import { type AnomalyCandidate, eventRef, type ObservedEvent } from './anomaly.js';
import { DeviceMatcher, deviceDetails, deviceKey, deviceMatches } from './device-match.js';
import { defineRule, found } from './rule-definition.js';

export const usbStorageRule = defineRule({
  id: 'usb_storage',
  severity: 'high',
  enabled: true,
  summary: 'A mass-storage device was attached',
  config: Type.Object(
    {
      exempt: Type.Array(DeviceMatcher, {
        maxItems: 500,
        description: 'Storage devices that may be attached (e.g. issued encrypted sticks)',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { exempt: [] },
  on: { event: (facts, config) => found(detectUsbStorage(facts.observed, config)) },
});

export function detectUsbStorage(
  observed: ObservedEvent,
  config: { readonly exempt: readonly DeviceMatcher[] },
): AnomalyCandidate | null {
  const { event } = observed;
  if (event.type !== 'device_attached' || !event.device.massStorage) return null;
  if (config.exempt.some((m) => deviceMatches(m, event.device))) return null;
  return {
    rule: 'usb_storage',
    key: deviceKey(event.device),
    at: event.time,
    evidence: [eventRef(observed, deviceDetails(event.device))],
  };
}

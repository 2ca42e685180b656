/** Keeps docs/protocol.md honest: every example validates, every schema is documented. */
import { readFileSync } from 'node:fs';
import {
  EVENT_SCHEMAS,
  eventValidators,
  PAYLOAD_SCHEMAS,
  validateEnrollRequest,
  validatePayload,
} from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```json (\w+):(\w+)\n([\s\S]*?)```/g)].map((m) => ({
  kind: m[1]!,
  name: m[2]!,
  value: JSON.parse(m[3]!) as unknown,
}));

describe('docs/protocol.md', () => {
  it('has an example for every event body, each valid against its schema', () => {
    for (const type of Object.keys(EVENT_SCHEMAS) as (keyof typeof EVENT_SCHEMAS)[]) {
      const example = examples.find((e) => e.kind === 'event' && e.name === type);
      expect(example, `example for event ${type}`).toBeDefined();
      const validate = eventValidators[type];
      expect(validate(example!.value), `${type}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('has an example for every payload, each valid for its sender', () => {
    const senders: Record<string, 'agent' | 'server'> = {
      challenge: 'server',
      hello: 'agent',
      welcome: 'server',
      batch: 'agent',
      blob: 'agent',
      ack: 'server',
      command: 'server',
      error: 'server',
    };
    for (const type of Object.keys(PAYLOAD_SCHEMAS)) {
      const example = examples.find((e) => e.kind === 'payload' && e.name === type);
      expect(example, `example for payload ${type}`).toBeDefined();
      expect(() =>
        validatePayload(example!.value, senders[type]!, type === 'blob' ? 'binary' : 'text'),
      ).not.toThrow();
    }
  });

  it('documents every field of every event body', () => {
    for (const [type, schema] of Object.entries(EVENT_SCHEMAS)) {
      const section = doc.split(/^### /m).find((s) => s.split('\n')[0]!.includes(`\`${type}\``));
      expect(section, `section for ${type}`).toBeDefined();
      for (const field of Object.keys(schema.properties)) {
        if (field === 'type' || field === 'time') continue;
        expect(section, `${type}.${field}`).toContain(`\`${field === 'device' ? 'device.id' : field}\``);
      }
    }
  });

  it('has a valid enrollment request example', () => {
    const example = examples.find((e) => e.kind === 'enroll');
    expect(validateEnrollRequest(example!.value)).toBe(true);
  });
});

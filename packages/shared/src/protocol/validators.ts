/**
 * Compiled validators. Ajv because Fastify validates with Ajv too: the same
 * JSON Schema serves the wire, the HTTP routes and the OpenAPI document, and
 * clients in other languages can validate against the very same schemas.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { SeatwatchError } from '../errors.js';
import { EnrollRequest } from './enrollment.js';
import { EVENT_SCHEMAS } from './events.js';
import { PAYLOAD_SCHEMAS, type Payload, type PayloadType, PolicyCommandArgs } from './payloads.js';
import { Notice, Policy } from './policy.js';

const ajv = new Ajv({ strict: true, allErrors: false, useDefaults: false, coerceTypes: false });

const payloadValidators = Object.fromEntries(
  Object.entries(PAYLOAD_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]),
) as Record<PayloadType, ValidateFunction>;

export const eventValidators = Object.fromEntries(
  Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]),
) as Record<keyof typeof EVENT_SCHEMAS, ValidateFunction>;

export const validatePolicy = ajv.compile(Policy);
export const validateNotice = ajv.compile(Notice);
export const validatePolicyCommandArgs = ajv.compile(PolicyCommandArgs);
export const validateEnrollRequest = ajv.compile(EnrollRequest);

export type Sender = 'agent' | 'server';

/** Which payload types each side may send, and in which kind of frame. */
const ALLOWED: Record<Sender, { text: ReadonlySet<string>; binary: ReadonlySet<string> }> = {
  agent: { text: new Set(['hello', 'batch', 'error']), binary: new Set(['blob']) },
  server: { text: new Set(['challenge', 'welcome', 'ack', 'command', 'error']), binary: new Set() },
};

export function describeErrors(validate: ValidateFunction): string {
  const first = validate.errors?.[0];
  if (!first) return 'schema mismatch';
  return `${first.instancePath || '/'} ${first.message ?? 'is invalid'}`;
}

/** Parses an untrusted value into a typed payload, or throws `payload_invalid`. */
export function validatePayload(value: unknown, sender: Sender, frame: 'text' | 'binary'): Payload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SeatwatchError('payload_invalid', 'payload is not a JSON object');
  }
  const { t, v } = value as { t?: unknown; v?: unknown };
  if (typeof t !== 'string') throw new SeatwatchError('payload_invalid', 'missing string field t');
  if (v !== 1) throw new SeatwatchError('payload_invalid', 'field v must be 1');
  if (!ALLOWED[sender][frame].has(t)) {
    throw new SeatwatchError(
      'payload_invalid',
      `a ${sender} does not send "${t.slice(0, 32)}" in a ${frame} frame`,
    );
  }
  const validate = payloadValidators[t as PayloadType];
  if (!validate(value)) throw new SeatwatchError('payload_invalid', `${t}: ${describeErrors(validate)}`);
  return value as Payload;
}

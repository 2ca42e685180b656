/** prohibited_app: the foreground app or window title matches an entry of the project's deny list. */
import Type, { type Static } from 'typebox';
import { type AnomalyCandidate, boundedKey, eventRef, type ObservedEvent } from './anomaly.js';
import { defineRule, found } from './rule-definition.js';

export const DenyEntry = Type.Object(
  {
    pattern: Type.String({ minLength: 1, maxLength: 256 }),
    field: Type.Union([Type.Literal('app'), Type.Literal('title'), Type.Literal('any')], {
      description: 'What the pattern is compared with',
    }),
    match: Type.Union([Type.Literal('contains'), Type.Literal('exact')], {
      description: 'Case-insensitive part of, or the whole value',
    }),
    label: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type DenyEntry = Static<typeof DenyEntry>;

export const prohibitedAppRule = defineRule({
  id: 'prohibited_app',
  severity: 'medium',
  enabled: true,
  summary: "The foreground app or window title matches the project's deny list",
  config: Type.Object(
    { denyList: Type.Array(DenyEntry, { maxItems: 500 }) },
    { additionalProperties: false },
  ),
  defaults: { denyList: [] },
  on: { event: (facts, config) => found(detectProhibitedApp(facts.observed, config)) },
});

/** `text` is already lower case: each span is lowered once, not once per entry. */
function matches(entry: DenyEntry, text: string): boolean {
  const pattern = entry.pattern.toLowerCase();
  return entry.match === 'exact' ? text === pattern : text.includes(pattern);
}

/** The first deny-list entry the span matches, keyed by the entry so each prohibited app is its own anomaly. */
export function detectProhibitedApp(
  observed: ObservedEvent,
  config: { readonly denyList: readonly DenyEntry[] },
): AnomalyCandidate | null {
  const { event } = observed;
  if (event.type !== 'activity') return null;
  if (config.denyList.length === 0) return null;
  const app = event.app.toLowerCase();
  const title = event.title.toLowerCase();
  for (const entry of config.denyList) {
    const hit =
      (entry.field !== 'title' && matches(entry, app)) || (entry.field !== 'app' && matches(entry, title));
    if (!hit) continue;
    return {
      rule: 'prohibited_app',
      key: boundedKey(`${entry.field}:${entry.match}:${entry.pattern.toLowerCase()}`),
      at: event.time,
      evidence: [
        eventRef(observed, {
          app: event.app,
          title: event.title,
          end: event.end,
          pattern: entry.pattern,
          ...(entry.label === undefined ? {} : { label: entry.label }),
        }),
      ],
    };
  }
  return null;
}

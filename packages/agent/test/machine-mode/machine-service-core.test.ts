/** The machine service's pure parts (issue #14): what it takes from a session, the account markers, its configuration. */
import type { CaptureEvent, Event } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import type { EncodedImage } from '../../src/collectors/screenshot/screen-capture.port.js';
import { createAccountStream } from '../../src/machine-service/account-stream.js';
import { parseMachineConfig } from '../../src/machine-service/machine-config.js';
import {
  MACHINE_LEVEL,
  mayTakeBlob,
  NOT_CONFIRMED,
  takeSessionEvents,
} from '../../src/machine-service/session-intake.js';
import { parseLoginctlUsers, parsePasswdLine } from '../../src/machine-service/session-users.js';
import type { EventBatcher } from '../../src/outbox/event-batcher.js';

const activity: Event = { type: 'activity', time: 1, end: 2, app: 'crm', title: 'Case 7' };
const ack = (noticeVersion: number, osUser: string): Event => ({
  type: 'notice_ack',
  time: 3,
  noticeVersion,
  osUser,
  shownVia: ['page'],
});

describe('takeSessionEvents', () => {
  it('takes nothing but the confirmation before the operator confirmed the notice in force', () => {
    const intake = takeSessionEvents('ada', [activity, ack(1, 'ada')], 0, 2);
    expect(intake.accepted).toEqual([ack(1, 'ada')]);
    expect(intake.ackedVersion).toBe(0);
    expect(intake.refused).toEqual({ count: 1, reason: NOT_CONFIRMED });
  });

  it('stamps the confirmation with the socket account, whatever name the session claims, and takes what follows', () => {
    const intake = takeSessionEvents('ada', [ack(2, 'root'), activity], 0, 2);
    expect(intake.accepted).toEqual([ack(2, 'ada'), activity]);
    expect(intake.ackedVersion).toBe(2);
    expect(intake.refused).toBeNull();
  });

  it('refuses machine-level events from a session: a network event would move the account of what follows', () => {
    const network: Event = {
      type: 'network',
      time: 1,
      hostname: 'h',
      osUser: 'bob',
      localIps: [],
      gateway: null,
    };
    const lifecycle: Event = {
      type: 'lifecycle',
      time: 1,
      phase: 'starting',
      reason: 'start',
      detail: '',
      agentVersion: '1',
    };
    const intake = takeSessionEvents('ada', [network, lifecycle, activity], 2, 2);
    expect(intake.accepted).toEqual([activity]);
    expect(intake.refused).toEqual({ count: 2, reason: MACHINE_LEVEL });
  });

  it("takes the gate's report that the notice cannot be shown before any confirmation, and no other error", () => {
    const problem: Event = {
      type: 'agent_error',
      time: 1,
      collector: 'notice',
      message: 'no dialog program',
    };
    const other: Event = { type: 'agent_error', time: 1, collector: 'screenshot', message: 'failed' };
    const intake = takeSessionEvents('ada', [problem, other], 0, 2);
    expect(intake.accepted).toEqual([problem]);
    expect(intake.refused).toEqual({ count: 1, reason: NOT_CONFIRMED });
  });

  it('takes a screenshot only on the same terms', () => {
    expect(mayTakeBlob(1, 2)).toBe(false);
    expect(mayTakeBlob(2, 2)).toBe(true);
  });
});

describe('createAccountStream', () => {
  function recording() {
    const items: Array<{ kind: 'event'; event: Event } | { kind: 'blob'; event: CaptureEvent }> = [];
    const batcher: EventBatcher = {
      queue: (event) => {
        items.push({ kind: 'event', event });
      },
      flush: () => null,
      appendBlob: (_image, event) => {
        items.push({ kind: 'blob', event });
        return items.length;
      },
    };
    return { items, batcher };
  }
  const named = (items: ReturnType<typeof recording>['items']) =>
    items.map((i) => (i.event.type === 'network' ? `@${i.event.osUser}` : i.event.type));

  it('names the account before the first event of each run of events of one account', () => {
    const { items, batcher } = recording();
    const stream = createAccountStream({
      batcher,
      machineAccount: 'root',
      now: () => 9,
      fallbackNetwork: () => ({ hostname: 'seat-7', localIps: [], gateway: null }),
    });
    stream.machine.queue({
      type: 'lifecycle',
      time: 1,
      phase: 'starting',
      reason: 'start',
      detail: '',
      agentVersion: '1',
    });
    stream.machine.queue({
      type: 'network',
      time: 2,
      hostname: 'seat-7',
      osUser: 'root',
      localIps: ['10.0.0.7'],
      gateway: '10.0.0.1',
    });
    stream.queueAs('ada', activity);
    stream.queueAs('ada', activity);
    stream.queueAs('bob', activity);
    const image: EncodedImage = { bytes: new Uint8Array([1]), mime: 'image/jpeg', width: 1, height: 1 };
    const capture: CaptureEvent = {
      type: 'capture',
      time: 4,
      outcome: 'captured',
      trigger: 'schedule',
      monitor: 0,
      width: 1,
      height: 1,
      reason: '',
      commandId: null,
    };
    stream.appendBlobAs('ada', image, capture);
    stream.machine.queue(activity);
    expect(named(items)).toEqual([
      '@root',
      'lifecycle',
      // The network collector's own event names the account it reports: no marker of ours before it.
      '@root',
      '@ada',
      'activity',
      'activity',
      '@bob',
      'activity',
      '@ada',
      'capture',
      '@root',
      'activity',
    ]);
    // A marker carries the machine's latest network identity, with the account it names.
    expect(items[3]!.event).toEqual({
      type: 'network',
      time: 9,
      hostname: 'seat-7',
      osUser: 'ada',
      localIps: ['10.0.0.7'],
      gateway: '10.0.0.1',
    });
    expect(items[0]!.event).toMatchObject({ hostname: 'seat-7', localIps: [], gateway: null });
  });
});

describe('parseMachineConfig', () => {
  it('reads key = value lines with comments', () => {
    const parsed = parseMachineConfig(
      '# written by the deployment tool\nserver = https://c.example\ntoken = abc  # once\ninsecure = false\nsessionUsers = ada, bob\n',
      'agent.conf',
    );
    expect(parsed).toEqual({
      ok: true,
      config: { server: 'https://c.example', token: 'abc', insecure: false, sessionUsers: ['ada', 'bob'] },
    });
  });

  it('names every problem with its line', () => {
    expect(parseMachineConfig('servr = x\ntoken\ninsecure = yes\nseat =\n', 'f')).toEqual({
      ok: false,
      problems: [
        'f:1: unknown setting "servr"',
        'f:2: expected "key = value"',
        'f:3: insecure must be true or false',
        'f:4: "seat" has no value',
      ],
    });
  });
});

describe('session users', () => {
  it('reads getent and loginctl output', () => {
    expect(parsePasswdLine('ada:x:1001:1001:Ada:/home/ada:/bin/bash\n')).toEqual({
      name: 'ada',
      uid: 1001,
      gid: 1001,
    });
    expect(parsePasswdLine('broken')).toBeNull();
    expect(parseLoginctlUsers(' 1001 ada no active\n 1002 bob  no online\n')).toEqual(['ada', 'bob']);
  });
});

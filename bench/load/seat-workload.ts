/**
 * What a simulated seat reports: realistic event batches (foreground
 * activity of a contact-center operator, presence changes, now and then a
 * USB device or a network change) and jittered send times. Pure and
 * seeded, so a run can be repeated with the same traffic.
 */
import type { Event } from '@seatwatch/shared';

/** mulberry32: small, fast, good enough to pick titles and jitter. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `intervalMs` scaled by a uniform factor in [1 - jitter, 1 + jitter]. */
export function jittered(intervalMs: number, jitter: number, random: () => number): number {
  return Math.max(1, Math.round(intervalMs * (1 + jitter * (2 * random() - 1))));
}

const APPS: ReadonlyArray<{ app: string; titles: readonly string[] }> = [
  {
    app: 'chrome.exe',
    titles: [
      'Ticket #{n} – Refund request for order {m} – Zendesk – Google Chrome',
      'Customer 360 · {name} · Salesforce – Google Chrome',
      'Knowledge base: How to reset a router (article {m}) – Google Chrome',
      'Order {m} – Shipment tracking – Back office – Google Chrome',
    ],
  },
  {
    app: 'softphone.exe',
    titles: [
      'In call with +33 6 12 {n2} {n3} – 00:0{s} – Softphone',
      'Softphone – Ready',
      'Wrap-up – Softphone',
    ],
  },
  {
    app: 'OUTLOOK.EXE',
    titles: ['Inbox – support@contoso.example – Outlook', 'RE: Case {n} follow-up – Message (HTML)'],
  },
  { app: 'Teams.exe', titles: ['Chat | Team leads | Microsoft Teams', '{name} | Microsoft Teams'] },
  { app: 'crm.exe', titles: ['CRM – Case {n} – {name}', 'CRM – Search results for "{name}"'] },
];
/** A network change every 30 minutes and a USB device plugged in (and out half an hour later) every hour, at 5 s a batch. */
const NETWORK_EVERY_BATCHES = 360;
const DEVICE_EVERY_BATCHES = 720;
/**
 * Presence, as the real agent reports it: a status event only when the state
 * changes (packages/agent/src/core/idle-machine.ts). An operator here goes
 * idle about every 15 minutes (wrap-up, a short break) and comes back 3 to 6
 * minutes later; in batches of 5 s.
 */
const ACTIVE_BATCHES = { min: 120, max: 240 };
const IDLE_BATCHES = { min: 36, max: 72 };
/** The policy's idle threshold: an idle status dates from the last input, this long before. */
const IDLE_THRESHOLD_MS = 180_000;
const NAMES = ['Amélie Durand', 'Wei Zhang', 'John Smith', 'Fatima Benali', 'Lukas Müller', 'Priya Nair'];

export interface SeatIdentity {
  hostname: string;
  osUser: string;
  localIp: string;
}

/**
 * One seat's activity over time. Each call to nextBatch covers the time
 * since the previous call: mostly short foreground spans (an operator
 * switching between the CRM, the softphone and the browser), a growing
 * span reported again with a later end, a presence change every few
 * minutes, and rarely a
 * network change or a USB device (an hour apart per seat, at a different
 * moment for each seat), as a real agent's batches look.
 */
export class SeatWorkload {
  readonly #random: () => number;
  #lastTime: number;
  #batches = 0;
  #state: 'active' | 'idle' = 'active';
  /** Batches left before the presence changes. */
  #stateLeft: number;
  #lastSpan: Extract<Event, { type: 'activity' }> | null = null;
  /** Where this seat is in the cycles of rare events, so seats do not all plug a device at once. */
  readonly #phase: number;

  constructor(
    seed: number,
    readonly identity: SeatIdentity,
    startTime: number,
  ) {
    this.#random = seededRandom(seed);
    this.#lastTime = startTime;
    this.#phase = Math.floor(this.#random() * DEVICE_EVERY_BATCHES);
    // Seats start at a random point of their first active stretch, so they do not all go idle together.
    this.#stateLeft = 1 + Math.floor(this.#random() * ACTIVE_BATCHES.max);
  }

  get random(): () => number {
    return this.#random;
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)]!;
  }

  #title(template: string): string {
    const digits = (count: number) => String(Math.floor(this.#random() * 10 ** count)).padStart(count, '0');
    return template
      .replace('{n}', digits(6))
      .replace('{m}', digits(8))
      .replace('{n2}', digits(2))
      .replace('{n3}', digits(2))
      .replace('{s}', String(Math.floor(this.#random() * 10)))
      .replace('{name}', this.#pick(NAMES));
  }

  #between(range: { min: number; max: number }): number {
    return range.min + Math.floor(this.#random() * (range.max - range.min + 1));
  }

  /** `count` events with times in (previous batch, now], strictly increasing. */
  nextBatch(now: number, count: number): Event[] {
    this.#batches++;
    this.#stateLeft--;
    const start = Math.min(this.#lastTime, now - count);
    const step = Math.max(1, Math.floor((now - start) / count));
    const events: Event[] = [];
    for (let i = 0; i < count; i++) {
      const time = start + (i + 1) * step;
      events.push(this.#event(i, count, time, step));
    }
    this.#lastTime = now;
    return events;
  }

  #event(i: number, count: number, time: number, step: number): Event {
    // The first slot carries a presence change when one is due; the last one the rare kinds; the rest is activity.
    if (i === 0 && this.#stateLeft <= 0) {
      this.#state = this.#state === 'active' ? 'idle' : 'active';
      this.#stateLeft = this.#between(this.#state === 'active' ? ACTIVE_BATCHES : IDLE_BATCHES);
      return {
        type: 'status',
        time,
        state: this.#state,
        idleMs: this.#state === 'idle' ? IDLE_THRESHOLD_MS : 0,
      };
    }
    if (i === count - 1) {
      const cycle = this.#batches + this.#phase;
      if (cycle % NETWORK_EVERY_BATCHES === NETWORK_EVERY_BATCHES / 4) return this.#network(time);
      if (cycle % DEVICE_EVERY_BATCHES === 0) return this.#device(time, false);
      if (cycle % DEVICE_EVERY_BATCHES === DEVICE_EVERY_BATCHES / 2) return this.#device(time, true);
      if (this.#lastSpan) {
        // The current window is still in the foreground: the same span, reported with a later end.
        return { ...this.#lastSpan, end: time };
      }
    }
    const { app, titles } = this.#pick(APPS);
    const span = {
      type: 'activity' as const,
      time,
      end: time + Math.max(1, step - 1),
      app,
      title: this.#title(this.#pick(titles)),
    };
    this.#lastSpan = span;
    return span;
  }

  #network(time: number): Event {
    return {
      type: 'network',
      time,
      hostname: this.identity.hostname,
      osUser: this.identity.osUser,
      localIps: [this.identity.localIp, 'fe80::1c2b:3aff:fe4d:5e6f'],
      gateway: '10.20.0.1',
    };
  }

  #device(time: number, detached: boolean): Event {
    return {
      type: detached ? 'device_detached' : 'device_attached',
      time,
      device: {
        id: 'usb-0000:00:14.0-2',
        vendorId: '046d',
        productId: 'c52b',
        name: 'USB Receiver',
        manufacturer: 'Logitech',
        serial: null,
        deviceClass: 'hid',
        massStorage: false,
      },
    };
  }
}

/** A seat's identity from its index in the run. */
export function seatIdentity(index: number): SeatIdentity {
  return {
    hostname: `CC-PAR-${String(index + 1).padStart(5, '0')}`,
    osUser: `operator${index + 1}`,
    localIp: `10.20.${Math.floor(index / 250) % 256}.${(index % 250) + 2}`,
  };
}

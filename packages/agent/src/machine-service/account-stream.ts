/**
 * One outbox for every session of the machine, with each event's OS account
 * told the only way protocol v1 allows (its event objects are closed): a
 * `network` event names the account of everything after it in the agent's
 * sequence, and the collector stamps the rows that follow with it
 * (docs/protocol.md, "The OS account of an event"). So before events of
 * another account than the last named one (a session's, or the machine's
 * own: devices, lifecycle, its network changes), a network event with that
 * account goes into the same queue first. The batcher keeps queue order and
 * puts a screenshot behind what was queued before it, so the marker always
 * lands at a lower seq than the events it names.
 */
import type { CaptureEvent, Event, NetworkEvent } from '@seatwatch/shared';
import type { EncodedImage } from '../collectors/screenshot/screen-capture.port.js';
import type { EventBatcher } from '../outbox/event-batcher.js';

export interface AccountStream {
  /** What the agent's own parts queue through: the machine's account. */
  readonly machine: EventBatcher;
  queueAs(account: string, event: Event, urgent?: boolean): void;
  appendBlobAs(account: string, image: EncodedImage, event: CaptureEvent): number | null;
}

export interface AccountStreamOptions {
  readonly batcher: EventBatcher;
  /** The account the service runs as. */
  readonly machineAccount: string;
  readonly now: () => number;
  /** Hostname and addresses for a marker before the network collector has reported any. */
  readonly fallbackNetwork: () => Omit<NetworkEvent, 'type' | 'time' | 'osUser'>;
}

export function createAccountStream(options: AccountStreamOptions): AccountStream {
  const { batcher, machineAccount } = options;
  /** The account the last queued network event named; null until one is queued (the server's may differ). */
  let named: string | null = null;
  let lastNetwork: Omit<NetworkEvent, 'type' | 'time' | 'osUser'> | null = null;

  function nameAccount(account: string, urgent: boolean): void {
    if (named === account) return;
    const { hostname, localIps, gateway } = lastNetwork ?? options.fallbackNetwork();
    batcher.queue(
      { type: 'network', time: options.now(), hostname, osUser: account, localIps: [...localIps], gateway },
      urgent,
    );
    named = account;
  }

  function queueAs(account: string, event: Event, urgent = false): void {
    if (event.type === 'network') {
      // The machine's own network collector: it names the account it reports.
      lastNetwork = { hostname: event.hostname, localIps: event.localIps, gateway: event.gateway };
      named = event.osUser;
    } else {
      nameAccount(account, urgent);
    }
    batcher.queue(event, urgent);
  }

  return {
    machine: {
      queue: (event, urgent) => queueAs(machineAccount, event, urgent),
      flush: () => batcher.flush(),
      appendBlob: (image, event) => {
        nameAccount(machineAccount, false);
        return batcher.appendBlob(image, event);
      },
    },
    queueAs,
    appendBlobAs(account, image, event) {
      nameAccount(account, false);
      return batcher.appendBlob(image, event);
    },
  };
}

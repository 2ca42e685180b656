import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatSyslogMessage,
  octetCountingFrame,
  syslogRecord,
} from '../../../src/anomalies/syslog/syslog-message.js';
import { createTcpSyslogSender } from '../../../src/anomalies/syslog/syslog-sender.tcp.js';
import { createUdpSyslogSender } from '../../../src/anomalies/syslog/syslog-sender.udp.js';
import { sampleAnomaly } from './sample-anomaly.js';

const header = {
  facility: 16,
  severity: 'high' as const,
  timestamp: Date.parse('2026-03-02T10:00:00.123Z'),
  hostname: 'collector-1',
  appName: 'seatwatch',
  procId: '4242',
  msgId: 'anomaly.opened',
};

/** RFC 5424 §6 header, then "-" (no structured data) and the message. */
const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) - (.*)$/s;

describe('RFC 5424 message', () => {
  it('has PRI from facility and severity, an ISO timestamp and a JSON message in pure ASCII', () => {
    const message = formatSyslogMessage(header, syslogRecord('anomaly.opened', sampleAnomaly()));
    const m = RFC5424.exec(message);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(16 * 8 + 3);
    expect(m![2]).toBe('2026-03-02T10:00:00.123Z');
    expect(m!.slice(3, 7)).toEqual(['collector-1', 'seatwatch', '4242', 'anomaly.opened']);
    expect(/^[\x20-\x7e]*$/.test(message)).toBe(true);
    const json = JSON.parse(m![7]!);
    expect(json).toMatchObject({ type: 'anomaly.opened', id: 'a1b2', rule: 'usb_storage', evidenceCount: 1 });
    expect(json.summary).toBe('Mass-storage device attached: SanDisk Ültra');
    expect(json.evidence).toBeUndefined();
  });

  it('maps severities onto syslog levels and fills empty or unsafe header fields', () => {
    const pri = (severity: typeof header.severity | 'critical' | 'low') =>
      Number(RFC5424.exec(formatSyslogMessage({ ...header, severity }, {}))![1]);
    expect(pri('critical') % 8).toBe(2);
    expect(pri('low') % 8).toBe(6);
    const odd = formatSyslogMessage({ ...header, hostname: 'bad host\n', procId: '' }, {});
    expect(odd).toContain(' badhost seatwatch - anomaly.opened - {}');
    expect(() => formatSyslogMessage({ ...header, facility: 24 }, {})).toThrow(RangeError);
  });

  it('frames by octet count for TCP', () => {
    // Octets, not characters: "é" is two bytes in UTF-8.
    expect(octetCountingFrame('<1>1 é')).toBe('7 <1>1 é');
  });
});

describe('syslog senders', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('delivers a message as one UDP datagram', async () => {
    const receiver = createSocket('udp4');
    receiver.bind(0, '127.0.0.1');
    await once(receiver, 'listening');
    cleanups.push(() => new Promise((r) => receiver.close(() => r())));
    const sender = createUdpSyslogSender({ host: '127.0.0.1', port: receiver.address().port });
    cleanups.push(() => sender.close());

    const message = formatSyslogMessage(header, syslogRecord('anomaly.opened', sampleAnomaly()));
    const received = once(receiver, 'message');
    await sender.send(message);
    const [datagram] = (await received) as [Buffer];
    expect(datagram.toString('utf8')).toBe(message);
  });

  it('delivers octet-counted messages over one TCP connection and reconnects after it drops', async () => {
    const frames: string[] = [];
    const sockets: Socket[] = [];
    let arrived: () => void = () => undefined;
    const server = createServer((socket) => {
      sockets.push(socket);
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        for (let m = /^(\d+) /.exec(buffer); m; m = /^(\d+) /.exec(buffer)) {
          const length = Number(m[1]);
          const start = m[0].length;
          if (Buffer.byteLength(buffer.slice(start)) < length) break;
          frames.push(buffer.slice(start, start + length));
          buffer = buffer.slice(start + length);
          arrived();
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(
      () =>
        new Promise((r) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => r());
        }),
    );
    const port = (server.address() as { port: number }).port;
    const sender = createTcpSyslogSender({ host: '127.0.0.1', port });
    cleanups.push(() => sender.close());
    const waitFor = (n: number) =>
      new Promise<void>((resolve) => {
        arrived = () => frames.length >= n && resolve();
        arrived();
      });

    const first = formatSyslogMessage(header, { n: 1 });
    const second = formatSyslogMessage({ ...header, severity: 'critical' }, { n: 2 });
    await sender.send(first);
    await sender.send(second);
    await waitFor(2);
    expect(frames).toEqual([first, second]);
    expect(sockets).toHaveLength(1);

    // The receiver drops the connection: the next message goes over a new one.
    const closed = once(sockets[0]!, 'close');
    sockets[0]!.destroy();
    await closed;
    const third = formatSyslogMessage(header, { n: 3 });
    await expect
      .poll(async () => {
        await sender.send(third).catch(() => undefined);
        return frames.includes(third);
      })
      .toBe(true);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
  });
});

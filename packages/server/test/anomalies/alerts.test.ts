/**
 * Alerts end to end: anomalies raised through the real ingest path are
 * delivered by the dispatcher to a webhook receiver on 127.0.0.1 that fails
 * first (retried after the backoff on the fake clock, same body, signed with
 * the server key) and to syslog receivers on local UDP and TCP sockets; a
 * status change is delivered too; everything shows in the delivery log.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import type { Device } from '@seatwatch/shared';
import type { AlertDelivery, AlertPayload, WebhookList } from '@seatwatch/shared/dashboard-api';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnomalyWorld, createAnomalyWorld } from './support/anomaly-world.js';
import { verifyWebhookAsDocumented } from './support/webhook-verify.js';

const stick: Device = {
  id: '3-1',
  vendorId: '0951',
  productId: '1666',
  name: 'Kingston DataTraveler',
  manufacturer: 'Kingston',
  serial: 'KX9',
  deviceClass: 'mass-storage',
  massStorage: true,
};

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP receiver on 127.0.0.1 that answers 503 to its first request, 410 on /gone, 200 otherwise. */
async function startReceiver(): Promise<{ server: HttpServer; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode =
        req.url === '/gone' ? 410 : received.filter((r) => r.path === '/hook').length === 1 ? 503 : 200;
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, received };
}

/** Syslog receivers: one UDP socket and one TCP listener (octet-counted frames). */
async function startSyslog(): Promise<{
  udp: UdpSocket;
  tcp: TcpServer;
  udpMessages: string[];
  tcpMessages: string[];
  sockets: Socket[];
}> {
  const udpMessages: string[] = [];
  const tcpMessages: string[] = [];
  const sockets: Socket[] = [];
  const udp = createSocket('udp4');
  udp.on('message', (message) => udpMessages.push(message.toString('utf8')));
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  const tcp = createTcpServer((socket) => {
    sockets.push(socket);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const space = buffer.indexOf(0x20);
        if (space < 0) break;
        const length = Number(buffer.subarray(0, space).toString('ascii'));
        if (buffer.length < space + 1 + length) break;
        tcpMessages.push(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
        buffer = buffer.subarray(space + 1 + length);
      }
    });
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  return { udp, tcp, udpMessages, tcpMessages, sockets };
}

const jsonOf = (syslogMessage: string) => JSON.parse(syslogMessage.slice(syslogMessage.indexOf(' - {') + 3));

describe.each(DB_KINDS)('alert delivery on %s', (kind) => {
  let db: TestDatabase;
  let world: AnomalyWorld;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let syslog: Awaited<ReturnType<typeof startSyslog>>;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    world = await createAnomalyWorld(db);
    receiver = await startReceiver();
    syslog = await startSyslog();
  });
  afterAll(async () => {
    await world?.close();
    await db?.close();
    receiver?.server.closeAllConnections();
    await new Promise((r) => receiver?.server.close(r));
    for (const socket of syslog?.sockets ?? []) socket.destroy();
    await new Promise((r) => syslog?.tcp.close(r));
    await new Promise<void>((r) => syslog?.udp.close(() => r()));
  });

  it('delivers opened anomalies to webhooks (retrying a failure) and syslog, then a status change', async () => {
    const seat = await world.seat();
    const { projectId } = seat;
    const events = ['anomaly.opened', 'anomaly.status_changed'];
    const hook = await world.apiOk<{ id: string }>('POST', `/projects/${projectId}/webhooks`, {
      url: `${receiver.url}/hook`,
      description: 'SOC',
      enabled: true,
      minSeverity: 'medium',
      rules: [],
      events,
    });
    const criticalOnly = await world.apiOk<{ id: string }>('POST', `/projects/${projectId}/webhooks`, {
      url: `${receiver.url}/critical`,
      description: 'pager',
      enabled: true,
      minSeverity: 'critical',
      rules: [],
      events,
    });
    const gone = await world.apiOk<{ id: string }>('POST', `/projects/${projectId}/webhooks`, {
      url: `${receiver.url}/gone`,
      description: 'retired receiver',
      enabled: true,
      minSeverity: 'low',
      rules: ['usb_storage'],
      events: ['anomaly.opened'],
    });
    for (const [transport, port] of [
      ['udp', syslog.udp.address().port],
      ['tcp', (syslog.tcp.address() as { port: number }).port],
    ] as const) {
      await world.apiOk('POST', `/projects/${projectId}/syslog`, {
        host: '127.0.0.1',
        port,
        transport,
        facility: 16,
        description: `SIEM over ${transport}`,
        enabled: true,
        minSeverity: 'low',
        rules: [],
        events,
      });
    }

    // usb_storage (high) and unknown_device (medium) open together.
    await seat.send([{ type: 'device_attached', time: world.clock.now(), device: stick }]);
    const alerts = world.server.app.anomalies.alerts;
    await alerts.runDue();

    const hookRequests = () => receiver.received.filter((r) => r.path === '/hook');
    expect(hookRequests()).toHaveLength(2);
    expect(receiver.received.filter((r) => r.path === '/critical')).toEqual([]);
    expect(receiver.received.filter((r) => r.path === '/gone')).toHaveLength(1);
    const deliveries = () =>
      world.apiOk<AlertDelivery[]>('GET', `/projects/${projectId}/deliveries?targetId=${hook.id}`);
    expect((await deliveries()).map((d) => d.status).sort()).toEqual(['delivered', 'pending']);

    // Nothing is retried before the backoff has passed; then the failed one is.
    expect(await alerts.runDue()).toBe(0);
    world.clock.advance(60_000);
    expect(await alerts.runDue()).toBe(1);
    expect(hookRequests()).toHaveLength(3);
    const log = await deliveries();
    expect(log.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    const retried = log.find((d) => d.attempts === 2)!;
    expect(retried.attemptLog).toMatchObject([
      { ok: false, status: 503 },
      { ok: true, status: 200 },
    ]);

    // Every request is signed with the server key over its timestamp and exact body; a retry repeats the body.
    const { serverPublicKey } = await world.apiOk<WebhookList>('GET', `/projects/${projectId}/webhooks`);
    for (const request of hookRequests()) {
      const timestamp = String(request.headers['seatwatch-timestamp']);
      const signature = String(request.headers['seatwatch-signature']);
      expect(verifyWebhookAsDocumented(serverPublicKey, timestamp, request.body, signature)).toBe(true);
      const payload = JSON.parse(request.body) as AlertPayload;
      expect(payload.deliveryId).toBe(request.headers['seatwatch-delivery']);
      expect(request.headers['seatwatch-event']).toBe('anomaly.opened');
    }
    const [first, , third] = hookRequests();
    expect(third!.body).toBe(first!.body);
    const opened = hookRequests().map((r) => (JSON.parse(r.body) as AlertPayload).anomaly);
    expect(new Set(opened.map((a) => a.rule))).toEqual(new Set(['unknown_device', 'usb_storage']));
    expect(opened[0]).toMatchObject({ projectId, agentId: seat.agent.agentId, status: 'open', count: 1 });

    // A final answer (410) is not retried.
    const [goneDelivery] = await world.apiOk<AlertDelivery[]>(
      'GET',
      `/projects/${projectId}/deliveries?targetId=${gone.id}`,
    );
    expect(goneDelivery).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
    // Below the pager's minimum severity: nothing queued for it at all.
    expect(await world.apiOk('GET', `/projects/${projectId}/deliveries?targetId=${criticalOnly.id}`)).toEqual(
      [],
    );

    // Syslog got one RFC 5424 message per anomaly on each transport.
    await expect.poll(() => syslog.udpMessages.length).toBe(2);
    await expect.poll(() => syslog.tcpMessages.length).toBe(2);
    for (const message of [...syslog.udpMessages, ...syslog.tcpMessages]) {
      expect(message).toMatch(/^<1\d\d>1 \d{4}-\d\d-\d\dT\S+Z \S+ seatwatch \d+ anomaly\.opened - \{/);
    }
    const usb = jsonOf(syslog.tcpMessages.find((m) => m.includes('"usb_storage"'))!);
    expect(usb).toMatchObject({ type: 'anomaly.opened', rule: 'usb_storage', severity: 'high', projectId });
    expect(syslog.udpMessages.find((m) => m.includes('"usb_storage"'))!.startsWith(`<${16 * 8 + 3}>1 `)).toBe(
      true,
    );

    // Acknowledging one goes out as a status change.
    await world.apiOk('POST', `/${usb.id}/status`, {
      status: 'acknowledged',
      comment: 'talking to the operator',
    });
    await alerts.runDue();
    const change = JSON.parse(hookRequests().at(-1)!.body) as AlertPayload;
    expect(change).toMatchObject({
      type: 'anomaly.status_changed',
      anomaly: {
        id: usb.id,
        status: 'acknowledged',
        comment: 'talking to the operator',
        statusBy: 'admin-token',
      },
    });
    // The retired receiver wants openings only.
    expect(receiver.received.filter((r) => r.path === '/gone')).toHaveLength(1);
    await expect.poll(() => syslog.tcpMessages.length).toBe(3);
    expect(jsonOf(syslog.tcpMessages[2]!)).toMatchObject({
      type: 'anomaly.status_changed',
      status: 'acknowledged',
    });
  });
});

/**
 * Weeks of a seat's history made in SQL with generate_series (seconds, where
 * sending it through an agent would take hours): activity spans, status
 * changes, screenshot rows, USB events, hellos and anomalies, every day in
 * an 8-hour shift from 08:00 UTC. For the visual timeline's browser test and
 * its benchmark. Takes a query function (a pg pool's), so it starts nothing.
 *
 * Each day: spans one every `spanEverySeconds` (lasting 5/6 of it, apps in
 * turn from APPS), `statusChanges` status events cycling active, idle,
 * locked (the day ends active until the next day), screenshots every
 * 5 minutes (rows only: no bytes, no thumbnail), 4 device events, 3 hellos,
 * 2 anomalies.
 */

export const SEEDED_APPS = [
  'CRM',
  'Mail',
  'Softphone',
  'Knowledge base',
  'Ticketing',
  'Chat',
  'Browser',
  'Spreadsheet',
];

export interface SeatHistory {
  projectId: string;
  agentId: string;
  seatId: string;
  /** Midnight UTC of the first day (ms). */
  firstDay: number;
  days: number;
  spanEverySeconds?: number;
  statusChanges?: number;
  /** Distinguishes the seq numbers of several seats' rows on one agent (0 for one seat per agent). */
  seqBase?: number;
}

type Query = (text: string, params: unknown[]) => Promise<unknown>;

export async function seedSeatHistory(query: Query, history: SeatHistory): Promise<{ spans: number }> {
  const every = history.spanEverySeconds ?? 45;
  const perDay = Math.floor((8 * 3600) / every);
  const statusChanges = history.statusChanges ?? 20;
  const statusEvery = Math.floor((8 * 60) / statusChanges);
  const seq = history.seqBase ?? 0;
  const days = `generate_series(0, ${history.days - 1}) d`;
  // $1 project, $2 agent, $3 seat, $4 the first day (ms).
  const owner = '$1, $2, $3';
  const shift = `(timestamptz 'epoch' + $4::bigint * interval '1 millisecond' + d * interval '1 day' + interval '8 hours')`;
  const params = [history.projectId, history.agentId, history.seatId, history.firstDay];
  const apps = `(array[${SEEDED_APPS.map((app) => `'${app}'`).join(',')}])`;
  await query(
    `insert into activity_spans (project_id, agent_id, seat_id, started_at, ended_at, app, title, seq)
     select ${owner}, ${shift} + i * interval '${every} seconds', ${shift} + i * interval '${every} seconds' + interval '${Math.floor((every * 5) / 6)} seconds',
            ${apps}[1 + i % ${SEEDED_APPS.length}],
            'Ticket #' || (d * 1000 + i / 5) || ' – customer ' || substr(md5((d * 1000 + i)::text), 1, 12),
            ${seq} + d * 100000 + i
     from ${days}, generate_series(0, ${perDay - 1}) i`,
    params,
  );
  await query(
    `insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
     select ${owner}, ${seq} + d * 100000 + 90000 + j, 0, 'status', ${shift} + j * interval '${statusEvery} minutes',
            jsonb_build_object('type', 'status', 'state', (array['active','idle','locked'])[1 + j % 3], 'idleMs', 0),
            ${shift} + j * interval '${statusEvery} minutes'
     from ${days}, generate_series(0, ${statusChanges - 1}) j`,
    params,
  );
  await query(
    `insert into screenshots (project_id, agent_id, seat_id, seq, time, sha256, size, mime, width, height, monitor,
                              trigger, received_at)
     select ${owner}, ${seq} + d * 100000 + 95000 + k, ${shift} + k * interval '5 minutes',
            md5($3::text || d || '-' || k) || md5(d || '-' || k), 48000, 'image/jpeg', 1280, 720, 0, 'schedule',
            ${shift} + k * interval '5 minutes'
     from ${days}, generate_series(0, 95) k`,
    params,
  );
  await query(
    `insert into device_events (project_id, agent_id, seat_id, seq, idx, time, action, device_id, name, mass_storage)
     select ${owner}, ${seq} + d * 100000 + 96000 + k, 0, ${shift} + k * interval '2 hours',
            case when k % 2 = 0 then 'attached' else 'detached' end, 'usb-' || k, 'Cruzer Blade', true
     from ${days}, generate_series(0, 3) k`,
    params,
  );
  await query(
    `insert into logins (at, kind, project_id, agent_id, seat_id, ip, peer_ip, allowed, hostname, os_user)
     select ${shift} + k * interval '3 hours', 'hello', ${owner}, '10.0.0.' || (1 + k), '10.0.0.' || (1 + k), true,
            'desk', 'operator'
     from ${days}, generate_series(0, 2) k`,
    params,
  );
  await query(
    `insert into anomalies (id, project_id, seat_id, agent_id, rule, severity, key, first_at, last_at, status)
     select gen_random_uuid()::text, $1, $3, $2, 'usb_storage', 'high', $3 || '-' || d || '-' || k,
            ${shift} + k * interval '4 hours', ${shift} + k * interval '4 hours' + interval '1 minute', 'resolved'
     from ${days}, generate_series(0, 1) k`,
    params,
  );
  return { spans: perDay * history.days };
}

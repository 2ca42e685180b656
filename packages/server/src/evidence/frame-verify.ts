/**
 * The seat's own word in a bundle (issue #11): every signed frame in
 * data/signed_frames.json must verify with its agent's enrolled key from
 * data/agents.json, and every event and screenshot of the bundle that a
 * frame carried must be what that frame says, after the same sanitising
 * rule ingest applies. The server's signature on the manifest says the
 * server wrote the bundle; this says the seat sent what the bundle holds,
 * which the server cannot forge without the agent's private key.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  type BatchPayload,
  type BlobPayload,
  type Ed25519Verifier,
  type Event,
  fromBase64,
  openTextFrame,
  parsePayloadJson,
  validatePayload,
  verifyEnvelope,
} from '@seatwatch/shared';
import { sanitizeEvent } from '../domain/ingest-mapping.js';

type Row = Record<string, unknown>;
/** Rows one at a time: a project's files can be far larger than memory should hold at once. */
type Rows = AsyncIterable<Row> | Iterable<Row>;

export interface FrameCheckInput {
  frames: Rows;
  agents: Rows;
  events: Rows;
  screenshots: Rows;
  /** The manifest's files: a screenshot file's SHA-256 must be the one its signed frame names. */
  files: ReadonlyArray<{ path: string; sha256: string }>;
  verifier: Ed25519Verifier;
}

export interface FrameCheck {
  problems: string[];
  /** Frames whose agent signature verified. */
  frames: number;
  /** Events and screenshots of the bundle that a verified frame carried, and matched. */
  events: number;
  screenshots: number;
}

interface Carried {
  /** The frame's events as the database keeps them (sanitised, as JSON). */
  events: readonly unknown[];
  sha256: string | null;
}

const key = (agentId: unknown, seq: unknown) => `${String(agentId)}/${String(seq)}`;
/** As the database keeps an event: JSON (undefined fields gone). */
const asStored = (event: Event): unknown => JSON.parse(JSON.stringify(sanitizeEvent(event)));

export async function checkSignedFrames(input: FrameCheckInput): Promise<FrameCheck> {
  const result: FrameCheck = { problems: [], frames: 0, events: 0, screenshots: 0 };
  const problem = (text: string) => result.problems.push(text);
  const keys = new Map<string, Uint8Array>();
  for await (const agent of input.agents) {
    try {
      keys.set(String(agent.id), fromBase64(String(agent.public_key), 32));
    } catch {
      problem(`agent ${String(agent.id)} in data/agents.json has no valid Ed25519 public key`);
    }
  }

  const carried = new Map<string, Carried>();
  for await (const frame of input.frames) {
    const name = `signed frame ${key(frame.agent_id, frame.seq)} (id ${String(frame.id)})`;
    const publicKey = keys.get(String(frame.agent_id));
    if (!publicKey) {
      problem(`${name}: its agent's enrolled key is not in data/agents.json`);
      continue;
    }
    let payload: BatchPayload | BlobPayload;
    try {
      const envelope = openTextFrame(String(frame.envelope));
      verifyEnvelope(envelope, 'agent', publicKey, input.verifier);
      payload = validatePayload(
        parsePayloadJson(envelope),
        'agent',
        frame.kind === 'blob' ? 'binary' : 'text',
      ) as BatchPayload | BlobPayload;
    } catch (error) {
      problem(
        (error as { code?: string }).code === 'bad_signature'
          ? `${name}: the agent's signature does not verify (its payload was changed, or the agent never sent it)`
          : `${name}: not a valid signed frame (${(error as Error).message})`,
      );
      continue;
    }
    if (payload.t !== frame.kind || payload.seq !== Number(frame.seq)) {
      problem(`${name}: the signed payload is ${payload.t} seq ${payload.seq}, not what the row says`);
      continue;
    }
    result.frames++;
    carried.set(
      key(frame.agent_id, frame.seq),
      payload.t === 'batch'
        ? { events: payload.events.map(asStored), sha256: null }
        : { events: [asStored(payload.event)], sha256: payload.sha256 },
    );
  }

  for await (const event of input.events) {
    const frame = carried.get(key(event.agent_id, event.seq));
    if (!frame) continue;
    const signed = frame.events[Number(event.idx)];
    if (signed === undefined || !isDeepStrictEqual(signed, event.body)) {
      problem(
        `event id ${String(event.id)} does not match what signed frame ${key(event.agent_id, event.seq)} carried`,
      );
      continue;
    }
    result.events++;
  }

  for await (const shot of input.screenshots) {
    const frame = carried.get(key(shot.agent_id, shot.seq));
    if (!frame) continue;
    const file = input.files.find((f) =>
      new RegExp(`^screenshots/[^/]*_${String(shot.id)}\\.[a-z]+$`).test(f.path),
    );
    if (frame.sha256 !== shot.sha256 || (file && file.sha256 !== frame.sha256)) {
      problem(
        `screenshot id ${String(shot.id)} is not the image signed frame ${key(shot.agent_id, shot.seq)} carried`,
      );
      continue;
    }
    result.screenshots++;
  }
  return result;
}

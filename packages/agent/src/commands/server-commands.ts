/**
 * Commands the server sends (capture_now, policy, revoke): each one carried
 * out and answered with a command_result event, sent at once. An unknown or
 * failing command is answered too, so the dashboard never waits in vain.
 */
import {
  type Event,
  MAX_STRING_LENGTHS,
  type Notice,
  type Policy,
  sanitizeText,
  validatePolicyCommandArgs,
} from '@seatwatch/shared';
import { errorMessage } from '../collectors/probe.js';
import type { CaptureResult } from '../collectors/screenshot/screenshot.collector.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';

export interface ServerCommand {
  readonly id: string;
  readonly cmd: string;
  readonly args: Record<string, unknown>;
}

export interface ServerCommandOptions {
  readonly clock: Clock;
  readonly log: Logger;
  queue(event: Event, urgent: boolean): void;
  /** False while the notice is pending or the agent stops: capture_now is refused then. */
  collecting(): boolean;
  captureNow(commandId: string): Promise<CaptureResult>;
  applyPolicy(policy: Policy, notice: Notice): Promise<void>;
  revoke(): void;
}

/** Carries out one command; never rejects (a failure becomes its command_result). */
export function createCommandHandler(options: ServerCommandOptions): (command: ServerCommand) => void {
  const { clock, log } = options;

  const result = (command: ServerCommand, ok: boolean, message: string) =>
    options.queue(
      {
        type: 'command_result',
        time: clock.now(),
        commandId: command.id,
        cmd: command.cmd.slice(0, 64),
        ok,
        message: sanitizeText(message, MAX_STRING_LENGTHS.message),
      },
      true,
    );

  async function run(command: ServerCommand): Promise<void> {
    log.log('info', 'command received', { id: command.id, cmd: command.cmd });
    switch (command.cmd) {
      case 'capture_now': {
        if (!options.collecting()) {
          result(command, false, 'not capturing: the agent is not collecting (notice pending or stopping)');
          return;
        }
        const capture = await options.captureNow(command.id);
        const summary = capture.events
          .map((e) => `monitor ${e.monitor}: ${e.outcome}${e.reason ? ` (${e.reason})` : ''}`)
          .join('; ');
        result(command, true, summary);
        return;
      }
      case 'policy': {
        if (!validatePolicyCommandArgs(command.args)) {
          result(command, false, 'invalid policy arguments; the current policy stays');
          return;
        }
        const args = command.args as { policy: Policy; notice: Notice };
        await options.applyPolicy(args.policy, args.notice);
        result(command, true, `policy applied (notice version ${args.notice.version})`);
        return;
      }
      case 'revoke': {
        result(command, true, 'revoked: the agent stops collecting and sending');
        options.revoke();
        return;
      }
      default:
        result(command, false, `unknown command "${command.cmd.slice(0, 64)}"`);
    }
  }

  return (command) => {
    run(command).catch((error) => result(command, false, errorMessage(error)));
  };
}

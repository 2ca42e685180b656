/**
 * The channels this session has for the notice: the desktop's dialog program
 * (notice-dialog.commands.ts), and the terminal prompt when the agent was
 * started in a terminal (stdin and stdout both a TTY). Read once at `run`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NoticeChannel } from './notice-channel.port.js';
import { chooseDialogProgram, dialogChannel } from './notice-dialog.commands.js';
import { terminalPromptChannel } from './notice-terminal.js';

export interface SelectedNoticeChannels {
  readonly channels: readonly NoticeChannel[];
  /** Why there is no dialog; null when there is one. */
  readonly noDialogReason: string | null;
}

export function onPath(env: NodeJS.ProcessEnv, program: string): boolean {
  return (env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        fs.accessSync(path.join(dir, program), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export function selectNoticeChannels(options: {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  stdout: { write(text: string): void; readonly isTTY: boolean };
}): SelectedNoticeChannels {
  const channels: NoticeChannel[] = [];
  const dialog = chooseDialogProgram(options.platform, options.env, (program) =>
    onPath(options.env, program),
  );
  if (dialog.ok) channels.push(dialogChannel(dialog.program, options.stateDir));
  if (options.stdin.isTTY && options.stdout.isTTY)
    channels.push(terminalPromptChannel(options.stdin, options.stdout));
  return { channels, noDialogReason: dialog.ok ? null : dialog.reason };
}

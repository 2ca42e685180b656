/**
 * The notice confirmed on the terminal the agent runs in: the gate prints the
 * text, this asks for Enter. Only built when both stdin and stdout are a
 * terminal (main.ts); a pipe or /dev/null is nobody reading.
 */
import { createInterface } from 'node:readline';
import type { NoticeChannel, NoticeShowing, ShowingOutcome } from './notice-channel.port.js';

export function terminalPromptChannel(
  input: NodeJS.ReadableStream,
  output: { write(text: string): void },
): NoticeChannel {
  return {
    name: 'terminal',
    kind: 'terminal',
    show(): NoticeShowing {
      output.write(
        'Press Enter to confirm that you have read this notice. Nothing is collected before that.\n',
      );
      const lines = createInterface({ input, terminal: false });
      let settled = false;
      const outcome = new Promise<ShowingOutcome>((resolve) => {
        lines.once('line', () => {
          settled = true;
          resolve({ kind: 'confirmed' });
          lines.close();
        });
        lines.once('close', () => {
          if (!settled) resolve({ kind: 'closed' });
          settled = true;
        });
      });
      return {
        outcome,
        displayed: () => true,
        close: () => lines.close(),
      };
    },
  };
}

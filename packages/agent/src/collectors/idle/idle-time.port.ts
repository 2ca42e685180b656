import type { IdleReading } from '../../core/idle-machine.js';

/** OS input-idle time and, where the OS tells it, whether the screen is locked. */
export interface IdleTimePort {
  readonly name: string;
  read(): Promise<IdleReading>;
  close(): void;
}

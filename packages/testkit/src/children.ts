/**
 * Every process a test file starts (Xvfb, openbox, xterm, agents) is
 * registered here the moment it is spawned, so afterAll can end each one by
 * its own pid even when the setup that started it failed halfway.
 */
import type { ChildProcess } from 'node:child_process';

export class Children {
  readonly #all: ChildProcess[] = [];

  add<T extends ChildProcess>(child: T): T {
    this.#all.push(child);
    return child;
  }

  /** SIGTERM to each live child (newest first), SIGKILL to any still alive after `graceMs`. */
  async stopAll(graceMs = 5000): Promise<void> {
    const alive = this.#all.splice(0).reverse();
    for (const child of alive) await stopChild(child, graceMs);
  }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (hasExited(child) || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  if ((await Promise.race([exited, late])) === 'late' && !hasExited(child)) {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

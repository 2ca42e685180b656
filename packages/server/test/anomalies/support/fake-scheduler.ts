import type { Scheduler } from '../../../src/anomalies/engine/scheduler.js';

interface Timer {
  id: number;
  at: number;
  run: () => void;
  every: number | null;
}

/** A clock that moves only when the test says so; timers fire in time order as it passes them. */
export class FakeScheduler implements Scheduler {
  #now: number;
  #timers: Timer[] = [];
  #nextId = 1;

  constructor(start: number) {
    this.#now = start;
  }

  readonly now = (): number => this.#now;

  every(ms: number, run: () => void): () => void {
    return this.#add(ms, run, ms);
  }

  after(ms: number, run: () => void): () => void {
    return this.#add(ms, run, null);
  }

  /** Moves the clock forward, firing every timer it passes (each sees its own due time as now). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#now = Math.max(this.#now, due.at);
      if (due.every === null) this.#timers = this.#timers.filter((t) => t !== due);
      else due.at += due.every;
      due.run();
    }
    this.#now = target;
  }

  /** Jumps to an instant (forward only). */
  set(at: number): void {
    if (at < this.#now) throw new Error('the fake clock only moves forward');
    this.advance(at - this.#now);
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  #add(ms: number, run: () => void, every: number | null): () => void {
    const timer: Timer = { id: this.#nextId++, at: this.#now + ms, run, every };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }
}

/**
 * Bounded-rate thumbnail loading: a tile asks for its thumbnail only while it
 * is on screen, and at most `concurrency` loads run at once, started no
 * faster than one every `minIntervalMs`. A tile that scrolls away before its
 * turn withdraws its request. The clock is passed in for tests.
 */
export interface ThumbnailQueueOptions {
  readonly concurrency: number;
  readonly minIntervalMs: number;
  readonly now: () => number;
  readonly setTimer: (fn: () => void, ms: number) => unknown;
}

export type Release = () => void;
type Start = (release: Release) => void;

export class ThumbnailQueue {
  private readonly waiting = new Map<string, Start>();
  private running = 0;
  private lastStart = Number.NEGATIVE_INFINITY;
  private timerPending = false;

  constructor(private readonly options: ThumbnailQueueOptions) {}

  /** `start` is called when it is this request's turn; it must call `release` when the load ends. */
  request(key: string, start: Start): () => void {
    this.waiting.set(key, start);
    this.pump();
    return () => {
      if (this.waiting.get(key) === start) this.waiting.delete(key);
    };
  }

  get pending(): number {
    return this.waiting.size;
  }

  get active(): number {
    return this.running;
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.waiting.size > 0) {
      const wait = this.lastStart + this.options.minIntervalMs - this.options.now();
      if (wait > 0) {
        if (!this.timerPending) {
          this.timerPending = true;
          this.options.setTimer(() => {
            this.timerPending = false;
            this.pump();
          }, wait);
        }
        return;
      }
      const [key, start] = this.waiting.entries().next().value as [string, Start];
      this.waiting.delete(key);
      this.running++;
      this.lastStart = this.options.now();
      let released = false;
      start(() => {
        if (released) return;
        released = true;
        this.running--;
        this.pump();
      });
    }
  }
}

/** The foreground window, as the OS tells it. */
export interface ActiveWindow {
  /** Application: process name or window class. */
  readonly app: string;
  readonly title: string;
}

export interface ActiveWindowPort {
  readonly name: string;
  /** The window in the foreground now, or null when none has focus. */
  current(): Promise<ActiveWindow | null>;
  close(): void;
}

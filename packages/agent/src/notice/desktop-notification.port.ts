/** A desktop notification, where the OS has one. Resolves false when none could be shown. */
export interface DesktopNotifier {
  readonly name: string;
  notify(title: string, body: string): Promise<boolean>;
}

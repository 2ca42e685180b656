/** The monitoring notice a new project starts with; administrators replace it with their own words. */
export const DEFAULT_NOTICE_TEXT = [
  'This computer is monitored by your employer with Seatwatch.',
  '',
  'While you are signed in, Seatwatch records: the application and window title in the foreground,',
  'when the computer is idle or locked, screenshots at intervals, USB and storage devices that are',
  'attached, and the network address this computer uses. It does not record what you type.',
  '',
  'The records are kept for a limited time and are seen only by the people your employer has',
  'authorised. You may ask to see what was recorded about you.',
].join('\n');

/** A notice's version moves forward only when its text changes, so operators see it again only then. */
export function nextNoticeVersion(current: { text: string; version: number }, text: string): number {
  return text === current.text ? current.version : current.version + 1;
}

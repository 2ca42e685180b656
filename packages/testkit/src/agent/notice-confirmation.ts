/**
 * The operator confirming the monitoring notice, for tests whose subject is
 * something else. Since issue #12 the agent collects nothing until the
 * notice is confirmed (a dialog's button, Enter on the terminal, or the
 * button on the local page), so a test agent needs an operator.
 */

/**
 * For an agent in the test's own process (createAgent's `noticeChannels`):
 * a channel whose operator confirms at once. Typed by shape, so the testkit
 * needs no dependency on the agent package.
 */
export function confirmingNoticeChannel() {
  return {
    name: 'test operator',
    kind: 'dialog' as const,
    show: () => ({
      outcome: Promise.resolve({ kind: 'confirmed' as const }),
      displayed: () => true,
      close: () => {},
    }),
  };
}

const HEADING =
  /SEATWATCH MONITORING NOTICE \(version \d+\)[\s\S]*?at (http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/) \(this computer only\)/g;

/**
 * For an agent run as a child process: watches its stdout and, for every
 * notice printed there, presses the button on the local page whose address
 * the notice names (a POST to `confirm-notice`), as an operator would.
 * Returns the function to feed stdout to.
 */
export function confirmNoticesFromStdout(): (stdout: string) => void {
  let confirmed = 0;
  return (stdout) => {
    const notices = [...stdout.matchAll(HEADING)];
    for (const notice of notices.slice(confirmed)) {
      // 409: nothing waited (confirmed another way first): nothing to do.
      fetch(`${notice[1]}confirm-notice`, { method: 'POST', redirect: 'manual' }).catch(() => {});
    }
    confirmed = notices.length;
  };
}

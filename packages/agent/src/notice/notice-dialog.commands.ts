/**
 * The notice as a dialog on the operator's desktop, with a button to confirm
 * it, through the program the desktop already has: zenity (GNOME), kdialog
 * (KDE), yad, else xmessage (x11-utils, which the agent needs for xprop, so
 * it is on every X11 seat); a Windows Forms MessageBox through PowerShell on
 * Windows; `display dialog` through osascript on macOS.
 *
 * `dialogCommand` only builds the command line (pure, unit-tested for every
 * program); `dialogChannel` runs it as a helper that dies with the agent
 * (collectors/line-helper.ts). The text never goes through a shell: a file
 * in the owner-only state folder on Linux, an argument or an environment
 * variable elsewhere. Only the Linux programs run in this repository's tests;
 * the PowerShell and osascript dialogs are NOT TESTED on real machines.
 */
import path from 'node:path';
import { startLineHelper } from '../collectors/line-helper.js';
import { STATE_FILES } from '../identity/state-dir.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import type { NoticeChannel, NoticeShowing, ShowingOutcome } from './notice-channel.port.js';

export const CONFIRM_LABEL = 'I have read this notice';
export const DIALOG_TITLE = 'Seatwatch monitoring notice';

export type DialogProgram = 'zenity' | 'kdialog' | 'yad' | 'xmessage' | 'powershell' | 'osascript';

export interface DialogCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Added to the agent's environment (the texts, where they travel that way). */
  readonly env: Readonly<Record<string, string>>;
  /** The exit status of the confirm button. */
  readonly confirmCode: number;
  /** Exit statuses that mean closed without confirming; any other is a failure to show it. */
  readonly closedCodes: readonly number[];
}

/**
 * xmessage and yad exit with the pressed button's value: one of its own, so
 * no other way of ending (xmessage exits 1 when its window is closed through
 * the window manager, as when it cannot open the display) is taken for a
 * confirmation.
 */
const BUTTON_CODE = 70;

/** What the X11 and GTK/Qt programs print when there is no display: a failure, not a closed window. */
const NO_DISPLAY = /(can't|cannot|unable to) open display/i;

const POWERSHELL_DIALOG = [
  'Add-Type -AssemblyName System.Windows.Forms',
  '$r = [System.Windows.Forms.MessageBox]::Show($env:SEATWATCH_NOTICE_TEXT, $env:SEATWATCH_NOTICE_TITLE, [System.Windows.Forms.MessageBoxButtons]::OKCancel, [System.Windows.Forms.MessageBoxIcon]::Information)',
  'if ($r -eq [System.Windows.Forms.DialogResult]::OK) { exit 0 } else { exit 1 }',
].join('; ');

/** `textFile` holds `text` (the Linux programs read it from there). */
export function dialogCommand(
  program: DialogProgram,
  title: string,
  text: string,
  textFile: string,
): DialogCommand {
  switch (program) {
    case 'zenity':
      return {
        command: 'zenity',
        args: [
          '--text-info',
          `--title=${title}`,
          `--filename=${textFile}`,
          `--ok-label=${CONFIRM_LABEL}`,
          '--cancel-label=Later',
          '--width=760',
          '--height=600',
        ],
        env: {},
        confirmCode: 0,
        closedCodes: [1],
      };
    case 'yad':
      return {
        command: 'yad',
        args: [
          '--text-info',
          `--title=${title}`,
          `--filename=${textFile}`,
          `--button=${CONFIRM_LABEL}:${BUTTON_CODE}`,
          '--width=760',
          '--height=600',
          '--center',
        ],
        env: {},
        confirmCode: BUTTON_CODE,
        closedCodes: [1, 252],
      };
    case 'kdialog':
      return {
        command: 'kdialog',
        args: ['--title', title, '--yes-label', CONFIRM_LABEL, '--no-label', 'Later', '--yesno', text],
        env: {},
        confirmCode: 0,
        closedCodes: [1],
      };
    case 'xmessage':
      return {
        command: 'xmessage',
        args: [
          '-title',
          title,
          '-center',
          '-buttons',
          `${CONFIRM_LABEL}:${BUTTON_CODE}`,
          '-default',
          CONFIRM_LABEL,
          '-file',
          textFile,
        ],
        env: {},
        confirmCode: BUTTON_CODE,
        closedCodes: [1],
      };
    case 'powershell':
      return {
        command: 'powershell.exe',
        args: ['-NoProfile', '-NonInteractive', '-Command', POWERSHELL_DIALOG],
        env: { SEATWATCH_NOTICE_TITLE: title, SEATWATCH_NOTICE_TEXT: text },
        confirmCode: 0,
        closedCodes: [1],
      };
    case 'osascript':
      return {
        command: 'osascript',
        args: [
          '-e',
          'on run argv',
          '-e',
          `display dialog (item 2 of argv) with title (item 1 of argv) buttons {"${CONFIRM_LABEL}"} default button 1 with icon caution`,
          '-e',
          'end run',
          title,
          text,
        ],
        env: {},
        confirmCode: 0,
        closedCodes: [],
      };
  }
}

/**
 * Which dialog program this session can show, or why none. Linux: one of the
 * toolkit dialogs (zenity, kdialog on KDE first, yad) where a display exists,
 * else xmessage on X11. `onPath` says whether a program is installed.
 */
export function chooseDialogProgram(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  onPath: (program: string) => boolean,
): { ok: true; program: DialogProgram } | { ok: false; reason: string } {
  if (platform === 'win32') return { ok: true, program: 'powershell' };
  if (platform === 'darwin') return { ok: true, program: 'osascript' };
  const x11 = Boolean(env.DISPLAY);
  if (!x11 && !env.WAYLAND_DISPLAY)
    return { ok: false, reason: 'no desktop session (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  const kde = /kde/i.test(env.XDG_CURRENT_DESKTOP ?? '');
  const toolkits: DialogProgram[] = kde ? ['kdialog', 'zenity', 'yad'] : ['zenity', 'kdialog', 'yad'];
  const found = toolkits.find((program) => onPath(program));
  if (found) return { ok: true, program: found };
  if (x11 && onPath('xmessage')) return { ok: true, program: 'xmessage' };
  return {
    ok: false,
    reason: x11
      ? 'no dialog program on the PATH (zenity, kdialog, yad or xmessage from x11-utils)'
      : 'no dialog program on the PATH for this Wayland session (zenity, kdialog or yad)',
  };
}

/** The dialog as a notice channel; the program runs as a helper that ends with the agent. */
export function dialogChannel(program: DialogProgram, stateDir: string): NoticeChannel {
  return {
    name: program,
    kind: 'dialog',
    show(title, text): NoticeShowing {
      const textFile = path.join(stateDir, `${STATE_FILES.noticeDialog}.txt`);
      if (program === 'zenity' || program === 'yad' || program === 'xmessage')
        writeFileAtomic(textFile, `${text}\n`);
      const command = dialogCommand(program, title, text, textFile);
      const helper = startLineHelper(command.command, command.args, {
        env: { ...process.env, ...command.env },
      });
      let confirmed = false;
      let closedByUs = false;
      const outcome = helper.exited.then(({ code, stderr }): ShowingOutcome => {
        if (code === command.confirmCode && !closedByUs) {
          confirmed = true;
          return { kind: 'confirmed' };
        }
        if (closedByUs || (code !== null && command.closedCodes.includes(code) && !NO_DISPLAY.test(stderr)))
          return { kind: 'closed' };
        return {
          kind: 'failed',
          reason: `${program} could not show it (${code === null ? 'not started' : `exit ${code}`}${stderr ? `: ${stderr.slice(0, 300)}` : ''})`,
        };
      });
      return {
        outcome,
        displayed: () => confirmed || helper.isRunning(),
        close: () => {
          closedByUs = true;
          helper.close();
        },
      };
    },
  };
}

/** The dialog command lines per program, and which program a session gets (pure; the programs run in the desktop tier). */
import { describe, expect, it } from 'vitest';
import {
  CONFIRM_LABEL,
  chooseDialogProgram,
  dialogCommand,
} from '../../src/notice/notice-dialog.commands.js';
import { wireShownVia } from '../../src/notice/notice-gate.js';

const TEXT = 'SEATWATCH MONITORING NOTICE (version 2)\n\n"Quotes", $HOME, `ticks` and ; rm -rf / stay text.';
const FILE = '/home/op/.local/state/seatwatch-agent/notice-dialog.txt';

describe('dialog command lines', () => {
  it('xmessage: the button has its own exit value, so closing the window (exit 1) is not a confirmation', () => {
    const c = dialogCommand('xmessage', 'Seatwatch monitoring notice', TEXT, FILE);
    expect(c.command).toBe('xmessage');
    expect(c.args).toEqual([
      '-title',
      'Seatwatch monitoring notice',
      '-center',
      '-buttons',
      `${CONFIRM_LABEL}:70`,
      '-default',
      CONFIRM_LABEL,
      '-file',
      FILE,
    ]);
    expect(c.confirmCode).toBe(70);
    expect(c.closedCodes).toEqual([1]);
  });

  it('zenity, yad and kdialog: the confirm label on the button, the text from the file or as one argument', () => {
    const zenity = dialogCommand('zenity', 'T', TEXT, FILE);
    expect(zenity.args).toContain(`--filename=${FILE}`);
    expect(zenity.args).toContain(`--ok-label=${CONFIRM_LABEL}`);
    expect([zenity.confirmCode, zenity.closedCodes]).toEqual([0, [1]]);
    const yad = dialogCommand('yad', 'T', TEXT, FILE);
    expect(yad.args).toContain(`--button=${CONFIRM_LABEL}:70`);
    expect([yad.confirmCode, yad.closedCodes]).toEqual([70, [1, 252]]);
    const kdialog = dialogCommand('kdialog', 'T', TEXT, FILE);
    expect(kdialog.args.slice(-2)).toEqual(['--yesno', TEXT]);
    expect(kdialog.args).toContain(CONFIRM_LABEL);
  });

  it('Windows: a MessageBox through PowerShell, the texts in environment variables, never in the script', () => {
    const c = dialogCommand('powershell', 'Seatwatch monitoring notice', TEXT, FILE);
    expect(c.command).toBe('powershell.exe');
    expect(c.args.slice(0, 3)).toEqual(['-NoProfile', '-NonInteractive', '-Command']);
    const script = c.args[3]!;
    expect(script).toContain(
      '[System.Windows.Forms.MessageBox]::Show($env:SEATWATCH_NOTICE_TEXT, $env:SEATWATCH_NOTICE_TITLE',
    );
    expect(script).not.toContain('rm -rf');
    expect(c.env).toEqual({
      SEATWATCH_NOTICE_TITLE: 'Seatwatch monitoring notice',
      SEATWATCH_NOTICE_TEXT: TEXT,
    });
    expect(c.confirmCode).toBe(0);
  });

  it('macOS: display dialog through osascript, the texts as arguments (argv), never in the script', () => {
    const c = dialogCommand('osascript', 'Seatwatch monitoring notice', TEXT, FILE);
    expect(c.command).toBe('osascript');
    expect(c.args.slice(-2)).toEqual(['Seatwatch monitoring notice', TEXT]);
    expect(c.args.join('\n')).toContain(
      `display dialog (item 2 of argv) with title (item 1 of argv) buttons {"${CONFIRM_LABEL}"}`,
    );
    expect(c.args.slice(0, -2).join(' ')).not.toContain('rm -rf');
  });
});

describe('which dialog a session gets', () => {
  const has =
    (...programs: string[]) =>
    (p: string) =>
      programs.includes(p);

  it('prefers the desktop toolkit dialogs, kdialog first on KDE, xmessage as the X11 fallback', () => {
    expect(chooseDialogProgram('linux', { DISPLAY: ':0' }, has('zenity', 'kdialog', 'xmessage'))).toEqual({
      ok: true,
      program: 'zenity',
    });
    expect(
      chooseDialogProgram('linux', { DISPLAY: ':0', XDG_CURRENT_DESKTOP: 'KDE' }, has('zenity', 'kdialog')),
    ).toEqual({ ok: true, program: 'kdialog' });
    expect(chooseDialogProgram('linux', { DISPLAY: ':0' }, has('yad', 'xmessage'))).toEqual({
      ok: true,
      program: 'yad',
    });
    expect(chooseDialogProgram('linux', { DISPLAY: ':0' }, has('xmessage'))).toEqual({
      ok: true,
      program: 'xmessage',
    });
  });

  it('says why there is none: no desktop session, no program, xmessage on Wayland', () => {
    expect(chooseDialogProgram('linux', {}, has('xmessage'))).toEqual({
      ok: false,
      reason: 'no desktop session (neither DISPLAY nor WAYLAND_DISPLAY is set)',
    });
    expect(chooseDialogProgram('linux', { DISPLAY: ':0' }, has())).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no dialog program on the PATH/),
    });
    expect(chooseDialogProgram('linux', { WAYLAND_DISPLAY: 'wayland-0' }, has('xmessage'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/Wayland/),
    });
    expect(chooseDialogProgram('win32', {}, has())).toEqual({ ok: true, program: 'powershell' });
    expect(chooseDialogProgram('darwin', {}, has())).toEqual({ ok: true, program: 'osascript' });
  });

  it('a dialog travels on the wire as the desktop channel, "notification" (protocol v1 has no "dialog")', () => {
    expect(wireShownVia(['terminal', 'dialog', 'notification', 'page'])).toEqual([
      'terminal',
      'notification',
      'page',
    ]);
  });
});

/** The x11 package ships no types; the adapter describes the little it uses (idle-time.x11-screensaver.ts). */
declare module 'x11' {
  const x11: unknown;
  export default x11;
}

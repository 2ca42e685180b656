/** X servers for tests: a bare Xvfb session (the agent's X11 adapters) and a seat desktop with a window manager. */
export { type SeatDesktop, startSeatDesktop } from './seat-desktop.js';
export { startX11Session, waitUntil, type X11Session } from './x11-session.js';

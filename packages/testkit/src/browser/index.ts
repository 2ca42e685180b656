/** Chromium for tests and benchmarks (which one, with which flags), and the built dashboard it opens. */
export { CHROMIUM_ARGS, chromiumLaunchOptions, DEFAULT_CHROMIUM } from './chromium.js';
export { dashboardPageRoutes, type RouteInfo } from './dashboard-routes.js';
export { builtWebApp } from './web-app.js';

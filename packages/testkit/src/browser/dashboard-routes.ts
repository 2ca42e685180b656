/**
 * The pages of the web app, as its router declares them in the dashboard's
 * source: what a browser test walks to check every page (the accessibility
 * check of issue #13), so a page added later is checked too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The dashboard's source, beside this package in the workspace. */
const DASHBOARD_SRC = join(import.meta.dirname, '../../../dashboard/src');

export interface RouteInfo {
  /** As the router declares it, e.g. /investigation/cases/:id. */
  readonly pattern: string;
  readonly file: string;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.tsx') ? [path] : [];
  });
}

/**
 * Every page route of the web app: the absolute paths of `<Route path=...>`,
 * and under a `/prefix/*` route the relative paths of the component it
 * renders. The catch-all redirect is not a page.
 */
export function dashboardPageRoutes(): RouteInfo[] {
  const files = sources(DASHBOARD_SRC).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const ROUTE = /<Route\s+(?:index\s+)?path="([^"]+)"\s+element=\{<(\w+)/g;
  const routes: RouteInfo[] = [];
  for (const file of files) {
    for (const [, path, component] of file.text.matchAll(ROUTE)) {
      if (!path!.startsWith('/')) continue;
      if (!path!.endsWith('/*')) {
        routes.push({ pattern: path!, file: file.path });
        continue;
      }
      const owner = files.find((each) => each.text.includes(`export function ${component}(`));
      if (!owner) throw new Error(`no file exports ${component}, rendered under ${path}`);
      const prefix = path!.slice(0, -1);
      for (const [, child] of owner.text.matchAll(ROUTE)) {
        if (!child!.startsWith('/')) routes.push({ pattern: `${prefix}${child}`, file: owner.path });
      }
    }
  }
  return routes.filter((route) => route.pattern !== '*');
}

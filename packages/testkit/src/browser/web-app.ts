/**
 * The built dashboard the collector serves (`pnpm build` makes it), found
 * through the dashboard package's `./dist` export.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built web app's index.html, or null when the dashboard is not built. */
export function builtWebApp(): string | null {
  try {
    const index = fileURLToPath(import.meta.resolve('@seatwatch/dashboard/dist'));
    return existsSync(index) ? index : null;
  } catch {
    // Node's resolver refuses an `exports` target that does not exist yet.
    return null;
  }
}

/** Runs a TypeScript file of this repository in a child Node process (sources, no build). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function tsNodeArgs(): string[] {
  return ['--conditions=seatwatch-source', '--import', require.resolve('tsx')];
}

/**
 * @seatwatch/testkit: the test support shared by the packages' tests, the
 * cross-package tests in test/ and the benchmarks in bench/. Each harness is
 * its own subpath (package.json `exports`); this entry holds what they all
 * use: the child processes a test file started, and a bounded poll.
 */
export { Children, hasExited, stopChild } from './children.js';
export { until } from './poll.js';

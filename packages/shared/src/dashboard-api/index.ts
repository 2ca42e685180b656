/**
 * The dashboard's HTTP API (issue #6), declared once: the server validates
 * and documents its routes with these schemas, the web app imports the types.
 */
export * from './agents.js';
export * from './anomalies.js';
export * from './auth.js';
export * from './board.js';
export * from './investigation.js';
export * from './projects.js';
export * from './reports.js';
export * from './seat.js';
export * from './users.js';

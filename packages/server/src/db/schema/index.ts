/** The whole schema. Add a file per area and export it here; then run drizzle-kit generate. */
export * from './access-records.js';
export * from './accounts.js';
export * from './agents.js';
export * from './anomalies.js';
export * from './anomaly-alerts.js';
export * from './anomaly-settings.js';
export * from './audit.js';
export * from './blob-uploads.js';
export * from './cases.js';
export * from './collector-processes.js';
export * from './desktop-sessions.js';
export * from './holds.js';
export * from './jobs.js';
export * from './self-view.js';
export * from './telemetry.js';
export * from './tenancy.js';

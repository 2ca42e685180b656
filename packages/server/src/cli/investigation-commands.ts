/**
 * The names and usage of the issue #7 CLI commands, apart from their code,
 * so that seatwatch-server loads the database and zip code only when one of
 * them runs (see investigation-cli.ts).
 */
export const INVESTIGATION_COMMANDS = new Set(['verify-audit', 'verify-bundle', 'offboard']);

export const INVESTIGATION_USAGE = `  verify-audit                            check the audit log's hash chain (names the first broken entry)
  verify-bundle <file> [--public-key K | --unpinned]
                                          verify an evidence bundle offline (K: base64 key or PEM file;
                                          default: this server's key; with none, it fails unless
                                          --unpinned accepts the bundle's own key: compare its fingerprint)
  offboard --project ID --out FILE --confirm NAME [--reason TEXT]
                                          export a project to a signed bundle, then purge its data`;

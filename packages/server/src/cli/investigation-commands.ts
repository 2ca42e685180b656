/**
 * The names and usage of the issue #7 CLI commands, apart from their code,
 * so that seatwatch-server loads the database and zip code only when one of
 * them runs (see investigation-cli.ts).
 */
export const INVESTIGATION_COMMANDS = new Set([
  'verify-audit',
  'verify-bundle',
  'server-key',
  'offboard',
  'db-roles',
]);

export const INVESTIGATION_USAGE = `  verify-audit [--checkpoints FILE]... [--head SEQ:HASH]... [--public-key K] [--tsa-ca PEM]
                                          check the audit log's hash chain (names the first broken entry);
                                          against signed checkpoints (default: the server's checkpoint file,
                                          when there is one) or heads noted by hand it also finds entries cut
                                          off the end and a rewritten chain (K pins the checkpoints' key;
                                          default: this server's key; PEM: the time-stamp authority's CA,
                                          to check the checkpoints' RFC 3161 time stamps too)
  db-roles --owner NAME --app NAME --database NAME
                                          print the SQL a PostgreSQL superuser runs once to make the owner
                                          role (runs migrate) and the application role (runs the server)
  verify-bundle <file> --public-key K | --fingerprint HEX | --unpinned
                                          verify an evidence bundle offline against the key named here
                                          and nowhere else (K: base64 key or PEM file; HEX: the key's
                                          SHA-256 fingerprint); with neither it fails, naming the
                                          fingerprint of the bundle's own key, which --unpinned accepts
  server-key                              print this server's public key and fingerprint, to publish
                                          for whoever checks its bundles
  offboard --project ID --out FILE --confirm NAME --by PERSON [--reason TEXT]
                                          export a project to a signed bundle, then purge its data
                                          (PERSON: who runs it, named with the OS account in the audit log)`;

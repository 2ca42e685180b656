/**
 * @seatwatch/testkit/server: the collector harness for the server's tests,
 * the end-to-end tests and the benchmarks.
 *
 *   const db = await createTestDatabase(kind);               // for kind of DB_KINDS; one per file
 *   const server = await startTestServer({ database: db });   // real app on 127.0.0.1:0
 *   const agent = await enrollTestAgent(server);               // real enrollment over HTTP
 *   const client = await connectAgent(server, agent, { localAddress: '127.0.0.2' });
 *   client.sendBatch(1, sampleEvents(3)); await client.ack(1);
 */
export { testJpeg } from './images.js';
export { type AgentRowLock, lockAgentRow } from './row-lock.js';
export { S3_TEST_CREDENTIALS, startS3Server, type TestS3Server } from './s3-server.js';
export { SEEDED_APPS, type SeatHistory, seedSeatHistory } from './seat-history.js';
export { type ServerProcess, type SpawnOptions, spawnServer } from './server-process.js';
export {
  type CloseInfo,
  type ConnectOptions,
  captureEvent,
  connectAgent,
  createTestProject,
  type EnrolledAgent,
  type EnrollOptions,
  enrollTestAgent,
  issueToken,
  type ServerEndpoint,
  sampleEvents,
  TestAgentClient,
  type TestProject,
} from './test-agent.js';
export {
  createPostgresDatabase,
  createTestDatabase,
  DB_KINDS,
  type DbKind,
  POSTGRES_ADMIN_URL,
  type TestDatabase,
  type TestDatabaseOptions,
} from './test-database.js';
export {
  type HttpAnswer,
  type HttpOptions,
  httpJson,
  type ServerIdentity,
  startConfiguredServer,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from './test-server.js';

-- The telemetry tables lose their foreign key to agents (issue #15, headroom). PostgreSQL checked it with one
-- query per inserted row (an SPI lookup of the agent and a KEY SHARE lock on its row, after the statement): at
-- 10,000 events a second, spans and device events on top, that was 7-14 % of the ingest statement's time. What
-- it gave is kept another way. Every row comes from an authenticated agent's connection, whose agent row
-- exists; the ingest statement stores a row only for an agent whose row its own update of agents found and
-- locked (ingest/ingest.repository.ts), so no row is stored for an agent that is gone, nor for one deleted while
-- the statement runs. What relied on ON DELETE CASCADE deletes explicitly: agents are deleted only with their
-- project (offboarding), which deletes the project's telemetry rows itself, the last of them in the transaction
-- that deletes the project and its agents. signed_frames keeps its key: it stores only held seats' frames, and
-- its cascade is what refuses deleting an agent whose frames a hold covers.
ALTER TABLE "events" DROP CONSTRAINT IF EXISTS "events_agent_id_agents_id_fk";
--> statement-breakpoint
ALTER TABLE "activity_spans" DROP CONSTRAINT IF EXISTS "activity_spans_agent_id_agents_id_fk";
--> statement-breakpoint
ALTER TABLE "device_events" DROP CONSTRAINT IF EXISTS "device_events_agent_id_agents_id_fk";
--> statement-breakpoint
ALTER TABLE "screenshots" DROP CONSTRAINT IF EXISTS "screenshots_agent_id_agents_id_fk";

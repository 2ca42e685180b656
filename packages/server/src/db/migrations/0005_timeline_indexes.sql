-- The investigation timeline's state section (issue #7): status changes of a seat in time order, without
-- walking every activity event of the seat. Partial, so the ingest path pays only for status events.
CREATE INDEX IF NOT EXISTS "events_seat_status_time_idx" ON "events" USING btree ("seat_id", "time") WHERE "type" = 'status';

-- Fewer index updates per stored row (issue #15, headroom): the (seat, os_user, time) indexes of 0013 serve no
-- query. The self-view filters a seat's rows by lower(os_user), which a plain os_user column cannot serve, and
-- the timeline reads a seat's rows by time (the seat/time indexes); the account a resumed connection starts
-- with is read through the (agent, seq, idx) key. Each index cost every event, span and screenshot insert a
-- B-tree insertion of a text-keyed entry. IF EXISTS: a database partitioned by 0015 has them as partitioned
-- indexes under the same names, and dropping one drops its partitions' indexes too.
DROP INDEX IF EXISTS "events_seat_os_user_time_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "activity_spans_seat_os_user_start_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "screenshots_seat_os_user_time_idx";

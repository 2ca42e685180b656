-- The telemetry tables that grow with every seat every day (events, activity_spans, device_events, screenshots)
-- become range-partitioned by the row's own time, one partition per UTC day (issue #15), so that retention drops
-- a whole day at once instead of deleting it row by row. Not partitioned: signed_frames (kept only for seats under
-- legal hold, so it does not grow with the floor, and its dedup key (agent, seq) has no time of the frame's own:
-- received_at differs on a resend), logins (a few rows a seat a day, and retention does not delete them).
--
-- A primary key or unique constraint of a partitioned table must include the partition key: id becomes
-- (id, time) (the identity still makes id unique), and each dedup key gets the time the frame itself carries
-- (a resent frame carries the same time, so it still conflicts). Each table keeps a DEFAULT partition, so no
-- insert ever fails for want of a day's partition (an agent's clock may be off by years: times up to 9999 are
-- stored, domain/ingest-mapping.ts).
--
-- Both functions run as their owner (SECURITY DEFINER): the application role owns no table and may not create
-- or drop one (docs/deployment.md, "Two database roles"); they do only the one thing each is named for.

-- Makes the daily partitions from first_day to last_day (UTC) that are missing, for every partitioned telemetry
-- table. Rows already in a table's DEFAULT partition for such a day (an agent whose clock ran ahead) move into
-- the new partition. A day whose table is busy (a lock not had within lock_timeout) is left for the next run.
CREATE FUNCTION "seatwatch_create_partitions"(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
  parent text;
  key text;
  day date;
  part text;
  lo timestamptz;
  hi timestamptz;
  in_default boolean;
  made integer := 0;
BEGIN
  IF last_day - first_day > 400 THEN
    RAISE EXCEPTION 'at most 400 days of partitions at once';
  END IF;
  FOR parent, key IN SELECT * FROM (VALUES ('events', 'time'), ('activity_spans', 'started_at'),
                                           ('device_events', 'time'), ('screenshots', 'time')) AS v(p, k)
  LOOP
    -- While migration 0015 converts the tables one by one, those not yet partitioned have none to make.
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(format('public.%I', parent)));
    day := first_day;
    WHILE day <= last_day LOOP
      part := format('%s_p%s', parent, to_char(day, 'YYYYMMDD'));
      IF to_regclass(format('public.%I', part)) IS NULL THEN
        lo := (day::text || ' 00:00:00+00')::timestamptz;
        hi := ((day + 1)::text || ' 00:00:00+00')::timestamptz;
        BEGIN
          EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)', parent || '_default', key, key)
            INTO in_default USING lo, hi;
          IF in_default THEN
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', part, parent);
            EXECUTE format('WITH gone AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) '
                           'INSERT INTO %I SELECT * FROM gone', parent || '_default', key, key, part) USING lo, hi;
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, lo, hi);
          ELSE
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, parent, lo, hi);
          END IF;
          made := made + 1;
        EXCEPTION WHEN lock_not_available THEN
          RAISE WARNING 'partition % not made now (its table was busy): the next maintenance makes it', part;
        END;
      END IF;
      day := day + 1;
    END LOOP;
  END LOOP;
  RETURN made;
END;
$$;
--> statement-breakpoint
-- Drops one daily partition that ends at or before `before` (retention's cutoff, which the caller computes from
-- every project's policy), and says what it deleted per project (screenshots: also the blob hashes the rows named,
-- so their bytes can go). Rows under legal hold stay: the seat held, the row's own flag, or a held case's time
-- range on its seat (the same conditions as retention/retention.repository.ts), and spans that end after `before`;
-- they are put back through the parent, where they land in the DEFAULT partition (their day has none any more).
-- The parent is locked against writes while this runs (reads go on), so no row arrives or is held in between.
CREATE FUNCTION "seatwatch_drop_partition"(part text, before timestamptz)
RETURNS TABLE (project_id text, deleted bigint, hashes text[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
#variable_conflict use_column
DECLARE
  parent text;
  bound text;
  hi timestamptz;
  keep text;
  hash_list text := '''{}''::text[]';
BEGIN
  SELECT p.relname::text, pg_get_expr(c.relpartbound, c.oid) INTO parent, bound
  FROM pg_class c
  JOIN pg_inherits i ON i.inhrelid = c.oid
  JOIN pg_class p ON p.oid = i.inhparent
  WHERE c.oid = to_regclass(format('public.%I', part))
    AND p.relname IN ('events', 'activity_spans', 'device_events', 'screenshots');
  IF parent IS NULL THEN
    RAISE EXCEPTION '% is not a partition of a telemetry table', part;
  END IF;
  hi := (regexp_match(bound, $r$TO \('([^']+)'\)$r$))[1]::timestamptz;
  IF hi IS NULL OR hi > before THEN
    RAISE EXCEPTION 'partition % does not end by %', part, before;
  END IF;
  keep := 't.legal_hold OR EXISTS (SELECT 1 FROM seats s WHERE s.id = t.seat_id AND s.legal_hold) '
       || 'OR EXISTS (SELECT 1 FROM case_items ci JOIN cases c ON c.id = ci.case_id '
       || 'WHERE c.legal_hold AND ci.seat_id = t.seat_id AND ci.kind = ''time_range'' AND '
       || CASE WHEN parent = 'activity_spans'
               THEN 't.started_at <= ci.range_to AND t.ended_at >= ci.range_from)'
               ELSE 't.time BETWEEN ci.range_from AND ci.range_to)' END
       || CASE WHEN parent = 'activity_spans' THEN format(' OR t.ended_at >= %L', before) ELSE '' END;
  IF parent = 'screenshots' THEN
    hash_list := 'array_remove(array_agg(DISTINCT t.sha256) || array_agg(DISTINCT t.thumb_sha256), NULL)';
  END IF;
  EXECUTE format('LOCK TABLE %I IN SHARE ROW EXCLUSIVE MODE', parent);
  DROP TABLE IF EXISTS seatwatch_kept_rows;
  EXECUTE format('CREATE TEMP TABLE seatwatch_kept_rows AS SELECT * FROM %I t WHERE %s', part, keep);
  RETURN QUERY EXECUTE format('SELECT t.project_id, count(*)::bigint, %s FROM %I t WHERE NOT (%s) GROUP BY t.project_id',
                              hash_list, part, keep);
  EXECUTE format('DROP TABLE %I', part);
  EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM seatwatch_kept_rows', parent);
  DROP TABLE seatwatch_kept_rows;
END;
$$;
--> statement-breakpoint
-- Turns one existing table into a partitioned one in place, keeping its rows, ids, indexes (whatever they are
-- when this runs: read from the catalog, not restated here) and foreign keys: the old table is renamed, its
-- indexes and constraints are dropped to free their names, the new table takes them (each unique key with the
-- partition key added), the rows move, and the old table goes. Days from the oldest row (at most 120 days back)
-- to a week ahead get their partitions before the rows move; older rows land in the DEFAULT partition.
CREATE FUNCTION "seatwatch_partition_table"(tbl text, key text) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  old text := tbl || '_unpartitioned';
  seq text;
  item record;
  indexes text[] := '{}';
  constraints text[] := '{}';
  definition text;
  oldest date;
  today date := (now() AT TIME ZONE 'UTC')::date;
BEGIN
  EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
  seq := pg_get_serial_sequence(format('public.%I', old), 'id');
  EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', seq, old || '_id_seq');
  FOR item IN SELECT ic.relname::text AS name, pg_get_indexdef(x.indexrelid) AS def
              FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
              WHERE x.indrelid = format('public.%I', old)::regclass
                AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
  LOOP
    indexes := indexes || replace(item.def, format(' ON public.%s ', old), format(' ON public.%I ', tbl));
    EXECUTE format('DROP INDEX %I', item.name);
  END LOOP;
  FOR item IN SELECT k.conname::text AS name, k.contype AS type, pg_get_constraintdef(k.oid) AS def
              FROM pg_constraint k
              WHERE k.conrelid = format('public.%I', old)::regclass AND k.contype IN ('p', 'u', 'f')
              ORDER BY k.contype DESC
  LOOP
    definition := item.def;
    IF item.type IN ('p', 'u') AND NOT definition ~ format('[(, ]"?%s"?[,)]', key) THEN
      definition := regexp_replace(definition, '\)$', format(', %I)', key));
    END IF;
    constraints := constraints || format('ALTER TABLE %I ADD CONSTRAINT %I %s', tbl, item.name, definition);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', old, item.name);
  END LOOP;
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING IDENTITY) PARTITION BY RANGE (%I)',
                 tbl, old, key);
  FOREACH definition IN ARRAY constraints LOOP
    EXECUTE definition;
  END LOOP;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
  EXECUTE format('SELECT min(%I) AT TIME ZONE ''UTC'' FROM %I', key, old) INTO oldest;
  oldest := least(greatest(coalesce(oldest, today - 1), today - 120), today - 1);
  PERFORM seatwatch_create_partitions(oldest, today + 7);
  EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I', tbl, old);
  EXECUTE format('SELECT setval(%L, coalesce((SELECT max(id) FROM %I), 0) + 1, false)',
                 pg_get_serial_sequence(format('public.%I', tbl), 'id'), tbl);
  FOREACH definition IN ARRAY indexes LOOP
    EXECUTE definition;
  END LOOP;
  EXECUTE format('DROP TABLE %I', old);
END;
$$;
--> statement-breakpoint
SELECT "seatwatch_partition_table"('events', 'time');
--> statement-breakpoint
SELECT "seatwatch_partition_table"('activity_spans', 'started_at');
--> statement-breakpoint
SELECT "seatwatch_partition_table"('device_events', 'time');
--> statement-breakpoint
SELECT "seatwatch_partition_table"('screenshots', 'time');
--> statement-breakpoint
DROP FUNCTION "seatwatch_partition_table"(text, text);

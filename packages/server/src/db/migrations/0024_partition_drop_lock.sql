-- A day's drop no longer stops the floor's writes while it reads the day (issue #15). Migration 0015's function
-- locked the whole parent table (events, say) against writes for all of its work: copying the held rows and
-- counting the day's rows and blob hashes, a scan of a day of the floor (1.3 million events at 1,000 seats), then
-- the drop. Every ingest commit waited behind it, once a day and table.
--
-- Now the read happens under a lock of the day's partition alone: writes to any other day go on, and none reach
-- the day being dropped, so the rows counted and kept are the rows that go. Only the drop itself locks the parent
-- (PostgreSQL takes an ACCESS EXCLUSIVE lock of the parent to drop a partition), together with putting the held
-- rows back. A drop waiting for that lock holds up every query of the parent that comes after it, so it waits at
-- most a second at a time and lets them through between tries; after ten tries the run fails (it is recorded so)
-- and the next run drops the day.
CREATE OR REPLACE FUNCTION "seatwatch_drop_partition"(part text, before timestamptz)
RETURNS TABLE (project_id text, deleted bigint, hashes text[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
#variable_conflict use_column
DECLARE
  parent text;
  bound text;
  hi timestamptz;
  keep text;
  hash_list text := '''{}''::text[]';
  tries integer := 0;
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
  -- The same conditions as retention/retention.repository.ts: the seat held, the row's own flag, or a held
  -- case's time range on its seat; and spans that end after `before`.
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
  -- Against writes to this day only (a row's own hold is a write too); reads of it go on.
  EXECUTE format('LOCK TABLE %I IN SHARE ROW EXCLUSIVE MODE', part);
  DROP TABLE IF EXISTS seatwatch_kept_rows;
  EXECUTE format('CREATE TEMP TABLE seatwatch_kept_rows AS SELECT * FROM %I t WHERE %s', part, keep);
  RETURN QUERY EXECUTE format('SELECT t.project_id, count(*)::bigint, %s FROM %I t WHERE NOT (%s) GROUP BY t.project_id',
                              hash_list, part, keep);
  LOOP
    BEGIN
      PERFORM set_config('lock_timeout', '1s', true);
      EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', parent);
      EXIT;
    EXCEPTION WHEN lock_not_available THEN
      tries := tries + 1;
      IF tries >= 10 THEN
        RAISE;
      END IF;
      PERFORM pg_sleep(0.2);
    END;
  END LOOP;
  EXECUTE format('DROP TABLE %I', part);
  EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM seatwatch_kept_rows', parent);
  DROP TABLE seatwatch_kept_rows;
END;
$$;

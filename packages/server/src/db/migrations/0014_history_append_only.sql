-- The history tables of issue #11 are append-only, like the audit log (0004): triggers refuse, for every role,
-- what would rewrite them, and migrate grants the application role only what the server does with them
-- (db/audit-protection.ts; why DELETE stays in two cases: docs/deployment.md, "Two database roles").
--
-- policy_history: no version of a policy is ever changed or removed, except with its whole project: offboarding
-- deletes the project row, whose cascade removes the project's versions, and by then the project is gone.
CREATE FUNCTION "policy_history_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM "projects" WHERE "id" = OLD."project_id") THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'policy_history is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "policy_history_no_update_delete" BEFORE UPDATE OR DELETE ON "policy_history"
  FOR EACH ROW EXECUTE FUNCTION "policy_history_append_only"();
--> statement-breakpoint
CREATE TRIGGER "policy_history_no_truncate" BEFORE TRUNCATE ON "policy_history"
  FOR EACH STATEMENT EXECUTE FUNCTION "policy_history_append_only"();
--> statement-breakpoint
-- signed_frames: a kept frame is never changed, and never removed while a hold covers its seat (the seat held
-- as a whole, or named by an item of a held case: the same seats the gateway keeps frames of). Retention and
-- offboarding still delete the frames no hold covers. One check per statement, over the rows it deleted, so a
-- retention batch of thousands of frames costs one query, not one per row.
CREATE FUNCTION "signed_frames_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'signed_frames is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE FUNCTION "signed_frames_keep_held"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  held_seat text;
BEGIN
  SELECT g."seat_id" INTO held_seat FROM "gone_frames" g
  WHERE EXISTS (SELECT 1 FROM "seats" s WHERE s."id" = g."seat_id" AND s."legal_hold")
     OR EXISTS (SELECT 1 FROM "cases" c JOIN "case_items" ci ON ci."case_id" = c."id"
                WHERE c."legal_hold" AND ci."seat_id" = g."seat_id")
  LIMIT 1;
  IF held_seat IS NOT NULL THEN
    RAISE EXCEPTION 'signed_frames: frames of seat % are under legal hold and cannot be deleted', held_seat
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "signed_frames_no_update" BEFORE UPDATE ON "signed_frames"
  FOR EACH ROW EXECUTE FUNCTION "signed_frames_append_only"();
--> statement-breakpoint
CREATE TRIGGER "signed_frames_no_truncate" BEFORE TRUNCATE ON "signed_frames"
  FOR EACH STATEMENT EXECUTE FUNCTION "signed_frames_append_only"();
--> statement-breakpoint
CREATE TRIGGER "signed_frames_keep_held" AFTER DELETE ON "signed_frames"
  REFERENCING OLD TABLE AS "gone_frames"
  FOR EACH STATEMENT EXECUTE FUNCTION "signed_frames_keep_held"();

-- Sequence numbers of the audit log never go back (issue #11). Before this, the next entry took max(seq) + 1,
-- so cutting entries off the end of the log let the next ones reuse their numbers and the cut left no trace.
-- The chain's head (last seq and hash) now lives in this one row, moved forward in the transaction that appends
-- an entry (rolled back with it, so no gap either), and never backward: a later entry after a cut links to the
-- cut entry's hash and leaves a gap that verify-audit names.
CREATE TABLE "audit_chain_head" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_chain_head_one_row" CHECK ("id")
);
--> statement-breakpoint
INSERT INTO "audit_chain_head" ("id", "seq", "hash")
	SELECT true, coalesce(max("seq"), 0),
		coalesce((SELECT "hash" FROM "audit_log" ORDER BY "seq" DESC LIMIT 1), repeat('0', 64))
	FROM "audit_log";
--> statement-breakpoint
CREATE FUNCTION "audit_chain_head_forward_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW."id" = OLD."id" AND NEW."seq" > OLD."seq" THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_chain_head only moves forward: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_chain_head_forward_only" BEFORE INSERT OR UPDATE OR DELETE ON "audit_chain_head"
	FOR EACH ROW EXECUTE FUNCTION "audit_chain_head_forward_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_chain_head_no_truncate" BEFORE TRUNCATE ON "audit_chain_head"
	FOR EACH STATEMENT EXECUTE FUNCTION "audit_chain_head_forward_only"();

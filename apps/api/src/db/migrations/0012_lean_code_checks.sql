-- Issue 18: a leaner write for every code check. The audit trail keeps only the indexes its queries
-- use (pnpm bench --audit-queries measures each on a million events); its rows are carried over as
-- they are. The event id (random, looked up by no query) loses its unique index; the team and position
-- become the key (the list's order); the actor's index keeps only events about someone else (the
-- subject's index finds a user's own); and account_id loses its foreign key, whose check share-locked
-- the team's account row at every event.
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_id_unique";--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_account_id_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_pkey";--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_pkey" PRIMARY KEY("account_id","seq");--> statement-breakpoint
DROP INDEX "audit_events_account_seq_idx";--> statement-breakpoint
DROP INDEX "audit_events_account_actor_seq_idx";--> statement-breakpoint
CREATE INDEX "audit_events_account_other_actor_seq_idx" ON "audit_events" USING btree ("account_id","actor_id","seq") WHERE actor_id is not null and actor_id is distinct from subject_id;--> statement-breakpoint
-- The rows a code check updates (none of their indexed columns): room on each page for the new
-- version, so the update stays heap-only and writes no index entry. New pages only; a VACUUM FULL
-- applies it to old ones.
ALTER TABLE "two_factors" SET (fillfactor = 80);--> statement-breakpoint
ALTER TABLE "code_attempt_budgets" SET (fillfactor = 70);--> statement-breakpoint
ALTER TABLE "sign_in_challenges" SET (fillfactor = 70);--> statement-breakpoint
ALTER TABLE "email_codes" SET (fillfactor = 80);--> statement-breakpoint
ALTER TABLE "sessions" SET (fillfactor = 80);

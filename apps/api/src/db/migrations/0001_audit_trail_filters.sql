CREATE INDEX "audit_events_account_subject_seq_idx" ON "audit_events" USING btree ("account_id","subject_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_account_actor_seq_idx" ON "audit_events" USING btree ("account_id","actor_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_account_type_seq_idx" ON "audit_events" USING btree ("account_id","type","seq");
-- When each row was last added to, to the millisecond: the fleet counts the instances that
-- serve a version now (seen in the last seconds), not only in the minute. Reads and streams
-- that name their client add rows of no uses, so that an instance is seen as soon as it
-- fetches a version, before it reports any use.
alter table usage_minutes add column last_seen integer not null default 0;
create index usage_by_prompt on usage_minutes (prompt_id, minute);

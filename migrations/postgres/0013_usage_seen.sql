-- When each row was last added to (see ../sqlite/0020_usage_seen.sql).
alter table usage_minutes add column last_seen bigint not null default 0;
create index usage_by_prompt on usage_minutes (prompt_id, minute);

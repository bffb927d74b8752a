-- Sessions also end after a while without use: the last request is kept (to the minute).
-- A session from before has none yet; its start counts instead.
alter table sessions add column last_used_at integer;

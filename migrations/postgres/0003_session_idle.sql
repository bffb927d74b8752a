-- Sessions also end after a while without use (see ../sqlite/0010_session_idle.sql).
alter table sessions add column last_used_at bigint;

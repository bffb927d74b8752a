-- A personal access token made only to abort rollouts (see ../sqlite/0021_abort_tokens.sql).
alter table access_tokens add column abort_only bigint not null default 0 check (abort_only in (0, 1));

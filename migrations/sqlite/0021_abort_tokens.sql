-- A personal access token made only to abort rollouts (for the automation that watches
-- one): it aborts the rollouts its member may abort, and is refused everything else.
alter table access_tokens add column abort_only integer not null default 0 check (abort_only in (0, 1));

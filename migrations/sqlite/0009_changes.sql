-- The change feed: one row for each committed change to what an instance keeps in memory
-- (what a prompt serves, an API key, a workspace's staging setting, an author's name).
-- Every instance follows it to keep its read model current; the highest revision it has
-- applied is its revision. Written by triggers, so no code path can forget it.
create table changes (
    revision integer primary key autoincrement,
    subject text not null check (subject in ('prompt', 'api_key', 'workspace', 'account')),
    subject_id integer not null,
    -- when it was written, in unix milliseconds
    at integer not null default (cast((julianday('now') - 2440587.5) * 86400000 as integer))
);

create trigger changes_on_pointer_move after update of live_number, staging_number on prompts
begin
    insert into changes (subject, subject_id) values ('prompt', new.id);
end;

-- publishing, and rewriting a draft that staging may serve
create trigger changes_on_version_update after update of status, source, message on versions
begin
    insert into changes (subject, subject_id) values ('prompt', new.prompt_id);
end;

create trigger changes_on_key_created after insert on api_keys
begin
    insert into changes (subject, subject_id) values ('api_key', new.id);
end;

create trigger changes_on_key_revoked after update of revoked_at on api_keys
begin
    insert into changes (subject, subject_id) values ('api_key', new.id);
end;

create trigger changes_on_staging_setting after update of staging_enabled on workspaces
begin
    insert into changes (subject, subject_id) values ('workspace', new.id);
end;

create trigger changes_on_rename after update of name on accounts
begin
    insert into changes (subject, subject_id) values ('account', new.id);
end;

-- Structured prompts: a prompt's type (text or chat), and a config saved with each version.
-- A chat version's messages are kept as their JSON in `source`, so the rules on `source`
-- below (frozen once published, followed by the change feed) cover them as they cover text.

alter table prompts add column kind text not null default 'text' check (kind in ('text', 'chat'));
alter table versions add column config text not null default '{}';
-- the version's {{variables}} as a JSON list, extracted by the vault when it is saved; null
-- for versions saved before this migration, until the vault fills them in at start-up
alter table versions add column variables text;

-- a prompt's type never changes
create trigger prompt_kind_kept before update of kind on prompts
when new.kind is not old.kind
begin
    select raise(abort, 'a prompt''s type never changes');
end;

-- a published version is frozen: its config too
drop trigger live_version_frozen;
create trigger live_version_frozen before update on versions
when old.status = 'live' and (
    new.source is not old.source or new.message is not old.message
    or new.config is not old.config
    or new.status is not old.status or new.number is not old.number
    or new.prompt_id is not old.prompt_id)
begin
    select raise(abort, 'a live version is frozen');
end;

-- a staged draft's new config is served at once, as its new source is
drop trigger changes_on_version_update;
create trigger changes_on_version_update after update of status, source, message, config on versions
begin
    insert into changes (subject, subject_id) values ('prompt', new.prompt_id);
end;

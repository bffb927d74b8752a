-- Structured prompts: a prompt's type (text or chat), and a config saved with each version.
-- A chat version's messages are kept as their JSON in `source`, so the rules on `source`
-- (frozen once published, followed by the change feed) cover them as they cover text.

alter table prompts add column kind text not null default 'text' check (kind in ('text', 'chat'));
alter table versions add column config text not null default '{}';
-- the version's {{variables}} as a JSON list, extracted by the vault when it is saved; null
-- for versions saved before this migration, until the vault fills them in at start-up
alter table versions add column variables text;

-- a prompt's type never changes
create function prompt_kind_kept() returns trigger language plpgsql as $$
begin
    if new.kind is distinct from old.kind then
        perform refuse('a prompt''s type never changes');
    end if;
    return new;
end $$;
create trigger prompt_kind_kept before update of kind on prompts
    for each row execute function prompt_kind_kept();

-- a published version is frozen: its config too
create or replace function versions_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and old.status = 'live' and (
        new.source is distinct from old.source or new.message is distinct from old.message
        or new.config is distinct from old.config
        or new.status is distinct from old.status or new.number is distinct from old.number
        or new.prompt_id is distinct from old.prompt_id) then
        perform refuse('a live version is frozen');
    end if;
    if tg_op = 'DELETE' then
        if old.status = 'live' then
            perform refuse('a live version cannot be deleted');
        end if;
        if exists (select 1 from prompts where id = old.prompt_id and staging_number = old.number) then
            perform refuse('clear the staging pointer before deleting its version');
        end if;
        return old;
    end if;
    return new;
end $$;

-- a staged draft's new config is served at once, as its new source is
create or replace function changes_on_version() returns trigger language plpgsql as $$
begin
    if new.status is distinct from old.status or new.source is distinct from old.source
        or new.message is distinct from old.message or new.config is distinct from old.config then
        perform record_change('prompt', new.prompt_id);
    end if;
    return new;
end $$;

-- The change feed (see ../sqlite/0009_changes.sql), and its order across instances.
--
-- Instances read a feed from the last entry they applied ("seq > n"), so an entry must never
-- become visible after a later one: with writers side by side, a sequence number taken
-- first can commit last. Every transaction that writes a feed entry first takes one
-- transaction-scoped advisory lock, held until it commits, so the feeds' entries commit in
-- the order of their numbers. The lock is taken after the row locks of the change (the
-- vault locks a prompt's row before it touches its versions), so the order is always row
-- locks, then the feed, and two writers cannot wait on each other.
--
-- Each entry also notifies the channel `promptvault_changes` (sent at commit), which wakes
-- the other instances at once.

create function feed_turn() returns void language plpgsql as $$
begin
    perform pg_advisory_xact_lock(7262001);
end $$;

create table changes (
    revision bigserial primary key,
    subject text not null check (subject in ('prompt', 'api_key', 'workspace', 'account')),
    subject_id bigint not null,
    at bigint not null default (extract(epoch from clock_timestamp()) * 1000)::bigint
);

create function record_change(subject text, subject_id bigint) returns void language plpgsql as $$
begin
    perform feed_turn();
    insert into changes (subject, subject_id) values (subject, subject_id);
    perform pg_notify('promptvault_changes', subject);
end $$;

create function changes_on_prompt() returns trigger language plpgsql as $$
begin
    if new.live_number is distinct from old.live_number or new.staging_number is distinct from old.staging_number then
        perform record_change('prompt', new.id);
    end if;
    return new;
end $$;
create trigger changes_on_prompt after update on prompts for each row execute function changes_on_prompt();

create function changes_on_version() returns trigger language plpgsql as $$
begin
    if new.status is distinct from old.status or new.source is distinct from old.source
        or new.message is distinct from old.message then
        perform record_change('prompt', new.prompt_id);
    end if;
    return new;
end $$;
create trigger changes_on_version after update on versions for each row execute function changes_on_version();

create function changes_on_api_key() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' or new.revoked_at is distinct from old.revoked_at then
        perform record_change('api_key', new.id);
    end if;
    return new;
end $$;
create trigger changes_on_api_key after insert or update on api_keys
    for each row execute function changes_on_api_key();

create function changes_on_workspace() returns trigger language plpgsql as $$
begin
    if new.staging_enabled is distinct from old.staging_enabled then
        perform record_change('workspace', new.id);
    end if;
    return new;
end $$;
create trigger changes_on_workspace after update on workspaces
    for each row execute function changes_on_workspace();

create function changes_on_account() returns trigger language plpgsql as $$
begin
    if new.name is distinct from old.name then
        perform record_change('account', new.id);
    end if;
    return new;
end $$;
create trigger changes_on_account after update on accounts
    for each row execute function changes_on_account();

-- The search feed takes the same turn, and wakes the other instances' indexers.
create or replace function version_changes_feed() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        perform feed_turn();
        insert into version_changes (version_id) values (old.id);
        perform pg_notify('promptvault_changes', 'search');
        return old;
    end if;
    if tg_op = 'INSERT' or new.message is distinct from old.message or new.author_id is distinct from old.author_id then
        perform feed_turn();
        insert into version_changes (version_id) values (new.id);
        perform pg_notify('promptvault_changes', 'search');
    end if;
    return new;
end $$;

create or replace function version_changes_on_account_rename() returns trigger language plpgsql as $$
begin
    if new.name is distinct from old.name then
        perform feed_turn();
        insert into version_changes (version_id) select id from versions where author_id = new.id;
        perform pg_notify('promptvault_changes', 'search');
    end if;
    return new;
end $$;

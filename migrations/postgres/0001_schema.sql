-- The PostgreSQL schema: the same tables, columns and rules as the SQLite migrations reach
-- (see ../sqlite), written in its final shape. Ids and times are bigint (times are unix
-- milliseconds), so the vault reads every integer the same way on both backends. Never edit
-- this file once released: add a new migration instead.

create table workspaces (
    id bigserial primary key,
    name text not null,
    staging_enabled bigint not null default 0 check (staging_enabled in (0, 1)),
    live_changes text not null default 'editors' check (live_changes in ('editors', 'admins', 'review')),
    created_at bigint not null
);

create table accounts (
    id bigserial primary key,
    email text not null unique,
    name text not null,
    password_hash text not null,
    created_at bigint not null
);

create table members (
    id bigserial primary key,
    workspace_id bigint not null references workspaces (id),
    account_id bigint not null references accounts (id),
    role text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
    joined_at bigint not null,
    last_seen_at bigint,
    removed_at bigint,
    unique (workspace_id, account_id)
);
create index members_by_account on members (account_id);

create table sessions (
    token_hash text primary key,
    account_id bigint not null references accounts (id) on delete cascade,
    created_at bigint not null,
    expires_at bigint not null,
    workspace_id bigint references workspaces (id)
);

create table access_tokens (
    id bigserial primary key,
    account_id bigint not null references accounts (id) on delete cascade,
    name text not null,
    token_hash text not null unique,
    last_four text not null,
    created_at bigint not null,
    last_used_at bigint,
    revoked_at bigint,
    workspace_id bigint references workspaces (id)
);

create table invitations (
    id bigserial primary key,
    workspace_id bigint not null references workspaces (id),
    email text not null,
    role text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
    token_hash text not null unique,
    invited_by bigint not null references accounts (id),
    created_at bigint not null,
    expires_at bigint not null,
    accepted_at bigint,
    accepted_by bigint references accounts (id),
    revoked_at bigint
);
create index invitations_by_workspace on invitations (workspace_id, id);

create table prompts (
    id bigserial primary key,
    workspace_id bigint not null references workspaces (id),
    name text not null,
    last_number bigint not null default 0,
    live_number bigint,
    staging_number bigint,
    created_at bigint not null,
    updated_at bigint not null,
    unique (workspace_id, name)
);

create table versions (
    id bigserial primary key,
    prompt_id bigint not null references prompts (id),
    number bigint not null,
    status text not null check (status in ('draft', 'live')),
    source text not null,
    message text not null,
    author_id bigint not null references accounts (id),
    created_at bigint not null,
    revision bigint not null default 1,
    unique (prompt_id, number)
);

create table pointer_moves (
    id bigserial primary key,
    prompt_id bigint not null references prompts (id),
    channel text not null check (channel in ('live', 'staging')),
    from_number bigint,
    to_number bigint,
    actor_id bigint not null references accounts (id),
    at bigint not null,
    event_id text not null unique,
    requested_by bigint references accounts (id)
);
create index pointer_moves_by_prompt on pointer_moves (prompt_id, id);

create table server_secrets (
    name text primary key,
    value text not null
);

create table api_keys (
    id bigserial primary key,
    workspace_id bigint not null references workspaces (id),
    kind text not null check (kind in ('live', 'test')),
    name text not null,
    token_hash text not null unique,
    last_four text not null,
    created_by bigint not null references accounts (id),
    created_at bigint not null,
    last_used_at bigint,
    revoked_at bigint
);
create index api_keys_by_workspace on api_keys (workspace_id, id);

-- the search feed: every version written, in order
create table version_changes (
    seq bigserial primary key,
    version_id bigint not null
);

create table webhooks (
    id bigserial primary key,
    workspace_id bigint not null references workspaces (id),
    url text not null,
    events text not null,
    enabled bigint not null default 1 check (enabled in (0, 1)),
    secret text not null,
    consecutive_failures bigint not null default 0,
    disabled_reason text,
    created_by bigint not null references accounts (id),
    created_at bigint not null,
    updated_at bigint not null
);
create index webhooks_by_workspace on webhooks (workspace_id, id);

create table events (
    id text primary key,
    workspace_id bigint not null references workspaces (id),
    type text not null,
    body text not null,
    created_at bigint not null
);

create table deliveries (
    id bigserial primary key,
    event_id text not null references events (id),
    webhook_id bigint not null references webhooks (id) on delete cascade,
    state text not null check (state in ('pending', 'delivered', 'failed')),
    attempts bigint not null default 0,
    next_attempt_at bigint not null,
    created_at bigint not null,
    unique (event_id, webhook_id)
);
create index deliveries_due on deliveries (state, next_attempt_at);
create index deliveries_by_webhook on deliveries (webhook_id, id);

create table delivery_attempts (
    id bigserial primary key,
    delivery_id bigint not null references deliveries (id) on delete cascade,
    attempt bigint not null,
    at bigint not null,
    status_code bigint,
    duration_ms bigint not null,
    error text
);
create index delivery_attempts_by_delivery on delivery_attempts (delivery_id, id);

create table activity (
    id bigserial primary key,
    workspace_id bigint not null references workspaces (id),
    at bigint not null,
    actor_id bigint not null references accounts (id),
    kind text not null,
    prompt text,
    details text not null
);
create index activity_by_workspace on activity (workspace_id, id);

create table requests (
    id bigserial primary key,
    workspace_id bigint not null references workspaces (id),
    prompt_id bigint not null references prompts (id),
    action text not null check (action in ('promote', 'rollback')),
    number bigint not null,
    note text not null,
    state text not null default 'open' check (state in ('open', 'applied', 'rejected', 'cancelled', 'stale')),
    requested_by bigint not null references accounts (id),
    created_at bigint not null,
    decided_by bigint references accounts (id),
    decided_at bigint,
    decision_note text
);
create index requests_by_workspace on requests (workspace_id, state, id);
create index requests_by_version on requests (prompt_id, number);

-- The database backs the rules the vault enforces, as the SQLite triggers do.

create function refuse(message text) returns void language plpgsql as $$
begin
    raise exception '%', message using errcode = 'check_violation';
end $$;

create function versions_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and old.status = 'live' and (
        new.source is distinct from old.source or new.message is distinct from old.message
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
create trigger versions_guard before update or delete on versions
    for each row execute function versions_guard();

create function pointers_guard() returns trigger language plpgsql as $$
begin
    if new.live_number is distinct from old.live_number and new.live_number is not null
        and coalesce((select status from versions where prompt_id = new.id and number = new.live_number), '') <> 'live' then
        perform refuse('the live pointer must point at a live version');
    end if;
    if new.staging_number is distinct from old.staging_number and new.staging_number is not null
        and not exists (select 1 from versions where prompt_id = new.id and number = new.staging_number) then
        perform refuse('the staging pointer must point at an existing version');
    end if;
    return new;
end $$;
create trigger pointers_guard before update on prompts for each row execute function pointers_guard();

create function last_owner_kept() returns trigger language plpgsql as $$
begin
    if old.role = 'owner' and old.removed_at is null
        and (new.role <> 'owner' or new.removed_at is not null)
        and not exists (select 1 from members where workspace_id = old.workspace_id and id <> old.id
                        and role = 'owner' and removed_at is null) then
        perform refuse('a workspace keeps at least one owner');
    end if;
    return new;
end $$;
create trigger last_owner_kept before update on members for each row execute function last_owner_kept();

create function request_approved_by_another() returns trigger language plpgsql as $$
begin
    if new.state = 'applied' and new.decided_by = new.requested_by then
        perform refuse('a request is approved by someone other than its requester');
    end if;
    return new;
end $$;
create trigger request_approved_by_another before update on requests
    for each row execute function request_approved_by_another();

-- the search feed, written in the same transaction as the version
create function version_changes_feed() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        insert into version_changes (version_id) values (old.id);
        return old;
    end if;
    if tg_op = 'INSERT' or new.message is distinct from old.message or new.author_id is distinct from old.author_id then
        insert into version_changes (version_id) values (new.id);
    end if;
    return new;
end $$;
create trigger version_changes_feed after insert or update or delete on versions
    for each row execute function version_changes_feed();

create function version_changes_on_account_rename() returns trigger language plpgsql as $$
begin
    if new.name is distinct from old.name then
        insert into version_changes (version_id) select id from versions where author_id = new.id;
    end if;
    return new;
end $$;
create trigger version_changes_on_account_rename after update on accounts
    for each row execute function version_changes_on_account_rename();

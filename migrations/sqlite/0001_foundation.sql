-- The foundation: workspaces, members and their credentials, prompts, versions and the
-- history of pointer moves. Times are unix milliseconds. Never edit this file once
-- released: add a new migration instead.

create table workspaces (
    id integer primary key,
    name text not null,
    -- Settings -> Enable staging; off for a new workspace
    staging_enabled integer not null default 0 check (staging_enabled in (0, 1)),
    created_at integer not null
);

create table members (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    email text not null unique,
    name text not null,
    role text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
    password_hash text not null,
    created_at integer not null
);

-- browser sessions; only a hash of each token is kept
create table sessions (
    token_hash text primary key,
    member_id integer not null references members (id) on delete cascade,
    created_at integer not null,
    expires_at integer not null
);

-- personal access tokens (pv_pat_...); only a hash of each token is kept
create table access_tokens (
    id integer primary key,
    member_id integer not null references members (id) on delete cascade,
    name text not null,
    token_hash text not null unique,
    last_four text not null,
    created_at integer not null,
    last_used_at integer,
    revoked_at integer
);

create table prompts (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    name text not null,
    -- the last version number handed out: numbers are never reused, not even after a
    -- draft is deleted
    last_number integer not null default 0,
    live_number integer,
    staging_number integer,
    created_at integer not null,
    updated_at integer not null,
    unique (workspace_id, name)
);

create table versions (
    id integer primary key,
    prompt_id integer not null references prompts (id),
    number integer not null,
    status text not null check (status in ('draft', 'live')),
    source text not null,
    message text not null,
    author_id integer not null references members (id),
    created_at integer not null,
    -- bumped by every rewrite of a draft: a stale edit names an older revision
    revision integer not null default 1,
    unique (prompt_id, number)
);

-- every move of a live or staging pointer: who, when, from which version to which
create table pointer_moves (
    id integer primary key,
    prompt_id integer not null references prompts (id),
    channel text not null check (channel in ('live', 'staging')),
    from_number integer,
    to_number integer,
    actor_id integer not null references members (id),
    at integer not null,
    event_id text not null unique
);
create index pointer_moves_by_prompt on pointer_moves (prompt_id, id);

-- server-wide secrets shared by every instance on this database (the cookie signing key)
create table server_secrets (
    name text primary key,
    value text not null
);

-- The database backs the rules the vault enforces, so no code path can break them.

-- a published version is frozen: no change to its source, message, number or status
create trigger live_version_frozen before update on versions
when old.status = 'live' and (
    new.source is not old.source or new.message is not old.message
    or new.status is not old.status or new.number is not old.number
    or new.prompt_id is not old.prompt_id)
begin
    select raise(abort, 'a live version is frozen');
end;

-- a published version can never be deleted
create trigger live_version_kept before delete on versions
when old.status = 'live'
begin
    select raise(abort, 'a live version cannot be deleted');
end;

-- the live pointer always points at a published version of its own prompt
create trigger live_pointer_on_live_version before update of live_number on prompts
when new.live_number is not null and coalesce(
    (select status from versions where prompt_id = new.id and number = new.live_number), '') <> 'live'
begin
    select raise(abort, 'the live pointer must point at a live version');
end;

-- the staging pointer always points at an existing version of its own prompt
create trigger staging_pointer_on_version before update of staging_number on prompts
when new.staging_number is not null and not exists (
    select 1 from versions where prompt_id = new.id and number = new.staging_number)
begin
    select raise(abort, 'the staging pointer must point at an existing version');
end;

-- deleting the version staging points at must clear staging in the same transaction
create trigger staged_version_kept before delete on versions
when exists (select 1 from prompts where id = old.prompt_id and staging_number = old.number)
begin
    select raise(abort, 'clear the staging pointer before deleting its version');
end;

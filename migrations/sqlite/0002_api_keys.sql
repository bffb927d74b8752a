-- API keys: what applications read prompts with. Only a hash of each token is kept.
create table api_keys (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    -- live keys read the live pointer; test keys read staging, falling back to live
    kind text not null check (kind in ('live', 'test')),
    name text not null,
    token_hash text not null unique,
    last_four text not null,
    created_by integer not null references members (id),
    created_at integer not null,
    -- written from memory in batches, not on every read
    last_used_at integer,
    revoked_at integer
);
create index api_keys_by_workspace on api_keys (workspace_id, id);

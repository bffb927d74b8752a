-- Integrations: webhooks, the outbox of events, and every delivery and attempt.

create table webhooks (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    url text not null,
    -- the event types it receives, space-separated
    events text not null,
    enabled integer not null default 1 check (enabled in (0, 1)),
    -- kept as is: the server signs every delivery with it
    secret text not null,
    -- failed attempts in a row, across deliveries; reset by a success
    consecutive_failures integer not null default 0,
    -- why the server disabled it, if it did
    disabled_reason text,
    created_by integer not null references members (id),
    created_at integer not null,
    updated_at integer not null
);
create index webhooks_by_workspace on webhooks (workspace_id, id);

-- The outbox: each event is written in the same transaction as the change that caused it,
-- with the exact body every webhook receives.
create table events (
    id text primary key,
    workspace_id integer not null references workspaces (id),
    type text not null,
    body text not null,
    created_at integer not null
);

-- One delivery per event and webhook, made with the event; pending until a 2xx answer or
-- until its retries run out.
create table deliveries (
    id integer primary key,
    event_id text not null references events (id),
    webhook_id integer not null references webhooks (id) on delete cascade,
    state text not null check (state in ('pending', 'delivered', 'failed')),
    attempts integer not null default 0,
    -- when a pending delivery is next due (a worker sending it pushes this forward first,
    -- so a crash mid-send retries it rather than losing it)
    next_attempt_at integer not null,
    created_at integer not null,
    unique (event_id, webhook_id)
);
create index deliveries_due on deliveries (state, next_attempt_at);
create index deliveries_by_webhook on deliveries (webhook_id, id);

create table delivery_attempts (
    id integer primary key,
    delivery_id integer not null references deliveries (id) on delete cascade,
    attempt integer not null,
    at integer not null,
    status_code integer,
    duration_ms integer not null,
    error text
);
create index delivery_attempts_by_delivery on delivery_attempts (delivery_id, id);

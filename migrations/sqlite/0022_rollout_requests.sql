-- Under review a rollout is requested: action 'rollout' names the label and the new version,
-- and `rollout` holds what it asks, as JSON {"percent", "schedule", "guard"} (approving it
-- starts the rollout, or sets the share of the one running to that version). SQLite
-- changes a check by rebuilding the table.
drop trigger draft_under_review_frozen;
drop trigger request_approved_by_another;
create table requests_rebuilt (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    prompt_id integer not null references prompts (id),
    action text not null check (action in ('promote', 'rollback', 'move', 'rollout')),
    number integer not null,
    note text not null,
    state text not null default 'open'
        check (state in ('open', 'applied', 'rejected', 'cancelled', 'stale')),
    requested_by integer not null references accounts (id),
    created_at integer not null,
    decided_by integer references accounts (id),
    decided_at integer,
    decision_note text,
    -- the label a move or a rollout asks for; null for promote and rollback (live)
    label text,
    -- what a rollout asks
    rollout text,
    check ((action in ('move', 'rollout')) = (label is not null)),
    check ((action = 'rollout') = (rollout is not null))
);
insert into requests_rebuilt (id, workspace_id, prompt_id, action, number, note, state, requested_by, created_at,
                              decided_by, decided_at, decision_note, label)
    select id, workspace_id, prompt_id, action, number, note, state, requested_by, created_at,
           decided_by, decided_at, decision_note, label from requests;
drop table requests;
alter table requests_rebuilt rename to requests;
create index requests_by_workspace on requests (workspace_id, state, id);
create index requests_by_version on requests (prompt_id, number);

create trigger request_approved_by_another before update of decided_by on requests
when new.state = 'applied' and new.decided_by = new.requested_by
begin
    select raise(abort, 'a request is approved by someone other than its requester');
end;

-- a draft an open request would publish (a promote, a move of a protected label, a rollout)
-- is frozen until the request is decided
create trigger draft_under_review_frozen before update of source, message, config on versions
when old.status = 'draft' and exists (
    select 1 from requests r where r.prompt_id = old.prompt_id and r.number = old.number
    and r.action in ('promote', 'move', 'rollout') and r.state = 'open')
begin
    select raise(abort, 'a draft under review is frozen');
end;

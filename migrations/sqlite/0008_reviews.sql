-- Who changes live: editors (the default), admins only, or review by a second person. Under
-- review, promote and rollback are requests that another entitled member approves.
alter table workspaces add column live_changes text not null default 'editors'
    check (live_changes in ('editors', 'admins', 'review'));

create table requests (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    prompt_id integer not null references prompts (id),
    action text not null check (action in ('promote', 'rollback')),
    number integer not null,
    note text not null,
    state text not null default 'open'
        check (state in ('open', 'applied', 'rejected', 'cancelled', 'stale')),
    requested_by integer not null references accounts (id),
    created_at integer not null,
    decided_by integer references accounts (id),
    decided_at integer,
    decision_note text
);
create index requests_by_workspace on requests (workspace_id, state, id);
create index requests_by_version on requests (prompt_id, number);

-- nobody approves their own request
create trigger request_approved_by_another before update of decided_by on requests
when new.state = 'applied' and new.decided_by = new.requested_by
begin
    select raise(abort, 'a request is approved by someone other than its requester');
end;

-- a pointer move made by approving a request names the requester too
alter table pointer_moves add column requested_by integer references accounts (id);

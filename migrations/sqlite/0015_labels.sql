-- Labels: named pointers per prompt beyond the built-in live and staging (which stay
-- prompts.live_number and staging_number, so nothing any key reads changes), and tags.

-- a workspace's own labels and their rules; live and staging are built in, not rows
create table labels (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    name text not null,
    -- 1: points only at published versions (moving it to a draft publishes the draft)
    protected integer not null check (protected in (0, 1)),
    -- who moves it: editors, admins, or anyone who may edit, by a request another approves
    rule text not null check (rule in ('editors', 'admins', 'review')),
    -- what its keys read where it points nowhere: live, or nothing
    fallback text check (fallback in ('live')),
    created_at integer not null,
    unique (workspace_id, name)
);

-- where each label points, per prompt: one version per label and prompt at most
create table prompt_labels (
    prompt_id integer not null references prompts (id),
    label_id integer not null references labels (id),
    number integer not null,
    primary key (prompt_id, label_id),
    foreign key (prompt_id, number) references versions (prompt_id, number)
);
create index prompt_labels_by_label on prompt_labels (label_id);

-- a protected label points only at published versions
create trigger protected_label_on_live_version before insert on prompt_labels
when (select protected from labels where id = new.label_id) = 1 and coalesce(
    (select status from versions where prompt_id = new.prompt_id and number = new.number), '') <> 'live'
begin
    select raise(abort, 'a protected label must point at a published version');
end;

create trigger protected_label_moved_on_live_version before update on prompt_labels
when (select protected from labels where id = new.label_id) = 1 and coalesce(
    (select status from versions where prompt_id = new.prompt_id and number = new.number), '') <> 'live'
begin
    select raise(abort, 'a protected label must point at a published version');
end;

-- protecting a label that points at a draft somewhere would break the rule above
create trigger label_protected_over_drafts before update of protected on labels
when new.protected = 1 and exists (
    select 1 from prompt_labels pl join versions v on v.prompt_id = pl.prompt_id and v.number = pl.number
    where pl.label_id = new.id and v.status = 'draft')
begin
    select raise(abort, 'a protected label must point at a published version');
end;

-- deleting a version a label points at must move the label off it in the same transaction
create trigger labelled_version_kept before delete on versions
when exists (select 1 from prompt_labels where prompt_id = old.prompt_id and number = old.number)
begin
    select raise(abort, 'move its labels off a version before deleting it');
end;

-- what a key reads changes with a label's pointer, and with the label's rules
create trigger changes_on_label_move after insert on prompt_labels
begin
    insert into changes (subject, subject_id) values ('prompt', new.prompt_id);
end;

create trigger changes_on_label_moved after update on prompt_labels
begin
    insert into changes (subject, subject_id) values ('prompt', new.prompt_id);
end;

create trigger changes_on_label_cleared after delete on prompt_labels
begin
    insert into changes (subject, subject_id) values ('prompt', old.prompt_id);
end;

create trigger changes_on_label_made after insert on labels
begin
    insert into changes (subject, subject_id) values ('workspace', new.workspace_id);
end;

create trigger changes_on_label_changed after update on labels
begin
    insert into changes (subject, subject_id) values ('workspace', new.workspace_id);
end;

create trigger changes_on_label_deleted after delete on labels
begin
    insert into changes (subject, subject_id) values ('workspace', old.workspace_id);
end;

-- a key reads a label by name; null: by its kind (live keys live, test keys staging)
alter table api_keys add column label text;

-- every move of every label: pointer_moves names the label (it named live or staging)
create table pointer_moves_rebuilt (
    id integer primary key,
    prompt_id integer not null references prompts (id),
    label text not null check (label <> ''),
    from_number integer,
    to_number integer,
    actor_id integer not null references accounts (id),
    at integer not null,
    event_id text not null unique,
    requested_by integer references accounts (id)
);
insert into pointer_moves_rebuilt (id, prompt_id, label, from_number, to_number, actor_id, at, event_id, requested_by)
    select id, prompt_id, channel, from_number, to_number, actor_id, at, event_id, requested_by from pointer_moves;
drop table pointer_moves;
alter table pointer_moves_rebuilt rename to pointer_moves;
create index pointer_moves_by_prompt on pointer_moves (prompt_id, id);

-- a request may ask to move any label: action 'move' names it (promote and rollback are live's)
drop trigger draft_under_review_frozen;
drop trigger request_approved_by_another;
create table requests_rebuilt (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    prompt_id integer not null references prompts (id),
    action text not null check (action in ('promote', 'rollback', 'move')),
    number integer not null,
    note text not null,
    state text not null default 'open'
        check (state in ('open', 'applied', 'rejected', 'cancelled', 'stale')),
    requested_by integer not null references accounts (id),
    created_at integer not null,
    decided_by integer references accounts (id),
    decided_at integer,
    decision_note text,
    -- the label a move asks for; null for promote and rollback (live)
    label text,
    check ((action = 'move') = (label is not null))
);
insert into requests_rebuilt (id, workspace_id, prompt_id, action, number, note, state, requested_by, created_at,
                              decided_by, decided_at, decision_note)
    select id, workspace_id, prompt_id, action, number, note, state, requested_by, created_at,
           decided_by, decided_at, decision_note from requests;
drop table requests;
alter table requests_rebuilt rename to requests;
create index requests_by_workspace on requests (workspace_id, state, id);
create index requests_by_version on requests (prompt_id, number);

create trigger request_approved_by_another before update of decided_by on requests
when new.state = 'applied' and new.decided_by = new.requested_by
begin
    select raise(abort, 'a request is approved by someone other than its requester');
end;

-- a draft an open request would publish (a promote, or a move of a protected label) is
-- frozen until the request is decided
create trigger draft_under_review_frozen before update of source, message, config on versions
when old.status = 'draft' and exists (
    select 1 from requests r where r.prompt_id = old.prompt_id and r.number = old.number
    and r.action in ('promote', 'move') and r.state = 'open')
begin
    select raise(abort, 'a draft under review is frozen');
end;

-- a prompt's tags, in the order given
create table prompt_tags (
    prompt_id integer not null references prompts (id),
    tag text not null,
    position integer not null,
    primary key (prompt_id, tag)
);
create index prompt_tags_by_tag on prompt_tags (tag);

-- the Langfuse API serves a prompt's tags from memory
create trigger changes_on_tagged after insert on prompt_tags
begin
    insert into changes (subject, subject_id) values ('prompt', new.prompt_id);
end;

create trigger changes_on_untagged after delete on prompt_tags
begin
    insert into changes (subject, subject_id) values ('prompt', old.prompt_id);
end;

-- search finds a prompt's versions by its tags: a new list of tags (written from its first,
-- position 0) indexes them again
create trigger version_changes_on_tagged after insert on prompt_tags when new.position = 0
begin
    insert into version_changes (version_id) select id from versions where prompt_id = new.prompt_id;
end;

create trigger version_changes_on_untagged after delete on prompt_tags when old.position = 0
begin
    insert into version_changes (version_id) select id from versions where prompt_id = old.prompt_id;
end;

-- The activity log: every change in a workspace, who made it, when, and its details (JSON),
-- written in the same transaction as the change. `prompt` names the prompt a change
-- concerns (prompts are never renamed). Read newest first by id, per workspace.
create table activity (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    at integer not null,
    actor_id integer not null references members (id),
    kind text not null,
    prompt text,
    details text not null
);

create index activity_by_workspace on activity (workspace_id, id);

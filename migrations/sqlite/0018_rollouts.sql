-- Rollouts: a protected label of a prompt split between its version (`from`) and one newer
-- published version (`to`), at a share of units in basis points (0.01 %). A unit's side is a
-- hash of the rollout's seed, the prompt and the unit against that share, so it keeps its
-- version as the share grows. One running rollout per prompt and label; a completed or
-- aborted one stays as history.
create table rollouts (
    id integer primary key,
    prompt_id integer not null references prompts (id),
    label text not null,
    from_number integer not null,
    to_number integer not null,
    basis_points integer not null check (basis_points between 0 and 10000),
    seed text not null,
    state text not null check (state in ('running', 'completed', 'aborted')),
    -- the steps still to come, as JSON [{"percent", "after_minutes"}…], and when the next is due
    schedule text,
    next_step_at integer,
    -- the automatic stop, as JSON {"max_failure_increase", "min_uses"}
    guard text,
    -- why it was aborted
    reason text,
    started_by integer not null references accounts (id),
    started_at integer not null,
    ended_at integer,
    foreign key (prompt_id, from_number) references versions (prompt_id, number),
    foreign key (prompt_id, to_number) references versions (prompt_id, number),
    check (to_number <> from_number)
);
create unique index one_running_rollout on rollouts (prompt_id, label) where state = 'running';
create index rollouts_due on rollouts (next_step_at) where state = 'running';

-- both sides are published versions
create trigger rollout_on_published_versions before insert on rollouts
when coalesce((select status from versions where prompt_id = new.prompt_id and number = new.from_number), '') <> 'live'
    or coalesce((select status from versions where prompt_id = new.prompt_id and number = new.to_number), '') <> 'live'
begin
    select raise(abort, 'a rollout splits a label between two published versions');
end;

-- an ended rollout stays as it ended
create trigger rollout_ended_kept before update on rollouts
when old.state <> 'running'
begin
    select raise(abort, 'an ended rollout does not change');
end;

-- what a key reads changes with the split
create trigger changes_on_rollout_started after insert on rollouts
begin
    insert into changes (subject, subject_id) values ('prompt', new.prompt_id);
end;

create trigger changes_on_rollout_changed after update on rollouts
begin
    insert into changes (subject, subject_id) values ('prompt', new.prompt_id);
end;

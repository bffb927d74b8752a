-- Rollouts (see ../sqlite/0018_rollouts.sql): the database backs the same rules.
create table rollouts (
    id bigserial primary key,
    prompt_id bigint not null references prompts (id),
    label text not null,
    from_number bigint not null,
    to_number bigint not null,
    basis_points bigint not null check (basis_points between 0 and 10000),
    seed text not null,
    state text not null check (state in ('running', 'completed', 'aborted')),
    schedule text,
    next_step_at bigint,
    guard text,
    reason text,
    started_by bigint not null references accounts (id),
    started_at bigint not null,
    ended_at bigint,
    foreign key (prompt_id, from_number) references versions (prompt_id, number),
    foreign key (prompt_id, to_number) references versions (prompt_id, number),
    check (to_number <> from_number)
);
create unique index one_running_rollout on rollouts (prompt_id, label) where state = 'running';
create index rollouts_due on rollouts (next_step_at) where state = 'running';

create function rollouts_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' and (
        coalesce((select status from versions where prompt_id = new.prompt_id and number = new.from_number), '') <> 'live'
        or coalesce((select status from versions where prompt_id = new.prompt_id and number = new.to_number), '') <> 'live') then
        perform refuse('a rollout splits a label between two published versions');
    end if;
    if tg_op = 'UPDATE' and old.state <> 'running' then
        perform refuse('an ended rollout does not change');
    end if;
    return new;
end $$;
create trigger rollouts_guard before insert or update on rollouts
    for each row execute function rollouts_guard();

create function changes_on_rollout() returns trigger language plpgsql as $$
begin
    perform record_change('prompt', new.prompt_id);
    return new;
end $$;
create trigger changes_on_rollout after insert or update on rollouts
    for each row execute function changes_on_rollout();

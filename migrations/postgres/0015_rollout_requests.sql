-- Under review a rollout is requested (see ../sqlite/0022_rollout_requests.sql).
alter table requests add column rollout text;
alter table requests drop constraint requests_action_check;
alter table requests add constraint requests_action_check check (action in ('promote', 'rollback', 'move', 'rollout'));
alter table requests drop constraint requests_label_check;
alter table requests add constraint requests_label_check check ((action in ('move', 'rollout')) = (label is not null));
alter table requests add constraint requests_rollout_check check ((action = 'rollout') = (rollout is not null));

create or replace function draft_under_review_frozen() returns trigger language plpgsql as $$
begin
    if old.status = 'draft' and (new.source is distinct from old.source
        or new.message is distinct from old.message or new.config is distinct from old.config)
        and exists (select 1 from requests r where r.prompt_id = old.prompt_id and r.number = old.number
            and r.action in ('promote', 'move', 'rollout') and r.state = 'open') then
        perform refuse('a draft under review is frozen');
    end if;
    return new;
end $$;

-- What each workspace's versions hold, kept by triggers: the quotas on versions and on
-- their bytes read one row instead of reading every version of the workspace at each save
-- (a cost that grew with the workspace). A write that adds versions holds its workspace's
-- row (the quota's lock) before it writes, so two writes of one workspace never wait on this
-- row in opposite orders.
create table workspace_usage (
    workspace_id bigint primary key references workspaces (id) on delete cascade,
    versions bigint not null default 0,
    bytes bigint not null default 0
);

insert into workspace_usage (workspace_id, versions, bytes)
select w.id, count(v.id), coalesce(sum(octet_length(v.source) + octet_length(v.config)), 0)
from workspaces w left join prompts p on p.workspace_id = w.id left join versions v on v.prompt_id = p.id
group by w.id;

create function usage_of_new_workspace() returns trigger language plpgsql as $$
begin
    insert into workspace_usage (workspace_id) values (new.id);
    return null;
end $$;

create trigger usage_of_new_workspace after insert on workspaces
    for each row execute function usage_of_new_workspace();

create function usage_of_versions() returns trigger language plpgsql as $$
declare
    added_versions bigint := 0;
    added_bytes bigint := 0;
    prompt bigint;
begin
    if tg_op <> 'DELETE' then
        added_bytes := octet_length(new.source) + octet_length(new.config);
        prompt := new.prompt_id;
    end if;
    if tg_op <> 'INSERT' then
        added_bytes := added_bytes - octet_length(old.source) - octet_length(old.config);
        prompt := old.prompt_id;
    end if;
    if tg_op = 'INSERT' then
        added_versions := 1;
    elsif tg_op = 'DELETE' then
        added_versions := -1;
    end if;
    if added_versions <> 0 or added_bytes <> 0 then
        update workspace_usage
        set versions = versions + added_versions, bytes = bytes + added_bytes
        where workspace_id = (select workspace_id from prompts where id = prompt);
    end if;
    return null;
end $$;

create trigger usage_of_versions after insert or delete or update of source, config on versions
    for each row execute function usage_of_versions();

-- What each workspace's versions hold, kept by triggers: the quotas on versions and on
-- their bytes read one row instead of reading every version of the workspace at each save
-- (a cost that grew with the workspace).
create table workspace_usage (
    workspace_id integer primary key references workspaces (id) on delete cascade,
    versions integer not null default 0,
    bytes integer not null default 0
);

insert into workspace_usage (workspace_id, versions, bytes)
select w.id, count(v.id), coalesce(sum(octet_length(v.source) + octet_length(v.config)), 0)
from workspaces w left join prompts p on p.workspace_id = w.id left join versions v on v.prompt_id = p.id
group by w.id;

create trigger usage_of_new_workspace after insert on workspaces
begin
    insert into workspace_usage (workspace_id) values (new.id);
end;

create trigger usage_on_version_added after insert on versions
begin
    update workspace_usage
    set versions = versions + 1, bytes = bytes + octet_length(new.source) + octet_length(new.config)
    where workspace_id = (select workspace_id from prompts where id = new.prompt_id);
end;

create trigger usage_on_version_rewritten after update of source, config on versions
begin
    update workspace_usage
    set bytes = bytes + octet_length(new.source) + octet_length(new.config)
                      - octet_length(old.source) - octet_length(old.config)
    where workspace_id = (select workspace_id from prompts where id = new.prompt_id);
end;

create trigger usage_on_version_deleted after delete on versions
begin
    update workspace_usage
    set versions = versions - 1, bytes = bytes - octet_length(old.source) - octet_length(old.config)
    where workspace_id = (select workspace_id from prompts where id = old.prompt_id);
end;

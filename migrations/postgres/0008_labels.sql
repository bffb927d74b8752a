-- Labels and tags (see ../sqlite/0015_labels.sql): the database backs the same rules.

create table labels (
    id bigserial primary key,
    workspace_id bigint not null references workspaces (id),
    name text not null,
    protected bigint not null check (protected in (0, 1)),
    rule text not null check (rule in ('editors', 'admins', 'review')),
    fallback text check (fallback in ('live')),
    created_at bigint not null,
    unique (workspace_id, name)
);

create table prompt_labels (
    prompt_id bigint not null references prompts (id),
    label_id bigint not null references labels (id),
    number bigint not null,
    primary key (prompt_id, label_id),
    foreign key (prompt_id, number) references versions (prompt_id, number)
);
create index prompt_labels_by_label on prompt_labels (label_id);

create function prompt_labels_guard() returns trigger language plpgsql as $$
begin
    if (select protected from labels where id = new.label_id) = 1
        and coalesce((select status from versions where prompt_id = new.prompt_id and number = new.number), '') <> 'live' then
        perform refuse('a protected label must point at a published version');
    end if;
    return new;
end $$;
create trigger prompt_labels_guard before insert or update on prompt_labels
    for each row execute function prompt_labels_guard();

create function labels_guard() returns trigger language plpgsql as $$
begin
    if new.protected = 1 and old.protected = 0 and exists (
        select 1 from prompt_labels pl join versions v on v.prompt_id = pl.prompt_id and v.number = pl.number
        where pl.label_id = new.id and v.status = 'draft') then
        perform refuse('a protected label must point at a published version');
    end if;
    return new;
end $$;
create trigger labels_guard before update on labels for each row execute function labels_guard();

create function labelled_version_kept() returns trigger language plpgsql as $$
begin
    if exists (select 1 from prompt_labels where prompt_id = old.prompt_id and number = old.number) then
        perform refuse('move its labels off a version before deleting it');
    end if;
    return old;
end $$;
create trigger labelled_version_kept before delete on versions
    for each row execute function labelled_version_kept();

-- the change feed: a label's pointer changes what its keys read; its rules, the workspace's
create function changes_on_prompt_label() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        perform record_change('prompt', old.prompt_id);
        return old;
    end if;
    perform record_change('prompt', new.prompt_id);
    return new;
end $$;
create trigger changes_on_prompt_label after insert or update or delete on prompt_labels
    for each row execute function changes_on_prompt_label();

create function changes_on_label() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        perform record_change('workspace', old.workspace_id);
        return old;
    end if;
    perform record_change('workspace', new.workspace_id);
    return new;
end $$;
create trigger changes_on_label after insert or update or delete on labels
    for each row execute function changes_on_label();

alter table api_keys add column label text;

alter table pointer_moves rename column channel to label;
alter table pointer_moves drop constraint pointer_moves_channel_check;
alter table pointer_moves add constraint pointer_moves_label_check check (label <> '');

alter table requests add column label text;
alter table requests drop constraint requests_action_check;
alter table requests add constraint requests_action_check check (action in ('promote', 'rollback', 'move'));
alter table requests add constraint requests_label_check check ((action = 'move') = (label is not null));

create or replace function draft_under_review_frozen() returns trigger language plpgsql as $$
begin
    if old.status = 'draft' and (new.source is distinct from old.source
        or new.message is distinct from old.message or new.config is distinct from old.config)
        and exists (select 1 from requests r where r.prompt_id = old.prompt_id and r.number = old.number
            and r.action in ('promote', 'move') and r.state = 'open') then
        perform refuse('a draft under review is frozen');
    end if;
    return new;
end $$;

create table prompt_tags (
    prompt_id bigint not null references prompts (id),
    tag text not null,
    position bigint not null,
    primary key (prompt_id, tag)
);
create index prompt_tags_by_tag on prompt_tags (tag);

-- the Langfuse API serves a prompt's tags from memory
create trigger changes_on_prompt_tag after insert or delete on prompt_tags
    for each row execute function changes_on_prompt_label();

-- search finds a prompt's versions by its tags (see ../sqlite/0015_labels.sql)
create function version_changes_on_tags() returns trigger language plpgsql as $$
declare
    prompt bigint := case when tg_op = 'DELETE' then old.prompt_id else new.prompt_id end;
begin
    perform feed_turn();
    insert into version_changes (version_id) select id from versions where prompt_id = prompt;
    perform pg_notify('promptvault_changes', 'search');
    return null;
end $$;
create trigger version_changes_on_tagged after insert on prompt_tags
    for each row when (new.position = 0) execute function version_changes_on_tags();
create trigger version_changes_on_untagged after delete on prompt_tags
    for each row when (old.position = 0) execute function version_changes_on_tags();

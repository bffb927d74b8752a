-- Composition (see ../sqlite/0017_composition.sql): the database backs the same rules.

alter table versions add column resolved text;
alter table versions add column depth bigint not null default 0;

create table version_pins (
    version_id bigint not null references versions (id),
    reference text not null,
    included_id bigint not null references versions (id),
    primary key (version_id, reference)
);
create index version_pins_by_included on version_pins (included_id);

create function versions_resolved_guard() returns trigger language plpgsql as $$
begin
    if old.status = 'live' and (new.resolved is distinct from old.resolved or new.depth <> old.depth) then
        perform refuse('a live version is frozen');
    end if;
    return new;
end $$;
create trigger versions_resolved_guard before update on versions
    for each row execute function versions_resolved_guard();

create function version_pins_guard() returns trigger language plpgsql as $$
begin
    if tg_op <> 'INSERT' then
        perform refuse('a version''s pins are frozen');
    end if;
    if coalesce((select status from versions where id = new.version_id), '') <> 'live'
        or coalesce((select status from versions where id = new.included_id), '') <> 'live' then
        perform refuse('a pin is written when a version is published, and names a published version');
    end if;
    return new;
end $$;
create trigger version_pins_guard before insert or update or delete on version_pins
    for each row execute function version_pins_guard();

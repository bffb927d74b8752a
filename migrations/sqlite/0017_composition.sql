-- Composition: a version may include other text prompts. When it is published, each
-- reference is resolved once and pinned: the version keeps the content it was published
-- with (the included texts in place) and which version of each included prompt it embeds,
-- and is served with exactly that for ever. A draft resolves its references when read.

-- the published content with the included texts in place; null when it includes nothing
-- (its source is what it serves)
alter table versions add column resolved text;
-- how many levels of includes the resolved content holds (0: none)
alter table versions add column depth integer not null default 0;

create table version_pins (
    version_id integer not null references versions (id),
    -- the reference as written, e.g. name=tone|label=production
    reference text not null,
    -- the published version of the included prompt it resolved to
    included_id integer not null references versions (id),
    primary key (version_id, reference)
);
create index version_pins_by_included on version_pins (included_id);

-- what a published version embeds never changes
create trigger live_version_resolved_frozen before update of resolved, depth on versions
when old.status = 'live' and (new.resolved is not old.resolved or new.depth <> old.depth)
begin
    select raise(abort, 'a live version is frozen');
end;

-- pins are written with the publish, on a published version, each naming a published
-- version; never changed or taken back
create trigger version_pins_published before insert on version_pins
when coalesce((select status from versions where id = new.version_id), '') <> 'live'
    or coalesce((select status from versions where id = new.included_id), '') <> 'live'
begin
    select raise(abort, 'a pin is written when a version is published, and names a published version');
end;

create trigger version_pins_frozen before update on version_pins
begin
    select raise(abort, 'a version''s pins are frozen');
end;

create trigger version_pins_kept before delete on version_pins
begin
    select raise(abort, 'a version''s pins are frozen');
end;

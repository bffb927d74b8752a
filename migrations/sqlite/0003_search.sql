-- The search index's change feed. Every write that changes what search sees of a version
-- appends the version's id here, in the same transaction as the write (triggers, so that no
-- code path can forget). The indexer applies the feed in order and records in the index the
-- last sequence number it applied: at start-up an index behind the feed catches up, and
-- one that is missing or unreadable is rebuilt from the versions table, the truth.
create table version_changes (
    seq integer primary key autoincrement,
    version_id integer not null
);

create trigger version_changes_on_insert after insert on versions
begin
    insert into version_changes (version_id) values (new.id);
end;

create trigger version_changes_on_update after update of message, author_id on versions
begin
    insert into version_changes (version_id) values (new.id);
end;

create trigger version_changes_on_delete after delete on versions
begin
    insert into version_changes (version_id) values (old.id);
end;

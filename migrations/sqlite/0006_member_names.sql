-- A member who changes their name is found by the new name: their versions go through the
-- search feed again (search indexes the author's name with each version).
create trigger version_changes_on_member_rename after update of name on members
begin
    insert into version_changes (version_id) select id from versions where author_id = new.id;
end;

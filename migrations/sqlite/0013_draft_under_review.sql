-- a draft that an open request asks to promote is frozen until the request is decided, so
-- that an approval publishes exactly what its reviewer saw (deleting it instead makes the
-- request stale)
create trigger draft_under_review_frozen before update of source, message, config on versions
when old.status = 'draft' and exists (
    select 1 from requests r where r.prompt_id = old.prompt_id and r.number = old.number
    and r.action = 'promote' and r.state = 'open')
begin
    select raise(abort, 'a draft under review is frozen');
end;

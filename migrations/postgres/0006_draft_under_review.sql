-- a draft that an open request asks to promote is frozen until the request is decided, so
-- that an approval publishes exactly what its reviewer saw (deleting it instead makes the
-- request stale)
create function draft_under_review_frozen() returns trigger language plpgsql as $$
begin
    if old.status = 'draft' and (new.source is distinct from old.source
        or new.message is distinct from old.message or new.config is distinct from old.config)
        and exists (select 1 from requests r where r.prompt_id = old.prompt_id and r.number = old.number
            and r.action = 'promote' and r.state = 'open') then
        perform refuse('a draft under review is frozen');
    end if;
    return new;
end $$;

create trigger draft_under_review_frozen before update on versions
    for each row execute function draft_under_review_frozen();

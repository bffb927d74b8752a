-- What applications report of their use of prompts (POST /v1/reports): per minute, prompt,
-- served version, application and instance, how many uses and how many of them failed.
-- Kept for a bounded time (7 days by default); the rollouts' guards and the fleet view read it.
create table usage_minutes (
    prompt_id integer not null references prompts (id),
    number integer not null,
    app text not null,
    instance text not null,
    minute integer not null,
    uses integer not null check (uses >= 0),
    failures integer not null check (failures >= 0 and failures <= uses),
    primary key (prompt_id, number, app, instance, minute)
);
create index usage_by_minute on usage_minutes (minute);

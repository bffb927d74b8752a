-- What applications report of their use of prompts (see ../sqlite/0019_usage.sql).
create table usage_minutes (
    prompt_id bigint not null references prompts (id),
    number bigint not null,
    app text not null,
    instance text not null,
    minute bigint not null,
    uses bigint not null check (uses >= 0),
    failures bigint not null check (failures >= 0 and failures <= uses),
    primary key (prompt_id, number, app, instance, minute)
);
create index usage_by_minute on usage_minutes (minute);

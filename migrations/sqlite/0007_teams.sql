-- no-transaction
-- Teams: a person has one account on the server, and a membership (with a role) in each
-- workspace they belong to; invitations bring people in.
--
-- The old `members` table held both. It becomes `accounts` by a rename, so that every
-- reference to a person (version authors, pointer-move and activity actors, key and webhook
-- creators, sessions, tokens) follows it, and is then rebuilt without its per-workspace
-- columns. Rebuilding a referenced table needs foreign keys off, which SQLite only allows
-- outside a transaction: hence no-transaction, and the transaction is opened here.
PRAGMA foreign_keys = OFF;
BEGIN;

alter table members rename to accounts;

-- one per person on this server; the email signs in
create table accounts_rebuilt (
    id integer primary key,
    email text not null unique,
    name text not null,
    password_hash text not null,
    created_at integer not null
);
insert into accounts_rebuilt (id, email, name, password_hash, created_at)
    select id, email, name, password_hash, created_at from accounts;

-- a person in a workspace, with their role there. A removed member keeps the row (their
-- versions and activity keep their name); joining again brings it back.
create table members (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    account_id integer not null references accounts (id),
    role text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
    joined_at integer not null,
    -- written at most once a minute, like a token's last use
    last_seen_at integer,
    removed_at integer,
    unique (workspace_id, account_id)
);
insert into members (id, workspace_id, account_id, role, joined_at)
    select id, workspace_id, id, role, created_at from accounts;
create index members_by_account on members (account_id);

drop table accounts;
alter table accounts_rebuilt rename to accounts;

-- A workspace always keeps an owner; the vault checks first, this makes sure.
create trigger last_owner_kept before update of role, removed_at on members
when old.role = 'owner' and old.removed_at is null
    and (new.role <> 'owner' or new.removed_at is not null)
    and not exists (select 1 from members where workspace_id = old.workspace_id and id <> old.id
                    and role = 'owner' and removed_at is null)
begin
    select raise(abort, 'a workspace keeps at least one owner');
end;

-- (recreated: the rebuild dropped it) a renamed person is found by the new name
create trigger version_changes_on_account_rename after update of name on accounts
begin
    insert into version_changes (version_id) select id from versions where author_id = new.id;
end;

-- A session belongs to a person and shows one workspace at a time (the switcher moves it).
alter table sessions rename column member_id to account_id;
alter table sessions add column workspace_id integer references workspaces (id);
update sessions set workspace_id = (select workspace_id from members where members.id = sessions.account_id);

-- A personal access token acts in the workspace it was created in.
alter table access_tokens rename column member_id to account_id;
alter table access_tokens add column workspace_id integer references workspaces (id);
update access_tokens set workspace_id = (select workspace_id from members where members.id = access_tokens.account_id);

-- An invitation: a link for one email and role, single use, valid 7 days. Only a hash of
-- its token is kept.
create table invitations (
    id integer primary key,
    workspace_id integer not null references workspaces (id),
    email text not null,
    role text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
    token_hash text not null unique,
    invited_by integer not null references accounts (id),
    created_at integer not null,
    expires_at integer not null,
    accepted_at integer,
    accepted_by integer references accounts (id),
    revoked_at integer
);
create index invitations_by_workspace on invitations (workspace_id, id);

COMMIT;
PRAGMA foreign_keys = ON;

-- The versions whose {{variables}} the vault has not listed yet (saved by a release before
-- structured prompts). The vault looks for them at every start; this partial index holds
-- only them, so that look is free once they are filled in, however long the history.
create index versions_missing_variables on versions (id) where variables is null;

//! The schema's migrations, one list per backend, embedded in the binary.
//!
//! They are listed here by hand rather than found by `sqlx::migrate!`: that macro builds a
//! second copy of sqlx with both database drivers (SQLite's C source included) for the
//! compiler's own use: about 170 more crates to compile in every fresh build. What it computes is reproduced exactly
//! (version and description from the file name, the SQL's checksum, `-- no-transaction`), so
//! a database migrated by either accepts the other. A test holds each list to its folder:
//! a new migration is a new file and a new line here.

use std::borrow::Cow;

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// A migration file: its name and its SQL.
macro_rules! migration_file {
    ($backend:literal, $name:literal) => {
        ($name, include_str!(concat!("../../migrations/", $backend, "/", $name)))
    };
}

pub(crate) const SQLITE: &[(&str, &str)] = &[
    migration_file!("sqlite", "0001_foundation.sql"),
    migration_file!("sqlite", "0002_api_keys.sql"),
    migration_file!("sqlite", "0003_search.sql"),
    migration_file!("sqlite", "0004_webhooks.sql"),
    migration_file!("sqlite", "0005_activity.sql"),
    migration_file!("sqlite", "0006_member_names.sql"),
    migration_file!("sqlite", "0007_teams.sql"),
    migration_file!("sqlite", "0008_reviews.sql"),
    migration_file!("sqlite", "0009_changes.sql"),
    migration_file!("sqlite", "0010_session_idle.sql"),
    migration_file!("sqlite", "0011_structured_prompts.sql"),
    migration_file!("sqlite", "0012_versions_missing_variables.sql"),
    migration_file!("sqlite", "0013_draft_under_review.sql"),
    migration_file!("sqlite", "0014_delivery_claims.sql"),
    migration_file!("sqlite", "0015_labels.sql"),
    migration_file!("sqlite", "0016_workspace_usage.sql"),
    migration_file!("sqlite", "0017_composition.sql"),
    migration_file!("sqlite", "0018_rollouts.sql"),
    migration_file!("sqlite", "0019_usage.sql"),
    migration_file!("sqlite", "0020_usage_seen.sql"),
    migration_file!("sqlite", "0021_abort_tokens.sql"),
    migration_file!("sqlite", "0022_rollout_requests.sql"),
];

pub(crate) const POSTGRES: &[(&str, &str)] = &[
    migration_file!("postgres", "0001_schema.sql"),
    migration_file!("postgres", "0002_changes.sql"),
    migration_file!("postgres", "0003_session_idle.sql"),
    migration_file!("postgres", "0004_structured_prompts.sql"),
    migration_file!("postgres", "0005_versions_missing_variables.sql"),
    migration_file!("postgres", "0006_draft_under_review.sql"),
    migration_file!("postgres", "0007_delivery_claims.sql"),
    migration_file!("postgres", "0008_labels.sql"),
    migration_file!("postgres", "0009_workspace_usage.sql"),
    migration_file!("postgres", "0010_composition.sql"),
    migration_file!("postgres", "0011_rollouts.sql"),
    migration_file!("postgres", "0012_usage.sql"),
    migration_file!("postgres", "0013_usage_seen.sql"),
    migration_file!("postgres", "0014_abort_tokens.sql"),
    migration_file!("postgres", "0015_rollout_requests.sql"),
];

/// The migrator of one backend's files.
pub(crate) fn migrator(files: &[(&'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(files.iter().map(|&(name, sql)| migration(name, sql)).collect())
}

/// What `sqlx::migrate!` makes of file `name`: `0007_teams.sql` is version 7, "teams".
fn migration(name: &'static str, sql: &'static str) -> Migration {
    let (version, rest) = name.split_once('_').unwrap_or(("", name));
    let description = rest.trim_end_matches(".sql").replace('_', " ");
    // A file name that is not a number is a mistake in the list above, which its test catches.
    let version = version.parse().unwrap_or(-1);
    let no_tx = sql.starts_with("-- no-transaction");
    Migration::new(version, Cow::Owned(description), MigrationType::Simple, SqlStr::from_static(sql), no_tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the folder is listed, in order, and none twice.
    fn listed(backend: &str, files: &[(&'static str, &'static str)]) {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/");
        let mut on_disk: Vec<String> = std::fs::read_dir(format!("{folder}{backend}"))
            .expect("the migrations folder")
            .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, on_disk, "list every file of migrations/{backend} in vault/src/migrations.rs");
        let versions: Vec<i64> = migrator(files).iter().map(|m| m.version).collect();
        assert!(versions.windows(2).all(|pair| 0 < pair[0] && pair[0] < pair[1]), "{versions:?}");
    }

    #[test]
    fn every_sqlite_migration_is_listed() {
        listed("sqlite", SQLITE);
    }

    #[test]
    fn every_postgres_migration_is_listed() {
        listed("postgres", POSTGRES);
    }

    /// What `sqlx::migrate!` wrote into databases before: the same version, description and
    /// checksum (the SHA-384 of the SQL).
    #[test]
    fn a_migration_is_what_sqlx_made_of_its_file() {
        let made = migration("0007_delivery_claims.sql", "create table t (id integer);");
        assert_eq!((made.version, made.description.as_ref()), (7, "delivery claims"));
        use sha2::Digest;
        let sha384 = sha2::Sha384::digest("create table t (id integer);");
        assert_eq!(made.checksum.as_ref(), sha384.as_slice());
        assert!(!made.no_tx);
    }
}

//! Faults: with the database refusing every connection (PostgreSQL, as when it is down or
//! restarting), SDK reads go on from memory, changes are refused as unavailable (503) and
//! change nothing, and service returns by itself when the database does. Runs in the
//! suite's PostgreSQL pass.

use std::time::{Duration, Instant};

use sqlx::Connection;
use vault::{KeyKind, NewDraft, VaultError};

use crate::helpers::{PROMPT, assert_refused, v};

async fn admin(statement: &str) {
    let server = std::env::var("PROMPTVAULT_TEST_DATABASE_URL").expect("a PostgreSQL server");
    let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres")).await.expect("admin");
    sqlx::query(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut conn).await.expect("admin statement");
}

fn draft(source: &str) -> NewDraft {
    NewDraft::text(source, String::new())
}

#[tokio::test]
async fn while_the_database_is_unreachable_reads_go_on_and_changes_wait_for_it() {
    if std::env::var_os("PROMPTVAULT_TEST_DATABASE_URL").is_none() {
        return;
    }
    let (vault, owner, dir) = crate::helpers::workspace("Ada").await;
    vault.create_prompt(&owner, PROMPT).await.expect("create");
    vault.save_draft(&owner, PROMPT, draft("one")).await.expect("save");
    vault.promote(&owner, PROMPT, v(1)).await.expect("promote");
    let key = vault.create_api_key(&owner, KeyKind::Live, "prod").await.expect("key").token;
    let url = crate::helpers::storage(dir.path()).await.database_url;
    let database = url.rsplit('/').next().expect("database name").to_owned();

    admin(&format!("alter database {database} with allow_connections false")).await;
    admin(&format!(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = '{database}' and pid <> pg_backend_pid()"
    ))
    .await;

    let served = vault.read_prompt(&key, PROMPT, None).await.expect("reads go on from memory");
    assert!(std::str::from_utf8(&served.body).expect("utf-8").contains("\"version\":\"v1\""));
    let started = Instant::now();
    let refused = vault.save_draft(&owner, PROMPT, draft("two")).await;
    assert_refused(refused, 503, "unavailable");
    assert!(started.elapsed() < Duration::from_secs(15), "said within seconds: {:?}", started.elapsed());
    assert_eq!(VaultError::Unavailable.status(), 503);

    admin(&format!("alter database {database} with allow_connections true")).await;
    let back = Instant::now();
    let saved = loop {
        match vault.save_draft(&owner, PROMPT, draft("two")).await {
            Ok(version) => break version,
            Err(error) if back.elapsed() < Duration::from_secs(20) => {
                assert!(matches!(error, VaultError::Unavailable), "{error:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => panic!("service did not return: {error:?}"),
        }
    };
    assert_eq!(saved.number, v(2), "the refused save changed nothing: the next one is v2");
}

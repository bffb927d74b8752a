//! A full disk: the server on a small filesystem of its own (a tmpfs, mounted for the test;
//! the suite runs as root), filled until writes fail. Writes answer 507 in words and change
//! nothing, reads go on, writing resumes once space is freed, and after a restart every
//! acknowledged write is there, numbers gapless, the database intact and the index whole.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Process, read};

const PROMPT: &str = "disk%2Ffull";

/// A tmpfs of `size` at `path`, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(path).expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .expect("run mount");
        assert!(status.success(), "mounting a {size} tmpfs at {path:?} needs root");
        SmallDisk { path: path.to_owned() }
    }

    /// Writes a file until the disk refuses more.
    fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 16 * 1024];
        while file.write_all(&block).and_then(|()| file.flush()).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn save(&self, i: usize) -> (u16, Value) {
        let body = json!({"source": format!("text {i}"), "message": format!("disk save {i}")});
        let url = format!("{}/v1/manage/prompts/{PROMPT}/versions", self.base);
        read(self.http.post(url).bearer_auth(&self.token).json(&body).send().await.expect("save")).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        read(self.http.get(url).bearer_auth(&self.token).send().await.expect("get")).await
    }
}

#[tokio::test]
async fn a_full_disk_refuses_writes_in_words_and_corrupts_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let disk = SmallDisk::mount(&dir.path().join("disk"), "24m");
    let data = disk.path.join("data");
    // SQLite on the small disk on both passes: PostgreSQL's disk is the database server's.
    let database_url = vault::Vault::sqlite_url(&data);
    let server = Process::start_on(&data, &database_url).await;
    let http = reqwest::Client::new();
    let setup =
        json!({"workspace": "Acme", "email": "ada@example.com", "password": "correct horse", "name": "Ada"});
    let (status, body) =
        read(http.post(format!("{}/v1/setup", server.base)).json(&setup).send().await.expect("setup")).await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().expect("token").to_owned();
    let client = Client { http: http.clone(), base: server.base.clone(), token };
    let created = http
        .post(format!("{}/v1/manage/prompts", server.base))
        .bearer_auth(&client.token)
        .json(&json!({"name": "disk/full"}))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    assert_eq!(client.save(0).await.0, 201);
    let promote = format!("{}/v1/manage/prompts/{PROMPT}/versions/1/promote", server.base);
    let promoted =
        http.post(promote).bearer_auth(&client.token).json(&json!({})).send().await.expect("promote");
    assert_eq!(promoted.status(), 200);
    let key = http
        .post(format!("{}/v1/manage/keys", server.base))
        .bearer_auth(&client.token)
        .json(&json!({"kind": "live", "name": "prod"}))
        .send()
        .await
        .expect("key");
    let (status, key) = read(key).await;
    assert_eq!(status, 201, "{key}");
    let key = key["token"].as_str().expect("token").to_owned();

    let filler = disk.fill();
    let mut acknowledged = vec![1];
    let mut refusal = None;
    for i in 1..200 {
        let (status, body) = client.save(i).await;
        match status {
            201 => acknowledged.push(body["number"].as_i64().expect("number")),
            _ => {
                refusal = Some((status, body));
                break;
            }
        }
    }
    let (status, body) = refusal.expect("a full disk refuses a write");
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["error"]["code"], "storage_full");
    assert!(body["error"]["message"].as_str().expect("message").contains("storage is full"), "{body}");

    // Reads go on: the live version from memory, the history from the database.
    let live = http.get(format!("{}/v1/prompts/{PROMPT}", server.base)).bearer_auth(&key).send().await;
    let (status, live) = read(live.expect("read")).await;
    assert_eq!((status, live["version"].as_str()), (200, Some("v1")), "{live}");
    let (status, _) = client.get(&format!("/v1/manage/prompts/{PROMPT}/versions")).await;
    assert_eq!(status, 200);

    // Space freed: writing resumes without a restart.
    std::fs::remove_file(filler).expect("free space");
    let mut resumed = None;
    for i in 200..250 {
        let (status, body) = client.save(i).await;
        if status == 201 {
            resumed = Some((body["number"].as_i64().expect("number"), i));
            break;
        }
        assert_eq!(status, 507, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (resumed, resumed_at) = resumed.expect("writes resume once space is freed");
    acknowledged.push(resumed);

    server.kill();
    let restarted = Process::start_on(&data, &database_url).await;
    let client = Client { base: restarted.base.clone(), ..client };
    let (status, versions) = client.get(&format!("/v1/manage/prompts/{PROMPT}/versions?limit=200")).await;
    assert_eq!(status, 200, "{versions}");
    assert!(versions["next_cursor"].is_null(), "one page holds them all");
    let mut numbers: Vec<i64> = versions["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| v["number"].as_i64().expect("n"))
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>(), "gapless, nothing half-written");
    for number in &acknowledged {
        assert!(numbers.contains(number), "acknowledged v{number} is there");
    }
    let mut found = false;
    for _ in 0..100 {
        let (_, hits) = client.get(&format!("/v1/manage/search?q=%22disk+save+{resumed_at}%22")).await;
        if hits["items"].as_array().is_some_and(|items| !items.is_empty()) {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found, "v{resumed}, saved once space was freed, is searchable after the restart");
    drop(restarted);

    let options = database_url.parse::<sqlx::sqlite::SqliteConnectOptions>().expect("url");
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("open the database");
    let check: String = sqlx::query_scalar("pragma integrity_check").fetch_one(&pool).await.expect("check");
    assert_eq!(check, "ok");
    pool.close().await;
}

/// The data directory and the database file are this user's alone, whatever the umask.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_database_are_private_to_the_server_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let server = Process::start_on(&data, &vault::Vault::sqlite_url(&data)).await;
    let mode = |path: &Path| std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for file in ["promptvault.db", "promptvault.db-wal", "promptvault.db-shm"] {
        let path = data.join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
    assert!(data.join("promptvault.db").exists());
    server.kill();
}

//! `promptvault export` and `promptvault import`: moving workspaces between databases (the
//! rules of what moves are the vault's; this is the file and the words around it); and the
//! operator's other command on the database itself, `promptvault accounts reset-password`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use vault::{Export, Storage, Vault};

use crate::Config;

async fn open(config: &Config) -> anyhow::Result<Vault> {
    let storage = Storage { database_url: config.database_url(), data_dir: config.data_dir.clone() };
    Ok(Vault::open(&storage).await?)
}

/// Writes the export to `file`, readable by its owner only.
pub async fn export(config: &Config, workspace: Option<&str>, file: &Path) -> anyhow::Result<()> {
    let vault = open(config).await?;
    let export = vault.export(workspace).await;
    vault.close().await;
    let export = export?;
    let mut out = owner_only(file).with_context(|| format!("creating {}", file.display()))?;
    serde_json::to_writer(&mut out, &export)?;
    out.write_all(b"\n")?;
    out.sync_all()?;
    println!("Exported {} to {}", describe(&export), file.display());
    Ok(())
}

/// Reads `file` into the configured database.
pub async fn import(config: &Config, file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let export: Export = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a PromptVault export", file.display()))?;
    let vault = open(config).await?;
    let imported = vault.import(&export).await;
    vault.close().await;
    imported.with_context(|| format!("importing {}", file.display()))?;
    println!("Imported {} from {}", describe(&export), file.display());
    Ok(())
}

/// Gives the account of `email` a new random password and prints it, once.
pub async fn reset_password(config: &Config, email: &str) -> anyhow::Result<()> {
    let vault = open(config).await?;
    let reset = vault.reset_password(email).await;
    vault.close().await;
    let password = reset.with_context(|| format!("resetting the password of {email}"))?;
    println!(
        "The account of {email} has a new password; its sessions ended and its access tokens were revoked."
    );
    println!("Give it to the email's owner, who should change it at once in Settings:\n{password}");
    Ok(())
}

fn describe(export: &Export) -> String {
    let count = |table: &str| export.tables.get(table).and_then(|rows| rows.as_array()).map_or(0, Vec::len);
    format!(
        "{} workspace(s) ({}): {} prompt(s), {} version(s), {} member(s), {} API key(s), {} webhook(s)",
        export.workspaces.len(),
        export.workspaces.join(", "),
        count("prompts"),
        count("versions"),
        count("members"),
        count("api_keys"),
        count("webhooks"),
    )
}

/// The file, emptied and readable by its owner only (also when it existed before).
fn owner_only(file: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let out = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(file)?;
    out.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(out)
}

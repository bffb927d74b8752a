//! Prompt files on disk: where a prompt's file goes, finding every prompt file of a folder
//! (hidden entries skipped, links refused), and writing one without following a link.
//!
//! A prompt's folders are folders and its last part the file's name. A character no file
//! name may hold on some system (`\ : * ? " < >`), `%` itself, a leading `.` (a hidden file)
//! and a trailing `.` or space (which Windows drops) are written `%XX`, the bytes of the
//! character in hexadecimal: `Movie Critic?` is `Movie Critic%3F.prompt`. Reading a folder
//! decodes them, so every name goes to a file and back unchanged.

use std::path::{Component, Path, PathBuf};

use super::file::EXTENSION;

/// The file of prompt `name` in folder `dir`. The name is checked by the vault's rule for
/// prompt names and the path built from plain parts alone, so that no name a server sends
/// (`../x`, `/etc/x`) reaches outside `dir`.
pub fn path_of(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let refused = |why: String| format!("the server sent a prompt name no file may have, {:?}: {why}", name);
    let checked = vault::PromptName::parse(name).map_err(|e| refused(e.to_string()))?;
    let encoded: Vec<String> = checked.as_str().split('/').map(file_part).collect();
    let mut path = dir.to_path_buf();
    for part in Path::new(&format!("{}.{EXTENSION}", encoded.join("/"))).components() {
        match part {
            Component::Normal(part) => path.push(part),
            _ => return Err(refused("it is not a plain relative path".into())),
        }
    }
    Ok(path)
}

/// One folder (or the last part) of a prompt name as a file name may hold it.
fn file_part(part: &str) -> String {
    let last = part.chars().count().saturating_sub(1);
    let mut encoded = String::with_capacity(part.len());
    for (i, c) in part.chars().enumerate() {
        let unsafe_here =
            "\\:*?\"<>%".contains(c) || (i == 0 && c == '.') || (i == last && (c == '.' || c == ' '));
        if unsafe_here {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        } else {
            encoded.push(c);
        }
    }
    encoded
}

/// A file name's part of a prompt name: its `%XX` decoded; `None` when one is not a byte
/// in hexadecimal or the bytes are not UTF-8.
fn name_part(file: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(file.len());
    let mut rest = file.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

fn link_refused(path: &Path) -> std::io::Error {
    std::io::Error::other(format!(
        "{} is a symbolic link: prompt folders hold plain files and folders only",
        path.display()
    ))
}

/// Refuses a symbolic link anywhere between `dir` and `path` (`path` included): one could
/// point anywhere. What does not exist yet is no link.
pub fn refuse_links(dir: &Path, path: &Path) -> std::io::Result<()> {
    let relative = path.strip_prefix(dir).map_err(|_| std::io::Error::other("not under the folder"))?;
    let mut at = dir.to_path_buf();
    for part in relative.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(found) if found.file_type().is_symlink() => {
                return Err(link_refused(&at));
            }
            Ok(_) => {}
            Err(missing) if missing.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Writes `text` to `path` under `dir`, making the folders between them, never through a
/// symbolic link ([`refuse_links`]); the file is written beside its place and renamed over
/// it, so a reader never sees half a file.
pub fn write_under(dir: &Path, path: &Path, text: &str) -> std::io::Result<()> {
    refuse_links(dir, path)?;
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    // A leftover of an earlier run is removed (a link itself, never what it points at), and
    // the new one made fresh, so that the write can follow no link either.
    match std::fs::remove_file(&partial) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&partial)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    drop(file);
    std::fs::rename(&partial, path)
}

/// The prompt files under `dir` (hidden files and folders such as `.git` skipped), each with the name
/// its path gives, sorted by path.
pub fn find(dir: &Path) -> std::io::Result<Vec<(PathBuf, String)>> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            // The entry's own type: a link is never followed, to a file or to a folder.
            let kind = entry.file_type()?;
            // Hidden files and folders (`.git`, an editor's `.x.prompt.swp`) are no prompts:
            // skipped whole, so a hidden link is never read either.
            if path.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.')) {
                continue;
            }
            if kind.is_symlink() {
                return Err(link_refused(&path));
            }
            if kind.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == EXTENSION)
                && let Some(name) = name_of(dir, &path)
            {
                found.push((path, name));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The prompt name a file's path gives: its path under `dir`, `/`-separated, without the
/// extension, each part decoded. `None` for a path that is not valid UTF-8 (no prompt name
/// can be) or holds a `%` that is no `%XX`.
fn name_of(dir: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(dir).ok()?.with_extension("");
    let parts: Option<Vec<String>> =
        relative.components().map(|c| c.as_os_str().to_str().and_then(name_part)).collect();
    Some(parts?.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_goes_to_a_file_under_the_folder_and_back() {
        let dir = Path::new("/prompts");
        for (name, file) in [
            ("support/triage-v2", "support/triage-v2.prompt"),
            ("Movie Critic?", "Movie Critic%3F.prompt"),
            ("a:b/*c*", "a%3Ab/%2Ac%2A.prompt"),
            (".hidden/x.", "%2Ehidden/x%2E.prompt"),
            ("100% sure ", "100%25 sure.prompt"),
            ("été <3", "été %3C3.prompt"),
        ] {
            let path = path_of(dir, name).expect("a path");
            assert_eq!(path, dir.join(file), "{name:?}");
            let back = name_of(dir, &path);
            assert_eq!(
                back.as_deref(),
                Some(vault::PromptName::parse(name).expect("a name").as_str()),
                "{name:?}"
            );
        }
        assert_eq!(name_part("bad%zz"), None);
        assert_eq!(name_part("cut%4"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_hidden_link_is_skipped_never_read_and_a_visible_one_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let elsewhere = tempfile::tempdir().expect("dir");
        let secret = elsewhere.path().join("secret.prompt");
        std::fs::write(&secret, "not for the server\n").expect("file");
        std::fs::write(dir.path().join("plain.prompt"), "Hi\n").expect("file");
        std::os::unix::fs::symlink(&secret, dir.path().join(".hidden.prompt")).expect("link");
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join(".folder")).expect("link");
        let found = find(dir.path()).expect("found");
        assert_eq!(found.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>(), ["plain"]);
        std::os::unix::fs::symlink(&secret, dir.path().join("visible.prompt")).expect("link");
        assert!(find(dir.path()).is_err(), "a visible link is refused");
    }
}

//! Scratch files of uploads in progress: each is named after the machine
//! and the process that writes it (`<host>-<pid>-<id>.upload`), so a server
//! starting up can remove what a killed process left behind, and nothing a
//! live process on this or another machine is still writing.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A scratch file of another machine (or of an unknown writer) is removed
/// once it has not been written to for this long.
const ABANDONED: Duration = Duration::from_secs(24 * 3600);

fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let clean: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .take(63)
        .collect();
    if clean.is_empty() {
        "host".into()
    } else {
        clean
    }
}

/// A new scratch path in `dir` for an upload of this process.
pub fn new_path(dir: &Path) -> PathBuf {
    dir.join(format!(
        "{}-{}-{}.upload",
        host(),
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    ))
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the scratch files in `dir` that no live writer owns: those of
/// dead processes on this machine, and any not written to for a day. How
/// many went.
pub fn clean(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let here = host();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".upload") else {
            continue;
        };
        let mut parts = stem.rsplitn(3, '-');
        let (_id, pid, writer_host) = (parts.next(), parts.next(), parts.next());
        let pid = pid.and_then(|p| p.parse::<u32>().ok());
        let dead_here = writer_host == Some(here.as_str())
            && pid.is_some_and(|p| p != std::process::id() && !alive(p));
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > ABANDONED);
        if (dead_here || stale) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, dir = %dir.display(), "scratch files of dead uploads removed");
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dead_writers_files_go() {
        let dir = std::env::temp_dir().join(format!("newsdesk-scratch-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mine = new_path(&dir);
        std::fs::write(&mine, b"in progress").expect("write");
        // A pid above the kernel's limit is never alive.
        let dead = dir.join(format!("{}-4294967295-abc.upload", host()));
        std::fs::write(&dead, b"left behind").expect("write");
        let elsewhere = dir.join("other-machine-1-abc.upload");
        std::fs::write(&elsewhere, b"another machine's").expect("write");
        assert_eq!(clean(&dir), 1);
        assert!(mine.exists());
        assert!(!dead.exists());
        assert!(elsewhere.exists(), "another machine's upload may be live");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}

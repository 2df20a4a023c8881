//! The MTA-STS policy cache of the command line (RFC 8461 §5.1): one JSON file per domain
//! under a directory (by default `$XDG_CACHE_HOME/smtpclient/mta-sts`, else
//! `~/.cache/smtpclient/mta-sts`). The component decides when a cached policy is still
//! valid; the cache only stores what the last delivery returned.

use crate::bindings::delivery::StsPolicy;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A directory of cached policies.
#[derive(Debug, Clone)]
pub struct StsCache {
    dir: PathBuf,
}

/// A policy as stored on disk.
#[derive(Serialize, Deserialize)]
struct Stored {
    id: String,
    text: String,
    fetched_at: u64,
}

impl StsCache {
    /// A cache in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> StsCache {
        StsCache { dir: dir.into() }
    }

    /// The user's cache directory, when `$XDG_CACHE_HOME` or `$HOME` is set.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))?;
        Some(base.join("smtpclient").join("mta-sts"))
    }

    /// The cached policy of `domain` (lowercase ASCII), if any and readable.
    pub fn get(&self, domain: &str) -> Option<StsPolicy> {
        let text = std::fs::read_to_string(self.file(domain)?).ok()?;
        let stored: Stored = serde_json::from_str(&text).ok()?;
        Some(StsPolicy {
            id: stored.id,
            text: stored.text,
            fetched_at: stored.fetched_at,
        })
    }

    /// Stores `policy` for `domain`; a cache that cannot be written is skipped silently: the
    /// next delivery fetches the policy again.
    pub fn put(&self, domain: &str, policy: &StsPolicy) {
        let Some(file) = self.file(domain) else {
            return;
        };
        let stored = Stored {
            id: policy.id.clone(),
            text: policy.text.clone(),
            fetched_at: policy.fetched_at,
        };
        let json = serde_json::to_string(&stored).expect("plain data always serializes");
        let temporary = file.with_extension("tmp");
        let written = std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(&temporary, json))
            .and_then(|()| std::fs::rename(&temporary, &file));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }

    /// The file of `domain`; none for a name that could leave the directory.
    fn file(&self, domain: &str) -> Option<PathBuf> {
        let safe = !domain.is_empty()
            && domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !domain.starts_with('.');
        safe.then(|| self.dir.join(format!("{domain}.json")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_round_trip_and_names_cannot_escape() {
        let dir = std::env::temp_dir().join(format!("sts-cache-{}", std::process::id()));
        let cache = StsCache::new(&dir);
        assert!(cache.get("example.org").is_none());
        let policy = StsPolicy {
            id: "20260101".into(),
            text: "version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 86400\n".into(),
            fetched_at: 1_800_000_000,
        };
        cache.put("example.org", &policy);
        let back = cache.get("example.org").expect("stored");
        assert_eq!(
            (back.id, back.text, back.fetched_at),
            (policy.id, policy.text, policy.fetched_at)
        );
        assert!(cache.file("../etc/passwd").is_none());
        assert!(cache.file("..").is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}

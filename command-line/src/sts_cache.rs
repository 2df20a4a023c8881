//! The MTA-STS policy cache of the command line (RFC 8461 §5.1): one JSON file per domain
//! under a directory, kept between runs by host-example and by the wasi-run command (in a
//! directory the runtime preopens). The component decides when a cached policy is still
//! valid; the cache only stores what the last delivery returned.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A policy as cached: the contract's `sts-policy`, in neither host's bindings (each
/// converts it, `contract_conversions!`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedPolicy {
    /// The id of the `_mta-sts` TXT record the policy was fetched for (RFC 8461 §3.1).
    pub id: String,
    /// The policy text as served.
    pub text: String,
    /// Seconds since the Unix epoch when it was fetched.
    pub fetched_at: u64,
}

/// A directory of cached policies.
#[derive(Debug, Clone)]
pub struct StsCache {
    dir: PathBuf,
}

impl StsCache {
    /// A cache in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> StsCache {
        StsCache { dir: dir.into() }
    }

    /// The cached policy of `domain` (lowercase ASCII), if any and readable.
    pub fn get(&self, domain: &str) -> Option<CachedPolicy> {
        let text = std::fs::read_to_string(self.file(domain)?).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Stores `policy` for `domain`; a cache that cannot be written is skipped silently: the
    /// next delivery fetches the policy again.
    pub fn put(&self, domain: &str, policy: &CachedPolicy) {
        let Some(file) = self.file(domain) else {
            return;
        };
        let json = serde_json::to_string(policy).expect("plain data always serializes");
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
        let policy = CachedPolicy {
            id: "20260101".into(),
            text: "version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 86400\n".into(),
            fetched_at: 1_800_000_000,
        };
        cache.put("example.org", &policy);
        assert_eq!(cache.get("example.org"), Some(policy));
        assert!(cache.file("../etc/passwd").is_none());
        assert!(cache.file("..").is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! The default EHLO name: the machine's fully qualified name, as `hostname --fqdn` finds it
//! (the host name, then its canonical name through the system's resolver: `/etc/hosts`,
//! then DNS). RFC 5321 §4.1.1.1: the EHLO argument is "the fully-qualified domain name of
//! the SMTP client, if one is available"; servers that check it refuse `localhost`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long the canonical name may take (the system resolver can wait on DNS that does not
/// answer); after it the plain host name is used.
const CANONICAL_NAME_TIMEOUT: Duration = Duration::from_secs(3);

/// The name a client without one announces.
const NO_NAME: &str = "localhost";

/// The machine's fully qualified name; the plain host name when it has none; `localhost`
/// only when the machine has no name at all.
pub fn machine_name() -> String {
    let hostname = dns_lookup::get_hostname().unwrap_or_default();
    let canonical = canonical_name(&hostname);
    choose(&hostname, canonical.as_deref())
}

/// The canonical name of `hostname` from getaddrinfo (`AI_CANONNAME`), within
/// [`CANONICAL_NAME_TIMEOUT`].
fn canonical_name(hostname: &str) -> Option<String> {
    if hostname.is_empty() {
        return None;
    }
    let (sender, receiver) = mpsc::channel();
    let name = hostname.to_string();
    // getaddrinfo blocks and cannot be cancelled: the thread is left to finish on its own
    // when it is late.
    thread::Builder::new()
        .name("ehlo-name".into())
        .spawn(move || {
            let hints = dns_lookup::AddrInfoHints {
                flags: libc::AI_CANONNAME,
                address: 0,
                socktype: libc::SOCK_STREAM,
                protocol: 0,
            };
            let canonical = dns_lookup::getaddrinfo(Some(&name), None, Some(hints))
                .ok()
                .and_then(|mut found| found.find_map(|info| info.ok()?.canonname));
            let _gone = sender.send(canonical);
        })
        .ok()?;
    receiver.recv_timeout(CANONICAL_NAME_TIMEOUT).ok().flatten()
}

/// The EHLO name from the host name and its canonical name: the canonical name when it is
/// fully qualified and not a name of the loopback interface, else the host name, else
/// `localhost`.
fn choose(hostname: &str, canonical: Option<&str>) -> String {
    let is_loopback_name = |name: &str| {
        name.split('.')
            .next()
            .is_some_and(|label| label.eq_ignore_ascii_case(NO_NAME))
    };
    let hostname = hostname.trim_end_matches('.');
    if let Some(canonical) = canonical.map(|name| name.trim_end_matches('.'))
        && canonical.contains('.')
        && !is_loopback_name(canonical)
    {
        return canonical.to_ascii_lowercase();
    }
    if hostname.is_empty() || is_loopback_name(hostname) {
        return NO_NAME.to_string();
    }
    hostname.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fully_qualified_name_wins() {
        for (hostname, canonical, want) in [
            ("vm", Some("vm.example.org"), "vm.example.org"),
            ("vm", Some("VM.Example.ORG."), "vm.example.org"),
            ("vm.example.org", Some("vm.example.org"), "vm.example.org"),
            ("vm.example.org", None, "vm.example.org"),
            // No fully qualified name: the host name, never localhost.
            ("vm", Some("vm"), "vm"),
            ("vm", None, "vm"),
            ("vm", Some("localhost"), "vm"),
            ("vm", Some("localhost.localdomain"), "vm"),
            // No name at all.
            ("", None, "localhost"),
            ("localhost", Some("localhost"), "localhost"),
        ] {
            assert_eq!(
                choose(hostname, canonical),
                want,
                "{hostname} {canonical:?}"
            );
        }
    }

    #[test]
    fn this_machine_has_a_name() {
        let hostname = dns_lookup::get_hostname().unwrap();
        let name = machine_name();
        if !hostname.is_empty() && hostname != NO_NAME {
            assert_ne!(name, NO_NAME);
            assert!(
                name.contains('.') || name == hostname.to_ascii_lowercase(),
                "{name} for {hostname}"
            );
        }
    }
}

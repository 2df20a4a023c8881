//! Delivery through a named server (a smarthost: submission with AUTH, or a relay on port 25)
//! instead of the next hop's MX hosts: the caller's TLS mode, PKIX, pinned DANE records and
//! AUTH, no MX, DANE or MTA-STS lookup, and the same report as MX delivery.

use crate::dns::IpDomain;
use crate::smtp::session::{AuthConfig, TlsMode};
use crate::tls::Tlsa;

use super::level::TlsLevel;
use super::plan::HostPlan;

/// A relay and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    /// The relay: a domain (its addresses are looked up) or an IP address.
    pub host: IpDomain,
    /// Its port (587 for submission, 465 for implicit TLS, 25).
    pub port: u16,
    /// How TLS is used.
    pub tls_mode: TlsMode,
    /// The certificate must verify with PKIX for `host` (RFC 6125); never fatal with
    /// opportunistic TLS (RFC 7435 §1.3).
    pub verify_pkix: bool,
    /// DANE records pinned for the relay (RFC 7672 §3); DANE-TA and DANE-EE records replace
    /// PKIX (RFC 7672 §3.1).
    pub dane_records: Option<Vec<Tlsa>>,
    /// AUTH after EHLO (RFC 4954).
    pub auth: Option<AuthConfig>,
}

impl Relay {
    /// How to connect: the relay's settings as a host plan. `tls_required_no` ("TLS-Required:
    /// No", RFC 8689 §5) makes verification failures non-fatal.
    pub(super) fn plan(&self, tls_required_no: bool) -> HostPlan {
        // An IP address is checked against the certificate's iPAddress names (RFC 5280 §4.2.1.6,
        // as `send` does with an address literal); no SNI goes out for it (RFC 6066 §3).
        let remote_hostname = match &self.host {
            IpDomain::Domain(domain) => domain.ascii.clone(),
            IpDomain::Ip(ip) => ip.to_string(),
        };
        let opportunistic = self.tls_mode == TlsMode::Opportunistic;
        let tls = self.tls_mode != TlsMode::Skip;
        let pinned = self.dane_records.is_some();
        // RFC 8689 §4.1: REQUIRETLS needs a server verified by PKIX or DANE.
        let verified = tls && !opportunistic && !tls_required_no && (pinned || self.verify_pkix);
        HostPlan {
            level: self.level(),
            tls_mode: self.tls_mode,
            verify_pkix: tls && self.verify_pkix,
            dane_records: self.dane_records.clone().filter(|_| tls),
            remote_hostname,
            dane_more_hostnames: Vec::new(),
            ignore_verify_errors: tls_required_no || opportunistic,
            authenticated: verified,
            // RFC 7435 §4: opportunistic TLS falls back to plaintext after a failed
            // handshake, as towards an MX host; a mode that demands TLS never does.
            plaintext_retry: opportunistic,
        }
    }

    /// The Postfix level closest to the relay's settings, for the plan only (the report
    /// gives no level for a relay).
    fn level(&self) -> TlsLevel {
        match self.tls_mode {
            TlsMode::Skip | TlsMode::Opportunistic => TlsLevel::May,
            TlsMode::Immediate | TlsMode::RequiredStartTls if self.dane_records.is_some() => {
                TlsLevel::Dane
            }
            TlsMode::Immediate | TlsMode::RequiredStartTls if self.verify_pkix => TlsLevel::Verify,
            TlsMode::Immediate | TlsMode::RequiredStartTls => TlsLevel::Encrypt,
        }
    }
}

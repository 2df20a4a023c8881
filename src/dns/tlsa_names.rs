//! The names allowed in a DANE-TA server certificate, the first of which is the SNI
//! (RFC 7672 §3.2.2).

/// Where the next hop and the TLSA base domain came from and whether their lookups were
/// DNSSEC-authentic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsaNamesInput<D> {
    /// MX records were found (not the implicit MX of RFC 5321 §5.1).
    pub have_mx: bool,
    /// Every lookup expanding the next hop's CNAMEs was authentic.
    pub expanded_next_hop_authentic: bool,
    /// Every lookup expanding the TLSA base domain's CNAMEs was authentic.
    pub expanded_base_domain_authentic: bool,
    pub original_next_hop: D,
    pub expanded_next_hop: D,
    pub original_base_domain: D,
    pub expanded_base_domain: D,
}

/// The allowed names, most specific first; never empty.
///
/// Deliberate difference from mox's `GatherTLSANames`: when the expanded base domain is
/// not authentic, the original base domain (the MX host name) is always listed, also when
/// both base domains are equal. The reference drops it in that case, so SNI and DANE-TA name
/// checks would use the recipient domain instead of the MX host.
pub fn tlsa_names<D: PartialEq + Clone>(input: &TlsaNamesInput<D>) -> Vec<D> {
    let base_names = || {
        let mut names = Vec::new();
        if input.expanded_base_domain_authentic {
            names.push(input.expanded_base_domain.clone());
        }
        if !input.expanded_base_domain_authentic
            || input.expanded_base_domain != input.original_base_domain
        {
            names.push(input.original_base_domain.clone());
        }
        names
    };
    if !input.have_mx {
        // RFC 7672 §3.2.2: without MX records, the (possibly CNAME-expanded) TLSA base domain.
        base_names()
    } else if input.expanded_next_hop_authentic {
        // RFC 7672 §3.2.2: a secure MX host's names, then the next-hop domain's names.
        let mut names = base_names();
        names.push(input.original_next_hop.clone());
        if input.original_next_hop != input.expanded_next_hop {
            names.push(input.expanded_next_hop.clone());
        }
        names
    } else {
        // RFC 7672 §2.2.1: an insecure MX lookup means no DANE; only the next-hop domain.
        vec![input.original_next_hop.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(
        have_mx: bool,
        next_hop_auth: bool,
        base_auth: bool,
        c: &'static str,
    ) -> Vec<&'static str> {
        tlsa_names(&TlsaNamesInput {
            have_mx,
            expanded_next_hop_authentic: next_hop_auth,
            expanded_base_domain_authentic: base_auth,
            original_next_hop: "nexthop.example",
            expanded_next_hop: "nexthopexpanded.example",
            original_base_domain: c,
            expanded_base_domain: "baseexpanded.example",
        })
    }

    /// mox's TestGatherTLSANames, cases N1–N5.
    #[test]
    fn reference_cases() {
        let c = "base.example";
        let d = "baseexpanded.example";
        let (a, b) = ("nexthop.example", "nexthopexpanded.example");
        assert_eq!(names(false, false, false, c), [c]);
        assert_eq!(names(false, false, true, c), [d, c]);
        assert_eq!(names(true, true, true, c), [d, c, a, b]);
        assert_eq!(names(true, true, false, c), [c, a, b]);
        assert_eq!(names(true, false, false, c), [a]);
    }

    /// Unlike mox: equal base domains, expansion not authentic: the MX host stays first.
    #[test]
    fn insecure_expansion_keeps_the_mx_host() {
        let same = "baseexpanded.example";
        assert_eq!(
            names(true, true, false, same),
            [same, "nexthop.example", "nexthopexpanded.example"]
        );
        assert_eq!(
            names(true, true, true, same),
            [same, "nexthop.example", "nexthopexpanded.example"]
        );
        assert_eq!(names(false, false, false, same), [same]);
    }
}

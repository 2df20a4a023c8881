//! [`contract_conversions!`]: the conversions between a host's bindings of the contract
//! (`smtp:client@0.2.0`) and the command line's types, written once for every host.
//!
//! wasmtime's `bindgen!` and wit-bindgen generate the same names for the contract's types
//! (records with the WIT field names, variants and enums with the case names), so one body
//! serves both; the macro expands it where the host's bindings are in scope.

/// Expands, in the calling module, `pub fn`s converting between the host's bindings of the
/// contract and this crate's request and report types. Give the modules of the bindings of
/// the `types`, `client`, `delivery` and `tcp` interfaces:
///
/// ```ignore
/// command_line::contract_conversions! {
///     types = crate::bindings::types,
///     client = crate::bindings::client,
///     delivery = crate::bindings::delivery,
///     tcp = crate::bindings::tcp,
/// }
/// ```
#[macro_export]
macro_rules! contract_conversions {
    (
        types = $($types:ident)::+,
        client = $($client:ident)::+,
        delivery = $($delivery:ident)::+,
        tcp = $($tcp:ident)::+ $(,)?
    ) => {
        use $($types)::+ as wit_types;
        use $($client)::+ as wit_client;
        use $($delivery)::+ as wit_delivery;
        use $($tcp)::+ as wit_tcp;
        use $crate::report as cli_report;
        use $crate::request as cli_request;
        use $crate::sts_cache as cli_sts_cache;

        /// A WIT address as a std one.
        pub fn ip_addr(address: wit_types::IpAddress) -> ::std::net::IpAddr {
            match address {
                wit_types::IpAddress::Ipv4((a, b, c, d)) => {
                    ::std::net::IpAddr::V4(::std::net::Ipv4Addr::new(a, b, c, d))
                }
                wit_types::IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
                    ::std::net::IpAddr::V6(::std::net::Ipv6Addr::new(a, b, c, d, e, f, g, h))
                }
            }
        }

        /// A std address as a WIT one.
        pub fn ip_address(address: ::std::net::IpAddr) -> wit_types::IpAddress {
            match address {
                ::std::net::IpAddr::V4(v4) => {
                    let [a, b, c, d] = v4.octets();
                    wit_types::IpAddress::Ipv4((a, b, c, d))
                }
                ::std::net::IpAddr::V6(v6) => {
                    let [a, b, c, d, e, f, g, h] = v6.segments();
                    wit_types::IpAddress::Ipv6((a, b, c, d, e, f, g, h))
                }
            }
        }

        /// A WIT socket address as a std one.
        pub fn socket_addr(address: wit_tcp::SocketAddress) -> ::std::net::SocketAddr {
            ::std::net::SocketAddr::new(ip_addr(address.address), address.port)
        }

        /// A std socket address as a WIT one.
        pub fn socket_address(address: ::std::net::SocketAddr) -> wit_tcp::SocketAddress {
            wit_tcp::SocketAddress {
                address: ip_address(address.ip()),
                port: address.port(),
            }
        }

        /// A domain name as the component wants it: lower case, without the trailing dot
        /// (the component converts IDNA itself).
        pub fn domain(name: &str) -> wit_types::Domain {
            wit_types::Domain {
                ascii: name.trim_end_matches('.').to_ascii_lowercase(),
                unicode: None,
            }
        }

        /// A next hop: an address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`, RFC 5321
        /// §4.1.3) is an IP, anything else a domain.
        pub fn next_hop(name: &str) -> wit_types::IpDomain {
            let literal = name
                .strip_prefix('[')
                .and_then(|d| d.strip_suffix(']'))
                .map(|d| d.strip_prefix("IPv6:").unwrap_or(d));
            match literal.and_then(|ip| ip.parse::<::std::net::IpAddr>().ok()) {
                Some(ip) => wit_types::IpDomain::Ip(ip_address(ip)),
                None => wit_types::IpDomain::Domain(domain(name)),
            }
        }

        /// A server the user names: an IP address, bare or as a literal, or a domain.
        pub fn server_host(name: &str) -> wit_types::IpDomain {
            match name.parse::<::std::net::IpAddr>() {
                Ok(ip) => wit_types::IpDomain::Ip(ip_address(ip)),
                Err(_) => next_hop(name),
            }
        }

        /// A host as text: the IP, or the Unicode form of the domain when there is one.
        pub fn ip_domain_text(host: &wit_types::IpDomain) -> String {
            match host {
                wit_types::IpDomain::Ip(ip) => ip_addr(*ip).to_string(),
                wit_types::IpDomain::Domain(domain) => {
                    domain.unicode.clone().unwrap_or(domain.ascii.clone())
                }
            }
        }

        /// The recipients of an envelope, without DSN parameters.
        pub fn recipients(to: &[String]) -> Vec<wit_client::Recipient> {
            to.iter()
                .map(|address| wit_client::Recipient {
                    address: address.clone(),
                    notify: None,
                    original_recipient: None,
                })
                .collect()
        }

        /// A duration in the contract's milliseconds, saturating.
        pub fn millis(duration: ::std::time::Duration) -> u32 {
            u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
        }

        /// The contract's milliseconds as a duration.
        pub fn duration(ms: u32) -> ::std::time::Duration {
            ::std::time::Duration::from_millis(u64::from(ms))
        }

        /// Every deadline of a session set to `timeout` (the command line's `--timeout`).
        pub fn uniform_timeouts(timeout: ::std::time::Duration) -> wit_client::Timeouts {
            let ms = Some(millis(timeout));
            wit_client::Timeouts {
                greeting_ms: ms,
                command_ms: ms,
                data_init_ms: ms,
                data_block_ms: ms,
                data_end_ms: ms,
                tls_handshake_ms: ms,
                quit_ms: ms,
            }
        }

        /// The contract's TLS mode.
        pub fn tls_mode(mode: cli_request::TlsMode) -> wit_types::TlsMode {
            match mode {
                cli_request::TlsMode::Immediate => wit_types::TlsMode::Immediate,
                cli_request::TlsMode::RequiredStarttls => wit_types::TlsMode::RequiredStarttls,
                cli_request::TlsMode::Opportunistic => wit_types::TlsMode::Opportunistic,
                cli_request::TlsMode::Skip => wit_types::TlsMode::Skip,
            }
        }

        /// The contract's TLS level.
        pub fn tls_level(level: cli_request::TlsLevel) -> wit_delivery::TlsLevel {
            match level {
                cli_request::TlsLevel::May => wit_delivery::TlsLevel::May,
                cli_request::TlsLevel::Encrypt => wit_delivery::TlsLevel::Encrypt,
                cli_request::TlsLevel::Dane => wit_delivery::TlsLevel::Dane,
                cli_request::TlsLevel::DaneOnly => wit_delivery::TlsLevel::DaneOnly,
                cli_request::TlsLevel::Verify => wit_delivery::TlsLevel::Verify,
                cli_request::TlsLevel::Secure => wit_delivery::TlsLevel::Secure,
            }
        }

        /// The contract's TLSA records.
        pub fn tlsa_records(
            records: &Option<Vec<cli_request::Tlsa>>,
        ) -> Option<Vec<wit_types::Tlsa>> {
            records.as_ref().map(|records| {
                records
                    .iter()
                    .map(|record| wit_types::Tlsa {
                        usage: record.usage,
                        selector: record.selector,
                        matching_type: record.matching_type,
                        data: record.data.clone(),
                    })
                    .collect()
            })
        }

        /// The contract's SASL mechanism.
        pub fn sasl_mechanism(mechanism: cli_request::SaslMechanism) -> wit_client::SaslMechanism {
            use cli_request::SaslMechanism as M;
            match mechanism {
                M::ScramSha256Plus => wit_client::SaslMechanism::ScramSha256Plus,
                M::ScramSha256 => wit_client::SaslMechanism::ScramSha256,
                M::ScramSha1Plus => wit_client::SaslMechanism::ScramSha1Plus,
                M::ScramSha1 => wit_client::SaslMechanism::ScramSha1,
                M::CramMd5 => wit_client::SaslMechanism::CramMd5,
                M::Plain => wit_client::SaslMechanism::Plain,
                M::Login => wit_client::SaslMechanism::Login,
                M::Xoauth2 => wit_client::SaslMechanism::Xoauth2,
                M::Oauthbearer => wit_client::SaslMechanism::Oauthbearer,
                M::External => wit_client::SaslMechanism::External,
            }
        }

        /// AUTH as the command line does it: cleartext mechanisms stay refused without TLS
        /// (there is no flag for it).
        pub fn auth_options(auth: &cli_request::SendAuth) -> wit_client::AuthOptions {
            wit_client::AuthOptions {
                username: auth.username.clone(),
                secret: auth.secret.clone(),
                mechanisms: auth.mechanisms.iter().map(|m| sasl_mechanism(*m)).collect(),
                allow_cleartext_without_tls: false,
            }
        }

        /// The contract's client certificate.
        pub fn client_certificate(cert: &cli_request::ClientCert) -> wit_client::ClientCertificate {
            wit_client::ClientCertificate {
                chain_pem: cert.chain_pem.clone(),
                key_pem: cert.key_pem.clone(),
            }
        }

        /// The session options of a submission.
        pub fn open_options<M>(request: &cli_request::SendRequest<M>) -> wit_client::OpenOptions {
            wit_client::OpenOptions {
                tls_mode: tls_mode(request.tls_mode),
                verify_pkix: request.verify_pkix,
                ehlo_hostname: domain(&request.ehlo),
                remote_hostname: Some(domain(&request.server)),
                auth: request.auth.as_ref().map(auth_options),
                dane_records: tlsa_records(&request.dane_records),
                dane_more_hostnames: Vec::new(),
                ignore_tls_verify_errors: false,
                extra_root_cas: request.extra_root_cas.clone(),
                client_certificate: request.client_certificate.as_ref().map(client_certificate),
                timeouts: request.timeout.map(uniform_timeouts),
                tls_results: None,
            }
        }

        /// The envelope of a submission.
        pub fn send_envelope<M>(request: &cli_request::SendRequest<M>) -> wit_client::Envelope {
            wit_client::Envelope {
                mail_from: request.from.clone(),
                recipients: recipients(&request.to),
                // The message's size() stands in.
                size: None,
                require_eightbitmime: request.require_8bitmime,
                require_smtputf8: request.require_smtputf8,
                require_tls: request.require_tls,
                dsn: None,
                line_endings: if request.normalize_line_endings {
                    wit_client::LineEndings::Normalize
                } else {
                    wit_client::LineEndings::Strict
                },
            }
        }

        /// The contract's MTA-STS policy of a cached one.
        pub fn sts_policy(policy: cli_sts_cache::CachedPolicy) -> wit_delivery::StsPolicy {
            wit_delivery::StsPolicy {
                id: policy.id,
                text: policy.text,
                fetched_at: policy.fetched_at,
            }
        }

        /// The MTA-STS policy a delivery returned, to cache.
        pub fn cached_policy(policy: &wit_delivery::StsPolicy) -> cli_sts_cache::CachedPolicy {
            cli_sts_cache::CachedPolicy {
                id: policy.id.clone(),
                text: policy.text.clone(),
                fetched_at: policy.fetched_at,
            }
        }

        /// The delivery request for one recipient domain with its cached MTA-STS policy;
        /// `local` are the addresses to connect from.
        pub fn delivery_request<M>(
            request: &cli_request::DeliverRequest<M>,
            recipient_domain: &str,
            cached_sts_policy: Option<cli_sts_cache::CachedPolicy>,
            local: &[::std::net::IpAddr],
        ) -> wit_delivery::DeliveryRequest {
            let route = match &request.relay {
                Some(relay) => wit_delivery::Route::Relay(wit_delivery::RelayRoute {
                    host: server_host(&relay.server),
                    port: relay.port,
                    tls_mode: tls_mode(relay.tls_mode),
                    verify_pkix: relay.verify_pkix,
                    dane_records: tlsa_records(&relay.dane_records),
                    auth: relay.auth.as_ref().map(auth_options),
                }),
                None => wit_delivery::Route::Mx(wit_delivery::MxRoute {
                    port: request.port,
                    tls_level: tls_level(request.tls_level),
                    cached_sts_policy: cached_sts_policy.map(sts_policy),
                    ip_family: wit_delivery::IpFamily::Any,
                    allow_private_addresses: request.allow_private_addresses,
                    address_limit: None,
                    session_limit: None,
                }),
            };
            wit_delivery::DeliveryRequest {
                next_hop: next_hop(recipient_domain),
                route,
                ehlo_hostname: domain(&request.ehlo),
                tls_required_no: request.tls_required_no,
                extra_root_cas: request.extra_roots.clone(),
                client_certificate: request.client_certificate.as_ref().map(client_certificate),
                timeouts: request.timeout.map(uniform_timeouts),
                connect_timeout_ms: request.timeout.map(millis),
                deadline_ms: request.deadline.map(millis),
                attempt_number: request.attempt_number,
                dialed_ips: Vec::new(),
                local_addresses: local.iter().map(|ip| ip_address(*ip)).collect(),
            }
        }

        /// The envelope of a delivery for the recipients `to`.
        pub fn deliver_envelope<M>(
            request: &cli_request::DeliverRequest<M>,
            to: &[String],
        ) -> wit_client::Envelope {
            wit_client::Envelope {
                mail_from: request.from.clone(),
                recipients: recipients(to),
                // The message's size() stands in.
                size: None,
                require_eightbitmime: request.eight_bit_mime,
                require_smtputf8: request.smtputf8,
                require_tls: request.require_tls,
                dsn: None,
                line_endings: wit_client::LineEndings::Strict,
            }
        }

        /// The JSON name of an error kind (DESIGN.md).
        pub fn kind_name(kind: wit_types::ErrorKind) -> &'static str {
            use wit_types::ErrorKind as K;
            match kind {
                K::Status => "status",
                K::Protocol => "protocol",
                K::Tls => "tls",
                K::Dane => "dane",
                K::Size => "size",
                K::EightbitmimeUnsupported => "8bitmime",
                K::Smtputf8Unsupported => "smtputf8",
                K::RequiretlsUnsupported => "requiretls",
                K::NoRecipients => "no-recipients",
                K::Message => "message",
                K::Address => "address",
                K::Auth => "auth",
                K::Botched => "botched",
                K::Closed => "closed",
                K::NoMail => "no-mail",
                K::CnameLoop => "cname-loop",
                K::CnameLimit => "cname-limit",
                K::Dns => "dns",
                K::Io => "io",
                K::Timeout => "timeout",
                K::Policy => "policy",
                K::Usage => "usage",
                K::Unsupported => "unsupported",
                K::Internal => "internal",
            }
        }

        /// The JSON name of a command (DESIGN.md).
        pub fn command_name(command: wit_types::SmtpCommand) -> &'static str {
            use wit_types::SmtpCommand as C;
            match command {
                C::Greeting => "greeting",
                C::Ehlo => "ehlo",
                C::Helo => "helo",
                C::Starttls => "starttls",
                C::Auth => "auth",
                C::MailFrom => "mailfrom",
                C::RcptTo => "rcptto",
                C::Data => "data",
                C::Bdat => "bdat",
                C::Rset => "rset",
                C::Quit => "quit",
            }
        }

        /// Code, enhanced code and lines of an optional reply.
        pub fn reply_parts(
            reply: Option<&wit_types::Reply>,
        ) -> (Option<u16>, Option<String>, Vec<String>) {
            match reply {
                Some(reply) => (Some(reply.code), reply.enhanced.clone(), reply.lines.clone()),
                None => (None, None, Vec::new()),
            }
        }

        /// The component's error as reported to the user.
        pub fn error_report(error: &wit_types::SmtpError) -> cli_report::ErrorReport {
            let (code, enhanced, lines) = reply_parts(error.reply.as_ref());
            cli_report::ErrorReport {
                kind: kind_name(error.kind),
                permanent: error.permanent,
                code,
                enhanced,
                command: error.command.map(command_name),
                lines,
                message: error.message.clone(),
            }
        }

        /// A TLSA record in presentation form, "USAGE SELECTOR MATCHING-TYPE HEX" (RFC 6698
        /// §2.2).
        pub fn tlsa_text(record: &wit_types::Tlsa) -> String {
            cli_request::Tlsa {
                usage: record.usage,
                selector: record.selector,
                matching_type: record.matching_type,
                data: record.data.clone(),
            }
            .to_string()
        }

        /// The TLS details of a session.
        pub fn tls_report(state: &wit_client::TlsState) -> cli_report::TlsReport {
            cli_report::TlsReport {
                version: state.version.clone(),
                cipher: state.cipher_suite.clone(),
                dane_verified_record: state.dane_verified_record.as_ref().map(tlsa_text),
                pkix_valid: state.pkix_valid,
            }
        }

        /// One of the component's events.
        pub fn event_report(event: &wit_types::Event) -> cli_report::EventReport {
            match event {
                wit_types::Event::Command(command) => cli_report::EventReport::Command {
                    command: command_name(command.command),
                    code: command.code,
                    duration_us: command.duration,
                },
                wit_types::Event::Dial(dial) => {
                    let (outcome, reason) = match &dial.outcome {
                        wit_types::DialOutcome::Connected => ("connected", None),
                        wit_types::DialOutcome::Failed(why) => ("failed", Some(why.clone())),
                        wit_types::DialOutcome::Refused(why) => ("refused", Some(why.clone())),
                    };
                    cli_report::EventReport::Dial {
                        host: ip_domain_text(&dial.host),
                        address: ip_addr(dial.address).to_string(),
                        port: dial.port,
                        outcome,
                        reason,
                        duration_us: dial.duration,
                    }
                }
                wit_types::Event::VerificationIgnored(ignored) => {
                    cli_report::EventReport::VerificationIgnored {
                        host: ignored.host.clone(),
                        reason: ignored.reason.clone(),
                    }
                }
            }
        }

        /// One recipient of a session's transaction.
        pub fn recipient_result(result: &wit_client::RecipientResult) -> cli_report::RecipientReport {
            let status = if result.accepted {
                cli_report::Status::Delivered
            } else if result.permanent {
                cli_report::Status::Permanent
            } else {
                cli_report::Status::Temporary
            };
            let (code, enhanced, lines) = reply_parts(result.reply.as_ref());
            cli_report::RecipientReport {
                address: result.address.clone(),
                status,
                code,
                enhanced,
                lines,
            }
        }

        /// The report of a transaction the server accepted.
        pub fn success_report(success: &wit_client::TransactionSuccess) -> cli_report::Report {
            cli_report::Report::of_recipients(
                success.recipients.iter().map(recipient_result).collect(),
                None,
            )
        }

        /// The report of a failed transaction to the recipients `to`: a recipient accepted
        /// at RCPT shares the transaction's fate, since the message was not delivered.
        pub fn failure_report(
            to: &[String],
            failure: &wit_client::TransactionFailure,
        ) -> cli_report::Report {
            let error = error_report(&failure.error);
            if failure.recipients.is_empty() {
                return cli_report::Report::failed(to, error);
            }
            let recipients = failure
                .recipients
                .iter()
                .map(|r| {
                    let mut report = recipient_result(r);
                    if report.status == cli_report::Status::Delivered {
                        report.status = if error.permanent {
                            cli_report::Status::Permanent
                        } else {
                            cli_report::Status::Temporary
                        };
                    }
                    report
                })
                .collect();
            cli_report::Report::of_recipients(recipients, Some(error))
        }

        /// One recipient of a delivery.
        pub fn delivery_recipient(
            recipient: &wit_delivery::RecipientReport,
        ) -> cli_report::RecipientReport {
            let (code, enhanced, lines) = match (&recipient.reply, &recipient.error) {
                (Some(reply), _) => reply_parts(Some(reply)),
                (None, Some(error)) => reply_parts(error.reply.as_ref()),
                (None, None) => reply_parts(None),
            };
            cli_report::RecipientReport {
                address: recipient.address.clone(),
                status: match recipient.status {
                    wit_delivery::RecipientStatus::Delivered => cli_report::Status::Delivered,
                    wit_delivery::RecipientStatus::Temporary => cli_report::Status::Temporary,
                    wit_delivery::RecipientStatus::Permanent => cli_report::Status::Permanent,
                },
                code,
                enhanced,
                lines,
            }
        }

        /// One domain's delivery report in the command line's terms; the TLS-reporting JSON
        /// comes from the component's `tls-report` export, which the host calls.
        pub fn domain_report(
            report: &wit_delivery::DeliveryReport,
            tlsrpt: Vec<$crate::serde_json::Value>,
        ) -> $crate::deliver::DomainReport {
            let mut server = None;
            let mut attempts = Vec::new();
            for attempt in &report.attempts {
                let host = ip_domain_text(&attempt.host);
                let ip = attempt.address.map(|a| ip_addr(a).to_string());
                if attempt.tls.is_some() || !attempt.extensions.is_empty() {
                    server = Some((
                        cli_report::ServerReport {
                            host: host.clone(),
                            ip: ip.clone(),
                            port: attempt.port,
                            extensions: attempt.extensions.clone(),
                        },
                        attempt.tls.as_ref().map(tls_report),
                    ));
                }
                attempts.push(cli_report::AttemptReport {
                    host,
                    ip,
                    port: attempt.port,
                    error: attempt.error.as_ref().map(error_report),
                });
            }
            $crate::deliver::DomainReport {
                recipients: report
                    .messages
                    .iter()
                    .flat_map(|m| &m.recipients)
                    .map(delivery_recipient)
                    .collect(),
                attempts,
                server,
                tlsrpt,
                events: report.events.iter().map(event_report).collect(),
                error: report.error.as_ref().map(error_report),
                sts_policy: report.sts_policy.as_ref().map(cached_policy),
            }
        }
    };
}

//! The `resolver` import: the host's [`Resolver`](crate::dns::Resolver) mapped onto WIT types.

use crate::bindings::resolver::{
    self, CnameAnswer, IpAnswer, IpFamily, LookupError, Mx, MxAnswer, NotFound, TemporaryFailure,
    TlsaAnswer, TxtAnswer,
};
use crate::bindings::types::Tlsa;
use crate::convert::ip_address;
use crate::dns;
use crate::state::HostState;

type Lookup<T> = wasmtime::Result<Result<T, LookupError>>;

impl resolver::Host for HostState {
    async fn lookup_cname(&mut self, name: String) -> Lookup<CnameAnswer> {
        let answer = self.resolver.lookup_cname(&name).await;
        Ok(answer.map_err(lookup_error).and_then(|answer| {
            let authentic = answer.authentic;
            match answer.records.into_iter().next() {
                Some(target) => Ok(CnameAnswer { target, authentic }),
                None => Err(LookupError::NotFound(NotFound { authentic })),
            }
        }))
    }

    async fn lookup_mx(&mut self, name: String) -> Lookup<MxAnswer> {
        let answer = self.resolver.lookup_mx(&name).await;
        Ok(answer.map_err(lookup_error).map(|answer| MxAnswer {
            authentic: answer.authentic,
            records: answer
                .records
                .into_iter()
                .map(|mx| Mx {
                    preference: mx.preference,
                    exchange: mx.exchange,
                })
                .collect(),
        }))
    }

    async fn lookup_ip(&mut self, name: String, family: IpFamily) -> Lookup<IpAnswer> {
        let family = match family {
            IpFamily::Any => dns::IpFamily::Any,
            IpFamily::Ipv4 => dns::IpFamily::V4,
            IpFamily::Ipv6 => dns::IpFamily::V6,
        };
        let answer = self.resolver.lookup_ip(&name, family).await;
        Ok(answer.map_err(lookup_error).and_then(|answer| {
            if answer.records.is_empty() {
                // The WIT contract: never an empty success.
                return Err(LookupError::NotFound(NotFound {
                    authentic: answer.authentic,
                }));
            }
            Ok(IpAnswer {
                authentic: answer.authentic,
                addresses: answer.records.into_iter().map(ip_address).collect(),
            })
        }))
    }

    async fn lookup_tlsa(
        &mut self,
        port: u16,
        protocol: String,
        host: String,
    ) -> Lookup<TlsaAnswer> {
        let answer = self.resolver.lookup_tlsa(port, &protocol, &host).await;
        Ok(answer.map_err(lookup_error).map(|answer| TlsaAnswer {
            authentic: answer.authentic,
            records: answer
                .records
                .into_iter()
                .map(|r| Tlsa {
                    usage: r.usage,
                    selector: r.selector,
                    matching_type: r.matching_type,
                    data: r.data,
                })
                .collect(),
        }))
    }

    async fn lookup_txt(&mut self, name: String) -> Lookup<TxtAnswer> {
        let answer = self.resolver.lookup_txt(&name).await;
        Ok(answer.map_err(lookup_error).map(|answer| TxtAnswer {
            authentic: answer.authentic,
            records: answer.records,
        }))
    }
}

fn lookup_error(error: dns::LookupError) -> LookupError {
    match error {
        dns::LookupError::NotFound { authentic } => LookupError::NotFound(NotFound { authentic }),
        dns::LookupError::Temporary {
            extended_error,
            message,
        } => LookupError::Temporary(TemporaryFailure {
            extended_error,
            message,
        }),
        dns::LookupError::Permanent { message } => LookupError::Permanent(message),
    }
}

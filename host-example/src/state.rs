//! The per-store state: WASI context, resource table, and the host's implementations of the
//! `resolver`, `tcp` and `log` imports.

use crate::connector::TcpConnector;
use crate::dns::DnsBackend;
use crate::egress::EgressPolicy;
use crate::limits::{CpuMeter, MemoryLimiter};
use crate::log_impl::Logger;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// What one store (one delivery) carries.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) resolver: Arc<dyn DnsBackend>,
    pub(crate) connector: Arc<dyn TcpConnector>,
    pub(crate) egress: Arc<dyn EgressPolicy>,
    pub(crate) logger: Arc<dyn Logger>,
    pub(crate) memory: MemoryLimiter,
    pub(crate) cpu: CpuMeter,
}

impl HostState {
    /// The resource table, where an embedder puts the connections and message streams it
    /// passes to the component's exports.
    pub fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// `types` declares no functions, only the types the other interfaces share.
impl crate::bindings::types::Host for HostState {}

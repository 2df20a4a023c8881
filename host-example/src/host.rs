//! [`Host`]: the component loaded once, instantiated per delivery from an `InstancePre`.

use crate::bindings::SmtpClientPre;
use crate::dns::Resolver;
use crate::log_impl::Logger;
use crate::state::HostState;
use std::sync::Arc;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Cache, Config, Engine, Store, StoreLimitsBuilder};
use wasmtime_wasi::WasiCtx;

/// The component built with this host (profile `component`, `wasm32-wasip2`), embedded at build time.
pub const EMBEDDED_COMPONENT: &[u8] = include_bytes!(env!("SMTPCLIENT_COMPONENT_WASM"));

/// Why the host could not load or run the component.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The bytes are not a WebAssembly component wasmtime can compile.
    #[error("invalid component: {0}")]
    InvalidComponent(String),
    /// The component does not implement the `smtp:client/smtp-client` world of this host.
    #[error("component does not match the smtp-client world: {0}")]
    WorldMismatch(String),
    /// The guest trapped or a host call failed fatally; only this delivery is affected.
    #[error("component failed: {0}")]
    Trap(String),
    /// The wasmtime engine could not be set up.
    #[error("wasmtime setup failed: {0}")]
    Engine(String),
}

/// Settings of a [`Host`].
#[derive(Clone)]
pub struct HostConfig {
    /// The DNS the component's `resolver` import answers from.
    pub resolver: Arc<Resolver>,
    /// Where transcripts and log lines go.
    pub logger: Arc<dyn Logger>,
    /// The most linear memory one instance may have, in bytes.
    pub max_guest_memory: usize,
}

/// The loaded component, ready to be instantiated for each delivery.
///
/// Compilation and linking happen once in [`Host::new`]; every [`Host::instantiate`] only
/// creates a store and an instance (about 0.1 ms), so one `Host` can serve many concurrent
/// deliveries.
pub struct Host {
    engine: Engine,
    pre: SmtpClientPre<HostState>,
    config: HostConfig,
}

/// Our own imports; `wasi:*` comes from wasmtime-wasi.
fn add_imports(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use crate::bindings::smtp::client::{log, resolver, spool, tcp, types};
    types::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    spool::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    tcp::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    resolver::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    log::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

/// One instance of the component with its store.
pub struct Instance {
    pub store: Store<HostState>,
    pub bindings: crate::bindings::SmtpClient,
}

impl Host {
    /// Compile `component` (a `.wasm` component) and link it against this host's imports.
    ///
    /// # Errors
    /// [`HostError::InvalidComponent`] when the bytes are not a component,
    /// [`HostError::WorldMismatch`] when its imports or exports differ from the world.
    pub fn new(component: &[u8], config: HostConfig) -> Result<Host, HostError> {
        let mut wasm_config = Config::new();
        wasm_config.wasm_component_model(true);
        // The compilation cache turns the ~1 s compile into ~20 ms on later runs; a host
        // without a writable cache directory simply compiles every time.
        if let Ok(cache) = Cache::from_file(None) {
            wasm_config.cache(Some(cache));
        }
        let engine = Engine::new(&wasm_config).map_err(|e| HostError::Engine(e.to_string()))?;
        let component = Component::new(&engine, component)
            .map_err(|e| HostError::InvalidComponent(format!("{e:#}")))?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| HostError::Engine(e.to_string()))?;
        add_imports(&mut linker).map_err(|e| HostError::Engine(e.to_string()))?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(|e| HostError::WorldMismatch(format!("{e:#}")))?;
        let pre = SmtpClientPre::new(instance_pre)
            .map_err(|e| HostError::WorldMismatch(format!("{e:#}")))?;
        Ok(Host {
            engine,
            pre,
            config,
        })
    }

    /// The engine, e.g. to drive epoch interruption.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A fresh instance with its own store, memory limit and WASI context.
    ///
    /// # Errors
    /// [`HostError::Trap`] if instantiation fails (e.g. the memory limit is too small).
    pub async fn instantiate(&self) -> Result<Instance, HostError> {
        let state = HostState {
            wasi: WasiCtx::builder().build(),
            table: Default::default(),
            resolver: Arc::clone(&self.config.resolver),
            logger: Arc::clone(&self.config.logger),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.config.max_guest_memory)
                .build(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        let bindings = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| HostError::Trap(format!("{e:#}")))?;
        Ok(Instance { store, bindings })
    }
}

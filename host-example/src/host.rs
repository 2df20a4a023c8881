//! [`Host`]: the component loaded once, instantiated per delivery from an `InstancePre`, with
//! the limits a hosting platform needs (see [`limits`](crate::limits) for what the CPU
//! budget measures).

use crate::bindings::SmtpClientPre;
use crate::connector::{TcpConnection, TcpConnector, TokioConnector};
use crate::dns::DnsBackend;
use crate::egress::{AddressPolicy, EgressPolicy};
use crate::limits::{CpuMeter, EPOCH_TICK, LimitExceeded, MemoryLimiter};
use crate::log_impl::Logger;
use crate::state::HostState;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Component, HasSelf, Linker, Resource};
use wasmtime::{Cache, CallHook, Config, Engine, EngineWeak, Store, UpdateDeadline};
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
    /// The guest went over its memory or CPU limit; only this delivery is affected.
    #[error("component stopped: {0}")]
    Limit(#[from] LimitExceeded),
    /// The delivery took longer than [`HostConfig::max_delivery_time`]; its instance is gone.
    #[error("delivery deadline of {} s passed", .0.as_secs())]
    Deadline(Duration),
    /// The wasmtime engine could not be set up.
    #[error("wasmtime setup failed: {0}")]
    Engine(String),
}

impl HostError {
    /// The error of a failed call into the guest: a [`HostError::Limit`] when a limit
    /// stopped it, else a [`HostError::Trap`].
    pub fn from_guest(error: wasmtime::Error) -> HostError {
        match error.downcast_ref::<LimitExceeded>() {
            Some(limit) => HostError::Limit(limit.clone()),
            None => HostError::Trap(format!("{error:#}")),
        }
    }
}

/// Settings of a [`Host`]; [`HostConfig::new`] gives a platform's defaults.
#[derive(Clone)]
pub struct HostConfig {
    /// The DNS the component's `resolver` import answers from.
    pub resolver: Arc<dyn DnsBackend>,
    /// Opens the connections of the component's `tcp` import.
    pub connector: Arc<dyn TcpConnector>,
    /// Consulted before every connect of the `tcp` import.
    pub egress: Arc<dyn EgressPolicy>,
    /// The local addresses to connect from, at most one per family (`--source`): passed as
    /// the `local-addresses` of every delivery request and used by [`Host::dial`]; empty:
    /// the system chooses.
    pub local_addresses: Vec<IpAddr>,
    /// Where transcripts and log lines go.
    pub logger: Arc<dyn Logger>,
    /// The most linear memory one instance may have, in bytes.
    pub max_guest_memory: usize,
    /// The most time one instance may spend executing wasm (host calls not counted).
    pub max_guest_cpu: Duration,
    /// The most wall-clock time one delivery may take, see [`Host::deadline`].
    pub max_delivery_time: Duration,
}

impl HostConfig {
    /// 64 MiB of guest memory, 10 s of guest CPU, 10 minutes per delivery, real sockets to
    /// public addresses only ([`AddressPolicy::public_only`]).
    pub fn new(resolver: Arc<dyn DnsBackend>, logger: Arc<dyn Logger>) -> HostConfig {
        HostConfig {
            resolver,
            connector: Arc::new(TokioConnector),
            egress: Arc::new(AddressPolicy::public_only()),
            local_addresses: Vec::new(),
            logger,
            max_guest_memory: 64 << 20,
            max_guest_cpu: Duration::from_secs(10),
            max_delivery_time: Duration::from_secs(600),
        }
    }

    /// For a tool its user runs on their own behalf (the command line): every address and
    /// port allowed, 60 s of guest CPU (a message of hundreds of MB through TLS), an hour
    /// per delivery.
    pub fn command_line(resolver: Arc<dyn DnsBackend>, logger: Arc<dyn Logger>) -> HostConfig {
        HostConfig {
            egress: Arc::new(AddressPolicy::allow_all()),
            max_guest_cpu: Duration::from_secs(60),
            max_delivery_time: Duration::from_secs(3600),
            ..HostConfig::new(resolver, logger)
        }
    }
}

/// The loaded component, ready to be instantiated for each delivery.
///
/// Compilation and linking happen once in [`Host::new`]; every [`Host::instantiate`] only
/// creates a store and an instance (about 0.1 ms), so one `Host` (behind an `Arc`) serves
/// many concurrent deliveries. A thread advances the engine's epoch every [`EPOCH_TICK`]
/// for the CPU budget; it ends when the engine is dropped.
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

impl Instance {
    /// Put `value` (a connection, a message) into the instance's table, to pass it to an
    /// export.
    ///
    /// # Errors
    /// [`HostError::Trap`] when the table is full.
    pub fn push<T: Send + 'static>(&mut self, value: T) -> Result<Resource<T>, HostError> {
        self.store
            .data_mut()
            .table()
            .push(value)
            .map_err(|e| HostError::Trap(e.to_string()))
    }
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
        wasm_config.epoch_interruption(true);
        // No guard region before each linear memory (the one after it, which bounds checks
        // rely on, stays). wasmtime documents the region before as never used by correct
        // code, only a defence against code-generator bugs; without it an idle instance
        // costs 6 kernel memory mappings instead of 7, so the default vm.max_map_count
        // (65,530) holds over 10,000 sessions in one process instead of about 9,400.
        wasm_config.guard_before_linear_memory(false);
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
        start_ticker(engine.weak()).map_err(|e| HostError::Engine(e.to_string()))?;
        Ok(Host {
            engine,
            pre,
            config,
        })
    }

    /// The same compiled component with other settings (a tenant's own limits, resolver or
    /// egress policy), without compiling again.
    #[must_use]
    pub fn with_config(&self, config: HostConfig) -> Host {
        Host {
            engine: self.engine.clone(),
            pre: self.pre.clone(),
            config,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The settings this host was made with.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// A fresh instance with its own store, limits and WASI context.
    ///
    /// # Errors
    /// [`HostError::Limit`] if the memory cap is below what the component needs to start,
    /// [`HostError::Trap`] if instantiation fails otherwise.
    pub async fn instantiate(&self) -> Result<Instance, HostError> {
        let cpu = CpuMeter::default();
        let state = HostState {
            wasi: WasiCtx::builder().build(),
            table: Default::default(),
            resolver: Arc::clone(&self.config.resolver),
            connector: Arc::clone(&self.config.connector),
            egress: Arc::clone(&self.config.egress),
            logger: Arc::clone(&self.config.logger),
            memory: MemoryLimiter::new(self.config.max_guest_memory),
            cpu: cpu.clone(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        // The meter runs while wasm runs: from a call into the guest or a return to it,
        // until the guest calls the host or returns.
        store.call_hook(|store, hook| {
            match hook {
                CallHook::CallingWasm | CallHook::ReturningFromHost => store.data().cpu.start(),
                CallHook::CallingHost | CallHook::ReturningFromWasm => store.data().cpu.stop(),
            }
            Ok(())
        });
        let budget = self.config.max_guest_cpu;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_store| {
            if cpu.used() > budget {
                return Err(LimitExceeded::Cpu { budget }.into());
            }
            let meter = cpu.clone();
            Ok(UpdateDeadline::YieldCustom(
                1,
                Box::pin(async move {
                    meter.stop();
                    tokio::task::yield_now().await;
                    meter.start();
                }),
            ))
        });
        let bindings = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(HostError::from_guest)?;
        Ok(Instance { store, bindings })
    }

    /// Connect to `remote` as the component's `tcp.connect` would: checked by the egress
    /// policy, opened by the connector, from the local address of
    /// [`HostConfig::local_addresses`] with `remote`'s family when there is one. For
    /// connections the host dials itself and hands to the component (as `send` does).
    ///
    /// # Errors
    /// `PermissionDenied` with the policy's reason when it refuses, else the connector's error.
    pub async fn dial(&self, remote: SocketAddr, limit: Duration) -> io::Result<TcpConnection> {
        let local = self
            .config
            .local_addresses
            .iter()
            .copied()
            .find(|ip| ip.is_ipv4() == remote.is_ipv4());
        if let Err(reason) = self.config.egress.check(remote, local) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("denied by host policy: {reason}"),
            ));
        }
        self.config.connector.connect(remote, local, limit).await
    }

    /// Run one delivery within [`HostConfig::max_delivery_time`] of wall-clock time; when it
    /// passes, `delivery` (and the instance it owns) is dropped mid-flight.
    ///
    /// # Errors
    /// [`HostError::Deadline`], or the delivery's own error.
    pub async fn deadline<T>(
        &self,
        delivery: impl Future<Output = Result<T, HostError>>,
    ) -> Result<T, HostError> {
        let limit = self.config.max_delivery_time;
        tokio::time::timeout(limit, delivery)
            .await
            .unwrap_or(Err(HostError::Deadline(limit)))
    }
}

/// Advance the engine's epoch every [`EPOCH_TICK`] until the engine is gone.
fn start_ticker(engine: EngineWeak) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
}

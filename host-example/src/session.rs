//! Calls on an open `client.session` of the component that `send` and `probe` share.

use crate::bindings::client::TlsState;
use crate::bindings::types::Event;
use crate::host::{HostError, Instance};
use wasmtime::component::ResourceAny;

/// The TLS connection of an open session, if it has one.
///
/// # Errors
/// [`HostError`] when the component traps.
pub async fn tls_state(
    instance: &mut Instance,
    session: ResourceAny,
) -> Result<Option<TlsState>, HostError> {
    let client = instance.bindings.smtp_client_client();
    client
        .session()
        .call_tls_state(&mut instance.store, session)
        .await
        .map_err(HostError::from_guest)
}

/// The EHLO keywords of an open session (after STARTTLS when TLS was used).
///
/// # Errors
/// [`HostError`] when the component traps.
pub async fn extensions(
    instance: &mut Instance,
    session: ResourceAny,
) -> Result<Vec<String>, HostError> {
    let client = instance.bindings.smtp_client_client();
    let extensions = client
        .session()
        .call_extensions(&mut instance.store, session)
        .await
        .map_err(HostError::from_guest)?;
    Ok(extensions.lines)
}

/// QUIT and drop the session; a failing QUIT does not change the outcome. Returns what the
/// session observed since the last `take-events` (QUIT included).
///
/// # Errors
/// [`HostError`] when the component traps.
pub async fn close(instance: &mut Instance, session: ResourceAny) -> Result<Vec<Event>, HostError> {
    let trap = HostError::from_guest;
    let client = instance.bindings.smtp_client_client();
    let _quit = client
        .session()
        .call_close(&mut instance.store, session)
        .await
        .map_err(trap)?;
    let events = client
        .session()
        .call_take_events(&mut instance.store, session)
        .await
        .map_err(trap)?;
    session
        .resource_drop_async(&mut instance.store)
        .await
        .map_err(trap)?;
    Ok(events)
}

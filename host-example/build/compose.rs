//! The composition of the wasi-run file with wac-graph: the adapter's exports satisfy the
//! client's imports, the adapter's and the client's exports the command's, and what is left
//! (WASI) becomes the imports of the whole; the command's `wasi:cli/run` is its export. The
//! client component is embedded unchanged.

use std::error::Error;
use std::path::Path;
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, NodeId, PackageId};

/// Compose `client`, `adapter` and `command` into `out`.
pub fn compose(
    client: &Path,
    adapter: &Path,
    command: &Path,
    out: &Path,
) -> Result<(), Box<dyn Error>> {
    let mut graph = CompositionGraph::new();
    let mut register = |name: &str, path: &Path| -> Result<PackageId, Box<dyn Error>> {
        let package = Package::from_file(name, None, path, graph.types_mut())?;
        Ok(graph.register_package(package)?)
    };
    let adapter = register("smtp:wasi-run-adapter", adapter)?;
    let client = register("smtp:client", client)?;
    let command = register("smtp:wasi-run-command", command)?;

    let adapter_instance = graph.instantiate(adapter);
    let client_instance = graph.instantiate(client);
    let command_instance = graph.instantiate(command);
    let providers = [(adapter, adapter_instance), (client, client_instance)];
    plug(&mut graph, &providers[..1], client, client_instance)?;
    plug(&mut graph, &providers, command, command_instance)?;

    let run = exported_name(&graph, command, "wasi:cli/run@")
        .ok_or("the command exports no wasi:cli/run")?;
    let export = graph.alias_instance_export(command_instance, &run)?;
    graph.export(export, &run)?;

    let bytes = graph.encode(EncodeOptions::default())?;
    std::fs::create_dir_all(out.parent().ok_or("no directory")?)?;
    std::fs::write(out, bytes)?;
    Ok(())
}

/// Satisfy each import of `importer` that a provider exports under the same name, from the
/// first such provider.
fn plug(
    graph: &mut CompositionGraph,
    providers: &[(PackageId, NodeId)],
    importer: PackageId,
    instance: NodeId,
) -> Result<(), Box<dyn Error>> {
    let imports: Vec<String> = graph.types()[graph[importer].ty()]
        .imports
        .keys()
        .cloned()
        .collect();
    for name in imports {
        let provider = providers.iter().find(|(package, _)| {
            graph.types()[graph[*package].ty()]
                .exports
                .contains_key(&name)
        });
        if let Some((_, provider)) = provider {
            let export = graph.alias_instance_export(*provider, &name)?;
            graph.set_instantiation_argument(instance, &name, export)?;
        }
    }
    Ok(())
}

/// The name of `package`'s export starting with `prefix`.
fn exported_name(graph: &CompositionGraph, package: PackageId, prefix: &str) -> Option<String> {
    graph.types()[graph[package].ty()]
        .exports
        .keys()
        .find(|name| name.starts_with(prefix))
        .cloned()
}

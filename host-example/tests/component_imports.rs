//! The built component's world, decoded from its bytes (`wit-component`): it imports exactly
//! our interfaces and the WASI interfaces `wit/README.md` lists, and no function of an
//! `smtp:client` interface takes or returns a WASI type (anything of `wasi:io`, say), so that
//! a host in any language implements it without WASI resources of its own.

use host_example::EMBEDDED_COMPONENT;
use std::collections::{BTreeSet, HashSet};
use wit_component::DecodedWasm;
use wit_parser::{Handle, InterfaceId, Resolve, Type, TypeDefKind, TypeId, TypeOwner, WorldItem};

/// Our imports, as `wit/world.wit` declares them.
const OUR_IMPORTS: [&str; 4] = [
    "smtp:client/log@0.2.0",
    "smtp:client/resolver@0.2.0",
    "smtp:client/spool@0.2.0",
    "smtp:client/tcp@0.2.0",
];

/// The WASI interfaces wit/README.md tells host authors to provide: those of Rust's standard
/// library (clocks, randomness, the environment, exit, stdio with its terminal queries, and
/// the `wasi:io` types its streams are made of), all part of `wasi:cli/command`, which every
/// WASI 0.2 runtime ships. Version-less: the toolchain picks the 0.2.x release.
const WASI_IMPORTS: [&str; 17] = [
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stderr",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stderr",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/insecure-seed",
    "wasi:random/random",
];

/// The component's world.
fn world() -> (Resolve, wit_parser::WorldId) {
    match wit_component::decode(EMBEDDED_COMPONENT).expect("the component decodes") {
        DecodedWasm::Component(resolve, world) => (resolve, world),
        DecodedWasm::WitPackage(..) => panic!("a component, not a WIT package"),
    }
}

/// The interfaces of `items`, by their full names.
fn interfaces<'a>(
    resolve: &Resolve,
    items: impl Iterator<Item = &'a WorldItem>,
) -> Vec<(String, InterfaceId)> {
    items
        .map(|item| match item {
            WorldItem::Interface { id, .. } => (resolve.id_of(*id).expect("named"), *id),
            other => panic!("the world imports or exports a bare item: {other:?}"),
        })
        .collect()
}

/// The name without its version: "wasi:io/streams@0.2.6" is "wasi:io/streams".
fn unversioned(name: &str) -> &str {
    name.split_once('@').map_or(name, |(name, _)| name)
}

#[test]
fn imports_are_ours_and_the_listed_wasi_ones() {
    let (resolve, world) = world();
    let imports = interfaces(&resolve, resolve.worlds[world].imports.values());
    let ours: BTreeSet<&str> = imports
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| name.starts_with("smtp:client/"))
        .collect();
    // `types` is imported for the types the other interfaces share; it has no functions.
    let expected: BTreeSet<&str> = OUR_IMPORTS
        .into_iter()
        .chain(["smtp:client/types@0.2.0"])
        .collect();
    assert_eq!(ours, expected);
    let types = imports
        .iter()
        .find(|(name, _)| name == "smtp:client/types@0.2.0")
        .map(|(_, id)| *id)
        .expect("types");
    assert!(resolve.interfaces[types].functions.is_empty());
    let wasi: BTreeSet<&str> = imports
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !name.starts_with("smtp:client/"))
        .map(unversioned)
        .collect();
    assert_eq!(wasi, WASI_IMPORTS.into_iter().collect::<BTreeSet<_>>());
}

#[test]
fn no_smtp_client_function_mentions_a_wasi_type() {
    let (resolve, world) = world();
    let world = &resolve.worlds[world];
    let all = interfaces(
        &resolve,
        world.imports.values().chain(world.exports.values()),
    );
    let mut checked = 0;
    for (name, id) in all
        .iter()
        .filter(|(name, _)| name.starts_with("smtp:client/"))
    {
        for (function, f) in &resolve.interfaces[*id].functions {
            let types = f.params.iter().map(|p| p.ty).chain(f.result);
            for ty in types {
                let mut seen = HashSet::new();
                if let Some(foreign) = foreign_interface(&resolve, ty, &mut seen) {
                    panic!("{name} {function} uses a type of {foreign}");
                }
            }
            checked += 1;
        }
    }
    // open-session, deliver, read, connect, lookups: the contract has dozens of functions.
    assert!(checked > 30, "{checked} functions checked");
}

/// The first interface outside `smtp:client` that `ty` refers to, through any nesting.
fn foreign_interface(resolve: &Resolve, ty: Type, seen: &mut HashSet<TypeId>) -> Option<String> {
    let Type::Id(id) = ty else {
        return None;
    };
    if !seen.insert(id) {
        return None;
    }
    let def = &resolve.types[id];
    if let TypeOwner::Interface(owner) = def.owner {
        let name = resolve.id_of(owner).expect("named");
        if !name.starts_with("smtp:client/") {
            return Some(name);
        }
    }
    let mut inner: Vec<Type> = Vec::new();
    match &def.kind {
        TypeDefKind::Record(record) => inner.extend(record.fields.iter().map(|f| f.ty)),
        TypeDefKind::Tuple(tuple) => inner.extend(tuple.types.iter().copied()),
        TypeDefKind::Variant(variant) => inner.extend(variant.cases.iter().filter_map(|c| c.ty)),
        TypeDefKind::Option(t) | TypeDefKind::List(t) | TypeDefKind::Type(t) => inner.push(*t),
        TypeDefKind::FixedLengthList(t, _) => inner.push(*t),
        TypeDefKind::Map(k, v) => inner.extend([*k, *v]),
        TypeDefKind::Result(result) => inner.extend(result.ok.iter().chain(&result.err).copied()),
        TypeDefKind::Handle(Handle::Own(resource) | Handle::Borrow(resource)) => {
            inner.push(Type::Id(*resource));
        }
        TypeDefKind::Future(t) | TypeDefKind::Stream(t) => inner.extend(t.iter().copied()),
        TypeDefKind::Resource | TypeDefKind::Flags(_) | TypeDefKind::Enum(_) => {}
        TypeDefKind::Unknown => panic!("an unresolved type in a decoded component"),
    }
    inner
        .into_iter()
        .find_map(|t| foreign_interface(resolve, t, seen))
}

// The transpiled component (`npm run build` puts it in ../generated/): its core modules are
// compiled once per process, and each instance gets the imports of one host. The WASI
// interfaces come from @bytecodealliance/preview2-shim; our four from ./imports/.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import * as wasi from '@bytecodealliance/preview2-shim';

const GENERATED = new URL('../generated/', import.meta.url);

/** The component file that was transpiled: a copy of the `.wasm` the build was given. */
export const COMPONENT_FILE = new URL('smtpclient.wasm', GENERATED);

/** `npm run build` has not run (or failed). */
export class NotBuiltError extends Error {}

/** The SHA-256 (hex) of the transpiled component file. */
export function componentSha256() {
  return createHash('sha256').update(readFileSync(COMPONENT_FILE)).digest('hex');
}

/** True when `npm run build` made `variant` ('sync' or 'jspi'). */
export function isTranspiled(variant) {
  return existsSync(new URL(`${variant}/smtpclient.js`, GENERATED));
}

const modules = new Map();

/** The compiled core module `name` of `variant`, compiled once. */
function coreModule(variant, name) {
  const key = `${variant}/${name}`;
  if (!modules.has(key)) {
    modules.set(key, readFile(new URL(key, GENERATED)).then((bytes) => WebAssembly.compile(bytes)));
  }
  return modules.get(key);
}

const bindings = new Map();

/** The generated `instantiate` of `variant` ('sync' or 'jspi'). */
async function generated(variant) {
  if (!bindings.has(variant)) {
    const url = new URL(`${variant}/smtpclient.js`, GENERATED);
    bindings.set(variant, import(url.href).catch((error) => {
      bindings.delete(variant);
      throw new NotBuiltError(
        `the component is not transpiled (${error.message}); run \`npm run build\` in hosts/node`,
      );
    }));
  }
  return (await bindings.get(variant)).instantiate;
}

/** The WASI interfaces by the keys the generated code reads ('wasi:cli/stdout', without the
 * version): preview2-shim's namespaces, camel-cased. */
function wasiImports() {
  const imports = {};
  for (const [namespace, interfaces] of Object.entries(wasi)) {
    for (const [name, value] of Object.entries(interfaces)) {
      if (name.startsWith('_') || typeof value !== 'object') continue;
      const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      imports[`wasi:${namespace}/${kebab}`] = value;
    }
  }
  return imports;
}

let standIns = 0;

/** Runs `f` (jco's generated instantiation) with a stand-in for `WebAssembly.promising` when
 * this Node.js has none (JSPI, Node 24+). The generated code tries `WebAssembly.promising` on
 * 18 exports, each in try/catch, keeping the plain export when it throws: the resulting
 * TypeError's message ("... is not a function") makes V8 re-parse the enclosing function, 18,000
 * lines, which cost 300 ms per instance. The stand-in throws a ready-made error instead (the
 * same fallback) and is removed when the last instantiation ends. */
async function withPromisingStandIn(f) {
  if (standIns === 0 && typeof WebAssembly.promising === 'function') return f();
  const unsupported = new TypeError('WebAssembly.promising is not supported by this Node.js');
  standIns += 1;
  WebAssembly.promising ??= () => { throw unsupported; };
  try {
    return await f();
  } finally {
    standIns -= 1;
    if (standIns === 0) delete WebAssembly.promising;
  }
}

/** An instance of the component with `imports` (`{tcp, resolver, log, spool}`); its exports
 * by interface name (`client`, `delivery`, `mtaSts`, `tlsReport`).
 * @throws {NotBuiltError} when `npm run build` has not run */
export async function instantiate(imports, variant = 'sync') {
  const instantiateGenerated = await generated(variant);
  const all = {
    ...wasiImports(),
    'smtp:client/tcp': imports.tcp,
    'smtp:client/resolver': imports.resolver,
    'smtp:client/log': imports.log,
    'smtp:client/spool': imports.spool,
    'smtp:client/types': {},
  };
  // The generated code reads keys without the version; its types name them with it.
  for (const key of Object.keys(all)) {
    if (key.startsWith('smtp:client/')) all[`${key}@0.2.0`] = all[key];
  }
  return withPromisingStandIn(() => instantiateGenerated((name) => coreModule(variant, name), all));
}

// `npm run build`: transpile the component with jco into generated/ (not committed).
//
// The component: $SMTPCLIENT_COMPONENT, else the first argument, else the workspace's build
// (../../target/component/wasm32-wasip2/component/smtpclient.wasm). It is copied to
// generated/smtpclient.wasm (the file whose SHA-256 `smtpclient component` prints), then
// transpiled for custom instantiation twice: generated/sync/ (blocking imports, Node 20) and
// generated/jspi/ (imports that return Promises, for Node 24+ with JSPI).

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = resolve(process.env.SMTPCLIENT_COMPONENT
  ?? process.argv[2]
  ?? join(here, '../../target/component/wasm32-wasip2/component/smtpclient.wasm'));
const out = join(here, 'generated');
const copy = join(out, 'smtpclient.wasm');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
try {
  copyFileSync(source, copy);
} catch (error) {
  console.error(`build: cannot read the component ${source}: ${error.message}`);
  console.error('build: build it first (cargo build -p host-example builds it) or set SMTPCLIENT_COMPONENT');
  process.exit(66);
}

// jco's command line sits beside its API module (the package exports no other path).
const jco = fileURLToPath(new URL('./jco.js', import.meta.resolve('@bytecodealliance/jco')));

/** Runs `jco transpile` of the copy into `generated/<dir>` with `flags`. */
function transpile(dir, flags) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [
    jco, 'transpile', copy, '-o', join(out, dir), '--instantiation', 'async', '--quiet', ...flags,
  ], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build: jco transpile (${dir}) failed`);
    process.exit(1);
  }
  console.log(`build: ${source} -> generated/${dir} in ${Date.now() - started} ms`);
}

/** The imports that wait on the network, and the exports that may reach them (JSPI). */
const ASYNC_IMPORTS = [
  'smtp:client/tcp#connect',
  'smtp:client/tcp#[method]connection.read',
  'smtp:client/tcp#[method]connection.write',
  'smtp:client/resolver#lookup-cname',
  'smtp:client/resolver#lookup-mx',
  'smtp:client/resolver#lookup-ip',
  'smtp:client/resolver#lookup-tlsa',
  'smtp:client/resolver#lookup-txt',
];
const ASYNC_EXPORTS = [
  'smtp:client/client#open-session',
  'smtp:client/client#[method]session.deliver',
  'smtp:client/client#[method]session.reset',
  'smtp:client/client#[method]session.close',
  'smtp:client/delivery#deliver',
  'smtp:client/delivery#dial',
  'smtp:client/delivery#gather-destinations',
  'smtp:client/delivery#gather-ips',
  'smtp:client/delivery#gather-tlsa',
  'smtp:client/mta-sts#lookup-policy',
];

transpile('sync', []);
transpile('jspi', [
  '--async-mode', 'jspi', '--async-imports', ...ASYNC_IMPORTS, '--async-exports', ...ASYNC_EXPORTS,
]);

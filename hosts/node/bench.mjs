// `npm run bench`: the Node.js host's row of BENCHMARKS.md's hosts table. A sink and a DNS
// server run in processes of their own (testing/sink.mjs, mx-dns.mjs); timings are
// printed, never asserted.
//
// - transpile: `jco transpile` of the component (what `npm run build` does);
// - compile + instantiate: the first instance in this process (core modules compiled by V8),
//   then the median of further instances;
// - one submission (`Client.send`, plaintext, to the sink) and one MX delivery
//   (`Client.deliver`: MX and A lookups, dial, session): medians after one warm-up;
// - messages per second on one reused connection (`Client.openSession`), 1 KiB and 100 KiB.
//
// `node bench.mjs [sync|jspi]`: the way imports wait (default: JSPI where Node.js has it).

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from './src/index.mjs';
import { COMPONENT_FILE, instantiate } from './src/component.mjs';
import { BlockingBridge } from './src/io/bridge.mjs';
import { DirectIo } from './src/io/direct.mjs';
import { defaultMode } from './src/host.mjs';
import { tcpImport } from './src/imports/tcp.mjs';
import { resolverImport } from './src/imports/resolver.mjs';
import { logImport } from './src/imports/log.mjs';
import { spoolImport } from './src/imports/spool.mjs';

const ROUNDS = 20;
const MODE = process.argv[2] ?? defaultMode();

async function peer(script) {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return { port: JSON.parse(line).port, stop: () => child.kill('SIGTERM') };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const now = () => process.hrtime.bigint();

async function timed(f) {
  const start = now();
  await f();
  return ms(start);
}

function transpileMs() {
  const jco = fileURLToPath(new URL('./jco.js', import.meta.resolve('@bytecodealliance/jco')));
  const out = mkdtempSync(join(tmpdir(), 'jco-bench-'));
  const start = now();
  const result = spawnSync(process.execPath, [
    jco, 'transpile', fileURLToPath(COMPONENT_FILE), '-o', out, '--instantiation', 'async', '--quiet',
  ], { stdio: 'inherit' });
  const took = ms(start);
  rmSync(out, { recursive: true, force: true });
  if (result.status !== 0) throw new Error('jco transpile failed');
  return took;
}

async function instantiateMs() {
  const resolver = { server: { address: '127.0.0.1', port: 53 }, trusted: false, timeoutMs: 1000, hostsPath: null };
  const io = MODE === 'jspi' ? new DirectIo(resolver) : new BlockingBridge(resolver);
  const imports = {
    tcp: tcpImport(io), resolver: resolverImport(io, 1000), log: logImport(null), spool: spoolImport(),
  };
  const first = await timed(() => instantiate(imports, MODE));
  const further = [];
  for (let i = 0; i < ROUNDS; i++) further.push(await timed(() => instantiate(imports, MODE)));
  await io.terminate();
  return { first, further: median(further) };
}

function message(size) {
  const head = 'From: a@example.org\r\nTo: b@example.net\r\nSubject: bench\r\n\r\n';
  const line = `${'x'.repeat(76)}\r\n`;
  return Buffer.from(head + line.repeat(Math.ceil((size - head.length) / line.length)));
}

async function main() {
  const sink = await peer('./testing/sink.mjs');
  const dns = await peer('./testing/mx-dns.mjs');
  const rows = [];
  try {
    rows.push(['transpile (jco)', `${transpileMs().toFixed(0)} ms`]);
    const inst = await instantiateMs();
    rows.push(['compile + first instantiate', `${inst.first.toFixed(1)} ms`]);
    rows.push(['further instantiate (median)', `${inst.further.toFixed(2)} ms`]);
    const client = new Client({ dns: `127.0.0.1:${dns.port}`, mode: MODE });
    const mail = { from: 'a@example.org', to: ['b@example.net'], message: message(1024) };
    const submission = { server: `127.0.0.1:${sink.port}`, tls: 'none', ...mail };
    await client.send(submission);
    const sends = [];
    for (let i = 0; i < ROUNDS; i++) sends.push(await timed(() => client.send(submission)));
    rows.push(['one submission, 1 KiB (median)', `${median(sends).toFixed(2)} ms`]);
    const delivery = {
      ...mail, to: ['b@bench.test'], port: sink.port, tlsLevel: 'may', allowPrivateAddresses: true,
    };
    await client.deliver(delivery);
    const deliveries = [];
    for (let i = 0; i < ROUNDS; i++) deliveries.push(await timed(() => client.deliver(delivery)));
    rows.push(['one MX delivery, 1 KiB (median)', `${median(deliveries).toFixed(2)} ms`]);
    for (const [size, count] of [[1024, 3000], [100 * 1024, 500]]) {
      const session = await client.openSession({ server: `127.0.0.1:${sink.port}`, tls: 'none' });
      const body = { ...mail, message: message(size) };
      await session.send(body);
      const start = now();
      for (let i = 0; i < count; i++) await session.send(body);
      const seconds = ms(start) / 1000;
      await session.close();
      rows.push([`reused connection, ${size / 1024} KiB`, `${Math.round(count / seconds)} msgs/s`]);
    }
    await client.close();
  } finally {
    sink.stop();
    dns.stop();
  }
  const how = MODE === 'jspi' ? 'JSPI' : 'blocking imports (worker thread + Atomics.wait)';
  console.log(`Node ${process.version}, jco 1.35, ${how}`);
  for (const [what, value] of rows) console.log(`${what.padEnd(36)} ${value}`);
}

await main();

// The blocking bridge: the calling thread sleeps in Atomics.wait while the I/O worker runs
// node:net, and takes each answer with receiveMessageOnPort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { BlockingBridge } from '../src/io/bridge.mjs';
import { tcpImport } from '../src/imports/tcp.mjs';
import { resolverImport } from '../src/imports/resolver.mjs';
import { ipToWit } from '../src/convert.mjs';

const resolver = { server: { address: '127.0.0.1', port: 9 }, trusted: false, timeoutMs: 500, hostsPath: null };

async function greetingServer(delayMs) {
  const worker = new Worker(new URL('../testing/greeting-server.mjs', import.meta.url), {
    workerData: { greeting: '220 mx.example.test ESMTP\r\n', delayMs },
  });
  const [port] = await once(worker, 'message');
  return { port, stop: () => worker.terminate() };
}

test('tcp import: blocking connect, read, write, drop', async () => {
  const server = await greetingServer(100);
  const bridge = new BlockingBridge(resolver);
  const tcp = tcpImport(bridge);
  const connected = tcp.connect({ address: ipToWit('127.0.0.1'), port: server.port }, undefined, 1000);
  assert.equal(connected.tag, 'ok');
  const conn = connected.val;
  assert.deepEqual(conn.remoteAddress(), { tag: 'ok', val: { address: ipToWit('127.0.0.1'), port: server.port } });
  // Nothing yet: a timeout of 0 does not wait; 20 ms waits and times out.
  assert.deepEqual(conn.read(100, 0), { tag: 'err', val: { tag: 'timeout' } });
  let started = Date.now();
  assert.deepEqual(conn.read(100, 20), { tag: 'err', val: { tag: 'timeout' } });
  assert.ok(Date.now() - started >= 19);
  started = Date.now();
  const greeting = conn.read(100, 2000);
  assert.equal(Buffer.from(greeting.val).toString(), '220 mx.example.test ESMTP\r\n');
  assert.ok(Date.now() - started < 1900, 'returned on the greeting, before the 2000 ms timeout');
  assert.deepEqual(conn.write(new TextEncoder().encode('EHLO me\r\n'), 1000), { tag: 'ok', val: undefined });
  assert.equal(Buffer.from(conn.read(100, 1000).val).toString(), 'EHLO me\r\n');
  conn[Symbol.dispose]();
  await bridge.terminate();
  await server.stop();
});

test('tcp import: refused, and a dead I/O thread is an error, not a hang', async () => {
  const bridge = new BlockingBridge(resolver);
  const tcp = tcpImport(bridge);
  const server = await greetingServer(0);
  await server.stop();
  const refused = tcp.connect({ address: ipToWit('127.0.0.1'), port: server.port }, undefined, 1000);
  assert.deepEqual(refused, { tag: 'err', val: { tag: 'refused' } });
  await bridge.terminate();
  const dead = tcp.connect({ address: ipToWit('127.0.0.1'), port: server.port }, undefined, 10);
  assert.equal(dead.tag, 'err');
  assert.equal(dead.val.tag, 'other');
  assert.match(dead.val.val, /i\/o thread/);
});

test('resolver import: a resolver that never answers is a temporary failure in time', async () => {
  const bridge = new BlockingBridge({ ...resolver, timeoutMs: 300 });
  const lookups = resolverImport(bridge, 300);
  const started = Date.now();
  const result = lookups.lookupMx('example.test.');
  assert.equal(result.tag, 'err');
  assert.equal(result.val.tag, 'temporary');
  assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
  await bridge.terminate();
});

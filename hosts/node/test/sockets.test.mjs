// The `tcp` operations on node:net: every timeout as wit/tcp.wit defines it, 0 included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Sockets } from '../src/io/sockets.mjs';

/** A server on 127.0.0.1 running `onConnection(socket)`; its port. */
async function server(onConnection) {
  const srv = net.createServer(onConnection);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { port: srv.address().port, close: () => srv.close() };
}

const connectTo = (sockets, port, timeoutMs = 1000) => sockets.connect({ address: '127.0.0.1', port, local: null, timeoutMs });

test('refused and closed', async () => {
  const srv = await server(() => {});
  const port = srv.port;
  srv.close();
  const sockets = new Sockets();
  assert.deepEqual(await connectTo(sockets, port), { tag: 'err', val: { tag: 'refused' } });
  assert.deepEqual(await sockets.read({ id: 99, max: 10, timeoutMs: 10 }), { tag: 'err', val: { tag: 'closed' } });
});

test('read: what arrived, at most max, timeout 0 does not wait, a timeout keeps the connection', async () => {
  let peer;
  const srv = await server((socket) => { peer = socket; });
  const sockets = new Sockets();
  const connected = await connectTo(sockets, srv.port);
  assert.equal(connected.tag, 'ok');
  const { id, local, remote } = connected.val;
  assert.equal(remote.port, srv.port);
  assert.equal(local.address, '127.0.0.1');
  let started = Date.now();
  assert.deepEqual(await sockets.read({ id, max: 10, timeoutMs: 0 }), { tag: 'err', val: { tag: 'timeout' } });
  assert.ok(Date.now() - started < 500, 'timeout 0 does not wait (a loaded machine may be slow)');
  started = Date.now();
  assert.deepEqual(await sockets.read({ id, max: 10, timeoutMs: 150 }), { tag: 'err', val: { tag: 'timeout' } });
  assert.ok(Date.now() - started >= 140, 'waited for the timeout');
  peer.write('220 hello there\r\n');
  const first = await sockets.read({ id, max: 4, timeoutMs: 1000 });
  assert.equal(Buffer.from(first.val).toString(), '220 ');
  // The rest has arrived: timeout 0 returns it.
  const rest = await sockets.read({ id, max: 100, timeoutMs: 0 });
  assert.equal(Buffer.from(rest.val).toString(), 'hello there\r\n');
  peer.end();
  const end = await sockets.read({ id, max: 100, timeoutMs: 1000 });
  assert.deepEqual(end, { tag: 'ok', val: new Uint8Array(0) });
  sockets.close({ id });
  srv.close();
});

test('write: all of the data; timeout when the peer stops reading; 0 takes what fits', async () => {
  let peer;
  const received = [];
  const srv = await server((socket) => { peer = socket; socket.on('data', (d) => received.push(d)); });
  const sockets = new Sockets();
  const { id } = (await connectTo(sockets, srv.port)).val;
  assert.deepEqual(await sockets.write({ id, data: Buffer.from('EHLO x\r\n'), timeoutMs: 0 }), { tag: 'ok', val: undefined });
  assert.deepEqual(await sockets.write({ id, data: Buffer.from('MAIL FROM:<>\r\n'), timeoutMs: 1000 }), { tag: 'ok', val: undefined });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(Buffer.concat(received).toString(), 'EHLO x\r\nMAIL FROM:<>\r\n');
  peer.pause();
  const big = Buffer.alloc(64 << 20, 0x78);
  const started = Date.now();
  assert.deepEqual(await sockets.write({ id, data: big, timeoutMs: 200 }), { tag: 'err', val: { tag: 'timeout' } });
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(await sockets.write({ id, data: Buffer.from('x'), timeoutMs: 0 }), { tag: 'err', val: { tag: 'timeout' } });
  peer.destroy();
  sockets.close({ id });
  srv.close();
});

test('reset by the peer', async () => {
  const srv = await server((socket) => socket.once('data', () => socket.resetAndDestroy()));
  const sockets = new Sockets();
  const { id } = (await connectTo(sockets, srv.port)).val;
  await sockets.write({ id, data: Buffer.from('QUIT\r\n'), timeoutMs: 1000 });
  const result = await sockets.read({ id, max: 10, timeoutMs: 1000 });
  assert.deepEqual(result, { tag: 'err', val: { tag: 'reset' } });
  sockets.close({ id });
  srv.close();
});

test('connect timeout 0 returns at once', async () => {
  const srv = await server(() => {});
  const sockets = new Sockets();
  const started = Date.now();
  const result = await connectTo(sockets, srv.port, 0);
  assert.ok(Date.now() - started < 500, 'did not wait (a loaded machine may be slow)');
  // Loopback may be established within the loop turns it is given, or not yet.
  assert.ok(result.tag === 'ok' || result.val.tag === 'timeout', JSON.stringify(result));
  if (result.tag === 'ok') sockets.close({ id: result.val.id });
  srv.close();
});

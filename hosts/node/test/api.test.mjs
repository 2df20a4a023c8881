// The API on the transpiled component (`npm run build` first): send to a sink in another
// process, and each kind of bad input as its Error subclass with the structured error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  Client, ComponentTrap, MessageFileError, SmtpClientError, UsageError, send,
} from '../src/index.mjs';
import { startSink } from '../testing/processes.mjs';

const MESSAGE = 'From: a@example.org\r\nTo: b@example.net\r\nSubject: api\r\n\r\nhello\r\n.dot\r\n';
let sink;

before(async () => { sink = await startSink(); });
after(async () => { await sink.stop(); });

/** Waits until the sink reported `n` messages. */
async function received(n) {
  for (let i = 0; i < 100 && sink.messages.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  return sink.messages;
}

const options = (extra = {}) => ({
  server: `127.0.0.1:${sink.port}`, tls: 'none', from: 'a@example.org', to: ['b@example.net'],
  message: Buffer.from(MESSAGE), timeout: 5, ...extra,
});

test('send resolves with the report; the sink has the exact bytes', async () => {
  const before = sink.messages.length;
  const report = await send(options({ to: ['b@example.net', 'reject@example.net'] }));
  assert.equal(report.status, 'partial');
  assert.deepEqual(report.recipients.map((r) => [r.address, r.status, r.code]), [
    ['b@example.net', 'delivered', 250], ['reject@example.net', 'permanent', 550],
  ]);
  assert.deepEqual(report.recipients[1].lines, ['550 5.1.1 no such user']);
  const messages = await received(before + 1);
  const stuffed = MESSAGE.replace('\r\n.dot', '\r\n..dot');
  assert.equal(messages.at(-1).data, stuffed);
  assert.deepEqual(messages.at(-1).to, ['b@example.net']);
});

test('nothing delivered rejects with SmtpClientError carrying the report', async () => {
  await assert.rejects(send(options({ to: ['reject@example.net'] })), (error) => {
    assert.ok(error instanceof SmtpClientError);
    assert.equal(error.permanent, true);
    assert.equal(error.command, 'rcptto');
    assert.equal(error.reply.code, 550);
    assert.deepEqual(error.reply.lines, ['550 5.1.1 no such user']);
    assert.equal(error.report.recipients[0].status, 'permanent');
    return true;
  });
});

test('an unreachable server is a temporary io error', async () => {
  const closed = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => closed.once('listening', r));
  const { port } = closed.address();
  closed.close();
  await assert.rejects(send(options({ server: `127.0.0.1:${port}` })), (error) => {
    assert.ok(error instanceof SmtpClientError);
    assert.equal(error.kind, 'io');
    assert.equal(error.permanent, false);
    assert.equal(error.reply, null);
    return true;
  });
});

test('a malformed address never reaches the wire', async () => {
  const before = sink.messages.length;
  await assert.rejects(send(options({ to: ['b@example.net>\r\nRCPT TO:<c@example.net'] })), (error) => {
    assert.ok(error instanceof SmtpClientError);
    assert.equal(error.kind, 'address');
    assert.equal(error.permanent, true);
    return true;
  });
  assert.equal(sink.messages.length, before);
});

test('a missing message file and bad options are their own classes', async () => {
  await assert.rejects(send(options({ message: '/nonexistent/m.eml' })), (error) => {
    assert.ok(error instanceof MessageFileError);
    assert.equal(error.kind, 'message');
    assert.match(error.message, /\/nonexistent\/m\.eml/);
    return true;
  });
  await assert.rejects(send(options({ tlsa: ['3 1 1 zz'] })), UsageError);
  await assert.rejects(send(options({ server: 'mx.example.net:smtp' })), UsageError);
});

test('a trap in the guest is a ComponentTrap; the next call gets a fresh instance', async () => {
  let broken = true;
  const logger = {
    enabled: () => true,
    transcript: () => {
      if (broken) {
        broken = false;
        throw new Error('the logger broke');
      }
    },
    log: () => {},
  };
  const client = new Client({ logger });
  try {
    await assert.rejects(client.send(options()), (error) => {
      assert.ok(error instanceof ComponentTrap);
      assert.equal(error.kind, 'internal');
      assert.match(error.cause.message, /the logger broke/);
      return true;
    });
    const report = await client.send(options());
    assert.equal(report.status, 'delivered');
  } finally {
    await client.close();
  }
});

test('one client sends many messages', async () => {
  const client = new Client();
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal((await client.send(options())).status, 'delivered');
    }
  } finally {
    await client.close();
  }
});

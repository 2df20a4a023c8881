// The command line's usage and input errors (no server involved): exit codes as
// host-example's (64 usage, 66 input), one line on stderr, nothing on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.mjs', import.meta.url));
const run = (...args) => spawnSync(process.execPath, [cli, ...args], {
  encoding: 'utf8', env: { ...process.env, SMTP_PASSWORD: '' }, timeout: 20_000,
});
const send = ['send', '--server', '127.0.0.1:9', '--from', 'a@example.org', '--to', 'b@example.net'];

test('an unknown flag or subcommand exits 64', () => {
  for (const args of [[...send, '--bogus-flag'], ['bogus'], ['deliver', '--to', 'a@example.net'], [...send, '--tls', 'sometimes']]) {
    const out = run(...args);
    assert.equal(out.status, 64, `${args.join(' ')}: ${out.stderr}`);
    assert.equal(out.stdout, '');
  }
  assert.match(run(...send, '--bogus-flag').stderr, /--bogus-flag/);
});

test('a missing message, ca or password file exits 66 naming it', () => {
  for (const [args, name] of [
    [[...send, '--message', '/nonexistent/message.eml'], '/nonexistent/message.eml'],
    [['deliver', '--from', 'a@example.org', '--to', 'b@example.net', '--message', '/nonexistent/d.eml'], '/nonexistent/d.eml'],
    [[...send, '--message', cli, '--ca', '/nonexistent/ca.pem'], '/nonexistent/ca.pem'],
    [[...send, '--message', cli, '--user', 'u', '--password-file', '/nonexistent/pw'], '/nonexistent/pw'],
  ]) {
    const out = run(...args);
    assert.equal(out.status, 66, `${args.join(' ')}: ${out.stderr}`);
    assert.ok(out.stderr.includes(name), out.stderr);
    assert.ok(!/at .*\.mjs/.test(out.stderr), `no stack trace: ${out.stderr}`);
  }
});

test('bad values exit 64', () => {
  for (const args of [
    [...send, '--message', cli, '--tlsa', '3 1 1 zz'],
    [...send, '--message', cli, '--ca', cli],
    [...send, '--message', cli, '--timeout', 'soon'],
    [...send, '--message', cli, '--auth', 'PLAIN'],
    [...send, '--message', cli, '--dns', 'resolver.example'],
    ['send', '--server', 'mx.example.net:smtp', '--from', 'a@example.org', '--to', 'b@example.net', '--message', cli],
  ]) {
    const out = run(...args);
    assert.equal(out.status, 64, `${args.join(' ')}: ${out.stderr}`);
    assert.match(out.stderr, /^smtpclient: /);
  }
});

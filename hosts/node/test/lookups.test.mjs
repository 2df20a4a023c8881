// The `resolver` lookups against a scripted DNS server: the query's flags, AD only from a
// trusted resolver, the error classes, CNAME chains, TCP after truncation, the hosts file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { Lookups, mergeAny } from '../src/dns/lookups.mjs';
import { parseHosts } from '../src/dns/hosts.mjs';
import { firstNameserver, isLoopback } from '../src/dns/system.mjs';
import { dnsServer, response } from '../testing/dns-server.mjs';

const ipv4 = (...octets) => ({ tag: 'ipv4', val: octets });
const notFound = (authentic) => ({ tag: 'err', val: { tag: 'not-found', val: { authentic } } });

async function withServer(answer, f, options = {}) {
  const dns = await dnsServer(answer);
  try {
    await f(new Lookups({ server: dns.server, trusted: true, timeoutMs: 1000, ...options }), dns);
  } finally {
    dns.close();
  }
}

test('MX: authentic from a trusted resolver; the query sets RD, AD, EDNS DO, 1232 bytes', async () => {
  const answer = (q) => response(q, {
    authentic: true,
    answers: [{ type: 'MX', name: 'example.test', data: { preference: 10, exchange: 'MX.Example.Test' } }],
  });
  await withServer(answer, async (lookups, dns) => {
    assert.deepEqual(await lookups.mx('Example.TEST.'), {
      tag: 'ok', val: { records: [{ preference: 10, exchange: 'mx.example.test.' }], authentic: true },
    });
    const { query, transport } = dns.queries[0];
    assert.equal(transport, 'udp');
    assert.ok(query.flags & dnsPacket.RECURSION_DESIRED);
    assert.ok(query.flags & dnsPacket.AUTHENTIC_DATA);
    const opt = query.additionals.find((r) => r.type === 'OPT');
    assert.equal(opt.udpPayloadSize, 1232);
    assert.ok(opt.flags & dnsPacket.DNSSEC_OK);
    assert.deepEqual(query.questions, [{ name: 'Example.TEST', type: 'MX', class: 'IN' }]);
  });
  await withServer(answer, async (lookups) => {
    assert.equal((await lookups.mx('example.test.')).val.authentic, false, 'untrusted resolver');
  }, { trusted: false });
});

test('null MX, NXDOMAIN and NODATA are not-found with the denial authenticity', async () => {
  await withServer((q) => response(q, {
    authentic: true,
    answers: [{ type: 'MX', name: q.questions[0].name, data: { preference: 0, exchange: '.' } }],
  }), async (lookups) => {
    assert.deepEqual((await lookups.mx('nullmx.example.test.')).val.records, [{ preference: 0, exchange: '.' }]);
  });
  await withServer((q) => response(q, { rcode: 'NXDOMAIN', authentic: true }), async (lookups) => {
    assert.deepEqual(await lookups.mx('none.example.test.'), notFound(true));
  });
  await withServer((q) => response(q, { rcode: 'NXDOMAIN', authentic: true }), async (lookups) => {
    assert.deepEqual(await lookups.mx('none.example.test.'), notFound(false));
  }, { trusted: false });
  await withServer((q) => response(q, {
    answers: [{ type: 'A', name: 'example.test', data: '192.0.2.1' }],
  }), async (lookups) => {
    assert.deepEqual(await lookups.txt('example.test.'), notFound(false));
    assert.deepEqual(await lookups.cname('example.test.'), notFound(false));
  });
});

test('SERVFAIL is temporary with the RFC 8914 code; REFUSED and FORMERR are permanent', async () => {
  await withServer((q) => response(q, { rcode: 'SERVFAIL', ede: [6, 'signature expired'] }), async (lookups) => {
    const result = await lookups.tlsa(25, 'tcp', 'mx.example.test.');
    assert.equal(result.val.tag, 'temporary');
    assert.equal(result.val.val.extendedError, 6);
    assert.match(result.val.val.message, /servfail .*extended error 6: signature expired/);
  });
  await withServer((q) => response(q, { rcode: 'SERVFAIL' }), async (lookups) => {
    const result = await lookups.mx('example.test.');
    assert.equal(result.val.tag, 'temporary');
    assert.equal(result.val.val.extendedError, undefined);
  });
  for (const rcode of ['REFUSED', 'FORMERR', 'NOTIMP']) {
    await withServer((q) => response(q, { rcode }), async (lookups) => {
      const result = await lookups.mx('example.test.');
      assert.equal(result.val.tag, 'permanent', rcode);
      assert.match(result.val.val, new RegExp(rcode.toLowerCase()));
    });
  }
});

test('silence is a temporary failure within the timeout, after a retry and TCP', async () => {
  await withServer(() => null, async (lookups, dns) => {
    const started = Date.now();
    const result = await lookups.mx('example.test.');
    assert.equal(result.val.tag, 'temporary');
    assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
    assert.deepEqual(dns.queries.map((q) => q.transport), ['udp', 'udp', 'tcp']);
  }, { timeoutMs: 600 });
});

test('a truncated answer is asked again over TCP', async () => {
  const answer = (q, transport) => response(q, {
    truncated: transport === 'udp',
    answers: [{ type: 'TXT', name: 'example.test', data: [Buffer.from('v=STSv1; '), Buffer.from('id=1')] }],
  });
  await withServer(answer, async (lookups, dns) => {
    const result = await lookups.txt('example.test.');
    assert.deepEqual(result.val.records.map((r) => Buffer.from(r).toString()), ['v=STSv1; id=1']);
    assert.deepEqual(dns.queries.map((q) => q.transport), ['udp', 'tcp']);
  });
});

test('CNAME chains are followed; lookup-cname is one hop; TLSA data', async () => {
  const answer = (q) => {
    const [question] = q.questions;
    if (question.type === 'CNAME') {
      return response(q, { answers: [{ type: 'CNAME', name: 'alias.example.test', data: 'mx.example.test' }] });
    }
    return response(q, {
      authentic: true,
      answers: [
        { type: 'CNAME', name: question.name, data: 'mx.example.test' },
        { type: 'TLSA', name: 'mx.example.test', data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from('abcd', 'hex') } },
        { type: 'A', name: 'other.example.test', data: '192.0.2.9' },
        { type: 'A', name: 'mx.example.test', data: '192.0.2.25' },
      ],
    });
  };
  await withServer(answer, async (lookups) => {
    assert.deepEqual(await lookups.cname('alias.example.test.'), { tag: 'ok', val: { target: 'mx.example.test.', authentic: false } });
    assert.deepEqual(await lookups.ip('_25._tcp.alias.example.test.', 'ipv4'), {
      tag: 'ok', val: { addresses: [ipv4(192, 0, 2, 25)], authentic: true },
    });
    const tlsa = await lookups.tlsa(25, 'tcp', 'alias.example.test.');
    assert.deepEqual(tlsa.val.records, [{ usage: 3, selector: 1, matchingType: 1, data: new Uint8Array([0xab, 0xcd]) }]);
  });
});

test('address lookups read the hosts file first, never authentic; names are checked', async () => {
  const hosts = parseHosts('127.0.0.1 localhost\n::1 localhost ip6-localhost # comment\n192.0.2.7 Mail.Local.\n');
  await withServer((q) => response(q, { authentic: true, rcode: 'NXDOMAIN' }), async (lookups, dns) => {
    assert.deepEqual(await lookups.ip('mail.local.', 'any'), { tag: 'ok', val: { addresses: [ipv4(192, 0, 2, 7)], authentic: false } });
    assert.deepEqual((await lookups.ip('localhost.', 'ipv6')).val.addresses, [{ tag: 'ipv6', val: [0, 0, 0, 0, 0, 0, 0, 1] }]);
    assert.equal(dns.queries.length, 0);
    // MX never consults the hosts file.
    assert.deepEqual(await lookups.mx('mail.local.'), notFound(true));
    for (const bad of ['relative.example', 'a..b.', `${'x'.repeat(64)}.test.`, 'sp ace.test.', '.']) {
      const result = await lookups.mx(bad);
      assert.equal(result.val.tag, 'permanent', bad);
    }
  }, { hosts });
});

test('A and AAAA merged: authentic only when both halves are', () => {
  const ok = (authentic, ...addresses) => ({ tag: 'ok', val: { addresses, authentic } });
  const temporary = { tag: 'err', val: { tag: 'temporary', val: { message: 'servfail' } } };
  assert.deepEqual(mergeAny(ok(true, ipv4(192, 0, 2, 1)), notFound(true)), ok(true, ipv4(192, 0, 2, 1)));
  assert.deepEqual(mergeAny(ok(true, ipv4(192, 0, 2, 1)), notFound(false)), ok(false, ipv4(192, 0, 2, 1)));
  assert.deepEqual(mergeAny(ok(true, ipv4(192, 0, 2, 1)), temporary), ok(false, ipv4(192, 0, 2, 1)));
  assert.deepEqual(mergeAny(notFound(true), notFound(true)), notFound(true));
  assert.deepEqual(mergeAny(notFound(true), temporary), temporary);
  assert.deepEqual(mergeAny(temporary, notFound(true)), temporary);
});

test('resolv.conf: the first nameserver; loopback is trusted', () => {
  assert.equal(firstNameserver('# x\nsearch example.org\nnameserver 127.0.0.53\nnameserver 192.0.2.53\n'), '127.0.0.53');
  assert.equal(firstNameserver('options edns0\n'), null);
  assert.ok(isLoopback('127.0.0.53'));
  assert.ok(isLoopback('::1'));
  assert.ok(!isLoopback('192.0.2.53'));
});

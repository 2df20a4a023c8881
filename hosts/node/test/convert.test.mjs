import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipToWit, parseTlsa, tlsaText, witToIp } from '../src/convert.mjs';

test('IP addresses round-trip through the contract form', () => {
  assert.deepEqual(ipToWit('192.0.2.1'), { tag: 'ipv4', val: [192, 0, 2, 1] });
  assert.deepEqual(ipToWit('::1'), { tag: 'ipv6', val: [0, 0, 0, 0, 0, 0, 0, 1] });
  assert.deepEqual(ipToWit('2001:db8::25'), { tag: 'ipv6', val: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x25] });
  assert.deepEqual(ipToWit('::ffff:127.0.0.1'), { tag: 'ipv4', val: [127, 0, 0, 1] });
  assert.deepEqual(ipToWit('64:ff9b::192.0.2.33'), { tag: 'ipv6', val: [0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x221] });
  for (const text of ['192.0.2.1', '::1', '2001:db8::25', '2001:db8:0:1:1:1:1:1', '::', 'fe80::1:0:0:1']) {
    assert.equal(witToIp(ipToWit(text)), text);
  }
  assert.throws(() => ipToWit('mx.example.net'), TypeError);
});

test('TLSA records in presentation form', () => {
  const record = parseTlsa('3 1 1 0A0b');
  assert.deepEqual({ ...record, data: [...record.data] }, { usage: 3, selector: 1, matchingType: 1, data: [10, 11] });
  assert.equal(tlsaText(record), '3 1 1 0a0b');
  assert.deepEqual([...parseTlsa('2 0 1  ab cd').data], [0xab, 0xcd]);
  for (const bad of ['3 1 1', '3 1 1 abc', '3 1 x ab', '3 1 1 zz', 'é 1 1 ab', '256 1 1 ab']) {
    assert.equal(parseTlsa(bad), null, bad);
  }
});

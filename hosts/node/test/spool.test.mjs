// The `spool.message` resource: size and read(offset, max) from a file or from bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageSource, spoolImport } from '../src/imports/spool.mjs';

const { Message } = spoolImport();
const text = 'Subject: t\r\n\r\nhello\r\n';

test('bytes and files read the same, from any offset, empty at the end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const file = join(dir, 'm.eml');
  writeFileSync(file, text);
  for (const source of [messageSource(Buffer.from(text)), messageSource(file), messageSource({ bytes: text })]) {
    const message = new Message(source);
    assert.equal(message.size(), BigInt(text.length));
    assert.equal(Buffer.from(message.read(0n, 9).val).toString(), 'Subject: ');
    assert.equal(Buffer.from(message.read(9n, 1000).val).toString(), text.slice(9));
    assert.equal(message.read(BigInt(text.length), 10).val.length, 0);
    message[Symbol.dispose]();
  }
  rmSync(dir, { recursive: true });
});

test('a file read after its handle was closed is an error string, not a throw', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const file = join(dir, 'm.eml');
  writeFileSync(file, text);
  const message = new Message(messageSource(file));
  message[Symbol.dispose]();
  const result = message.read(0n, 10);
  assert.equal(result.tag, 'err');
  assert.match(result.val, /m\.eml/);
  rmSync(dir, { recursive: true });
  assert.throws(() => messageSource(42), TypeError);
});

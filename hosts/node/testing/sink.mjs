#!/usr/bin/env node
// An SMTP sink for tests and the benchmark, run as its own process (the host blocks its
// main thread while the component talks): `node testing/sink.mjs` listens on 127.0.0.1
// on a free port, prints `{"port": N}` on stdout, and accepts every message (PIPELINING,
// 8BITMIME; RCPT to an address starting with "reject" gets 550). It writes one JSON line per
// received message on stdout when SINK_REPORT=1.
import net from 'node:net';

const END_OF_DATA = Buffer.from('\r\n.\r\n');
const report = process.env.SINK_REPORT === '1';

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let buffered = Buffer.alloc(0);
  let data = null;
  let envelope = { from: null, to: [] };
  let out = [];
  const reply = (line) => out.push(`${line}\r\n`);
  socket.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      if (data !== null) {
        const end = buffered.indexOf(END_OF_DATA, Math.max(0, data.scanned - 4));
        if (end < 0) {
          data.scanned = buffered.length;
          break;
        }
        if (report) {
          // Without the CRLF put before the data (see DATA) and the final ".CRLF".
          const bytes = buffered.subarray(2, end + 2).toString('latin1');
          process.stdout.write(`${JSON.stringify({ ...envelope, data: bytes })}\n`);
        }
        buffered = buffered.subarray(end + END_OF_DATA.length);
        data = null;
        envelope = { from: null, to: [] };
        reply('250 2.0.0 queued');
        continue;
      }
      const eol = buffered.indexOf('\r\n');
      if (eol < 0) break;
      const line = buffered.subarray(0, eol).toString('latin1');
      buffered = buffered.subarray(eol + 2);
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') {
        reply('250-sink.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 0');
      } else if (verb === 'HELO' || verb === 'RSET' || verb === 'NOOP') {
        reply('250 2.0.0 ok');
      } else if (verb === 'MAIL') {
        envelope.from = line.slice(10);
        reply('250 2.1.0 ok');
      } else if (verb === 'RCPT') {
        const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
        if (address.startsWith('reject')) {
          reply('550 5.1.1 no such user');
        } else {
          envelope.to.push(address);
          reply('250 2.1.5 ok');
        }
      } else if (verb === 'DATA' && envelope.to.length === 0) {
        reply('554 5.5.1 no valid recipients');
      } else if (verb === 'DATA') {
        reply('354 go ahead');
        data = { scanned: 0 };
        // The data may begin right after the DATA line (END_OF_DATA includes its leading CRLF).
        buffered = Buffer.concat([Buffer.from('\r\n'), buffered]);
      } else if (verb === 'QUIT') {
        reply('221 2.0.0 bye');
        socket.end(out.join(''));
        out = [];
        return;
      } else {
        reply('502 5.5.2 not implemented');
      }
    }
    if (out.length > 0) {
      socket.write(out.join(''));
      out = [];
    }
  });
  socket.on('error', () => {});
  socket.write('220 sink.example.test ESMTP\r\n');
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));

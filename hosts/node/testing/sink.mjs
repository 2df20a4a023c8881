#!/usr/bin/env node
// An SMTP sink for tests and the benchmark, run as its own process (the host blocks its
// main thread while the component talks): `node testing/sink.mjs` listens on 127.0.0.1 on a
// free port, prints `{"port": N}` on stdout, and accepts every message (PIPELINING, 8BITMIME;
// RCPT to an address starting with "reject" gets 550, DATA without recipients 554). With
// SINK_REPORT=1 it writes one JSON line per received message on stdout: `{from, to, data}`.
import net from 'node:net';

const END_OF_DATA = Buffer.from('\r\n.\r\n');
const report = process.env.SINK_REPORT === '1';

/** One connection's state: command lines, or message data until CRLF.CRLF. */
class Connection {
  constructor(socket) {
    this.socket = socket;
    this.pending = Buffer.alloc(0);
    this.data = null;
    this.envelope = { from: null, to: [] };
    this.out = [];
  }

  reply(line) {
    this.out.push(`${line}\r\n`);
  }

  /** Consumes `chunk`; the replies it caused are written at once, in one write. */
  receive(chunk) {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length > 0 && (this.data ? this.message() : this.command()));
    if (this.out.length > 0) {
      this.socket.write(this.out.join(''));
      this.out = [];
    }
  }

  /** Message data: true when the end was found (the rest is commands again). */
  message() {
    const { data } = this;
    // Search from the last 4 bytes kept of what came before (the data begins after a CRLF).
    const window = Buffer.concat([data.tail, this.pending]);
    const end = window.indexOf(END_OF_DATA);
    if (end < 0) {
      if (report) data.chunks.push(this.pending);
      data.tail = window.subarray(Math.max(0, window.length - 4));
      this.pending = Buffer.alloc(0);
      return false;
    }
    const inPending = end + 2 - data.tail.length;
    if (report) {
      const bytes = Buffer.concat([...data.chunks, this.pending.subarray(0, Math.max(0, inPending))]);
      const text = bytes.subarray(0, bytes.length + Math.min(0, inPending)).toString('latin1');
      process.stdout.write(`${JSON.stringify({ ...this.envelope, data: text })}\n`);
    }
    this.pending = this.pending.subarray(end + END_OF_DATA.length - data.tail.length);
    this.data = null;
    this.envelope = { from: null, to: [] };
    this.reply('250 2.0.0 queued');
    return true;
  }

  /** One command line: false when none is complete yet. */
  command() {
    const eol = this.pending.indexOf('\r\n');
    if (eol < 0) return false;
    const line = this.pending.subarray(0, eol).toString('latin1');
    this.pending = this.pending.subarray(eol + 2);
    const verb = line.slice(0, 4).toUpperCase();
    if (verb === 'EHLO') {
      this.reply('250-sink.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 0');
    } else if (verb === 'HELO' || verb === 'RSET' || verb === 'NOOP') {
      this.reply('250 2.0.0 ok');
    } else if (verb === 'MAIL') {
      this.envelope.from = line.slice(10);
      this.reply('250 2.1.0 ok');
    } else if (verb === 'RCPT') {
      const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
      if (address.startsWith('reject')) {
        this.reply('550 5.1.1 no such user');
      } else {
        this.envelope.to.push(address);
        this.reply('250 2.1.5 ok');
      }
    } else if (verb === 'DATA' && this.envelope.to.length === 0) {
      this.reply('554 5.5.1 no valid recipients');
    } else if (verb === 'DATA') {
      this.reply('354 go ahead');
      this.data = { tail: Buffer.from('\r\n'), chunks: [] };
    } else if (verb === 'QUIT') {
      this.reply('221 2.0.0 bye');
      this.socket.end(this.out.join(''));
      this.out = [];
      this.pending = Buffer.alloc(0);
      return false;
    } else {
      this.reply('502 5.5.2 not implemented');
    }
    return true;
  }
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  const conn = new Connection(socket);
  socket.on('data', (chunk) => conn.receive(chunk));
  socket.on('error', () => {});
  socket.write('220 sink.example.test ESMTP\r\n');
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));

#!/usr/bin/env node
// A DNS server for the benchmark, run as its own process: every name has the MX record
// "10 mx.<name>", every name's A record is 127.0.0.1, anything else does not exist (no AD
// bit: nothing is authentic, so no DANE). Prints `{"port": N}` on stdout.
import { dnsServer, response } from './dns-server.mjs';

const dns = await dnsServer((query) => {
  const [question] = query.questions;
  if (question.type === 'MX') {
    return response(query, {
      answers: [{ type: 'MX', name: question.name, data: { preference: 10, exchange: `mx.${question.name}` } }],
    });
  }
  if (question.type === 'A') {
    return response(query, { answers: [{ type: 'A', name: question.name, data: '127.0.0.1' }] });
  }
  return response(query, { rcode: question.type === 'AAAA' ? 'NOERROR' : 'NXDOMAIN' });
});
process.stdout.write(`${JSON.stringify({ port: dns.server.port })}\n`);
process.on('SIGTERM', () => process.exit(0));

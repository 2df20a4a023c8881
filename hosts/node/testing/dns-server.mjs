// A DNS server for tests on 127.0.0.1 (UDP and TCP on one port), answering each query with
// `answer(query, transport)`: a dns-packet response object, or null for silence.
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';

export async function dnsServer(answer) {
  const queries = [];
  const tcp = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      const query = dnsPacket.streamDecode(buffered);
      queries.push({ query, transport: 'tcp' });
      const response = answer(query, 'tcp');
      if (response) socket.end(dnsPacket.streamEncode(response));
    });
    socket.on('error', () => {});
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const { port } = tcp.address();
  const udp = dgram.createSocket('udp4');
  udp.bind(port, '127.0.0.1');
  await once(udp, 'listening');
  udp.on('message', (message, peer) => {
    const query = dnsPacket.decode(message);
    queries.push({ query, transport: 'udp' });
    const response = answer(query, 'udp');
    if (response) udp.send(dnsPacket.encode(response), peer.port, peer.address);
  });
  return {
    server: { address: '127.0.0.1', port },
    queries,
    close: () => { tcp.close(); udp.close(); },
  };
}

/** A response to `query` with `rcode`, the AD bit when `authentic`, and `answers`. */
export function response(query, { rcode = 'NOERROR', authentic = false, answers = [], truncated = false, ede = null } = {}) {
  let flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE;
  if (authentic) flags |= dnsPacket.AUTHENTIC_DATA;
  if (truncated) flags |= dnsPacket.TRUNCATED_RESPONSE;
  const codes = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
  const additionals = ede === null ? [] : [{
    type: 'OPT',
    name: '.',
    udpPayloadSize: 1232,
    flags: 0,
    options: [{ code: 15, data: Buffer.concat([Buffer.from([ede[0] >> 8, ede[0] & 0xff]), Buffer.from(ede[1])]) }],
  }];
  return {
    type: 'response',
    id: query.id,
    flags: flags | codes[rcode],
    questions: query.questions,
    answers: truncated ? [] : answers,
    additionals,
  };
}

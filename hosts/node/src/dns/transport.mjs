// One DNS query to one recursive resolver, encoded and decoded by `dns-packet`.
//
// RFC 1035 §4.2.1: UDP first (a fresh socket, so a random source port, RFC 5452 §9.2), sent
// again once if unanswered; RFC 7766 §5: TCP when the answer is truncated or UDP stays
// silent for half the timeout; RFC 1035 §4.2.2: each TCP message behind its two-byte length.
// The query asks for recursion, sets AD (RFC 6840 §5.7) and EDNS with DO (RFC 3225 §3) and a
// 1232-byte payload. Answers whose id or question differ are ignored (RFC 5452 §4.1).

import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';

/** The EDNS payload size (the DNS flag day 2020 value). */
const UDP_PAYLOAD = 1232;

/** A failure to get an answer: a timeout or a network error (a temporary failure). */
export class TransportError extends Error {}

/** An answer over TCP that does not decode or does not answer the query (permanent). */
export class MalformedAnswer extends Error {}

/** The query message for `name` (no trailing dot) and `type`. */
export function queryMessage(name, type) {
  return {
    type: 'query',
    id: randomInt(0, 65536),
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{
      type: 'OPT',
      name: '.',
      udpPayloadSize: UDP_PAYLOAD,
      flags: dnsPacket.DNSSEC_OK,
      options: [],
    }],
  };
}

/** True when `answer` answers `query` (same id, same question). */
function matches(query, answer) {
  const [q] = query.questions;
  const [a] = answer.questions ?? [];
  return answer.type === 'response' && answer.id === query.id && a !== undefined
    && a.type === q.type && a.name.toLowerCase() === q.name.toLowerCase();
}

/** The decoded answer of `server` ({address, port}) to `query`, within `timeoutMs`.
 * @throws {TransportError} on a timeout or a network error
 * @throws {MalformedAnswer} when the TCP answer is not one */
export async function exchange(server, query, timeoutMs) {
  const started = Date.now();
  const answer = await udp(server, query, timeoutMs / 2);
  if (answer && !(answer.flags & dnsPacket.TRUNCATED_RESPONSE)) return answer;
  const left = timeoutMs - (Date.now() - started);
  if (left <= 0) throw new TransportError(`timeout after ${timeoutMs} ms asking ${server.address}`);
  return tcp(server, query, left);
}

/** The answer over UDP, or null when none came within `timeoutMs` (sent twice). */
function udp(server, query, timeoutMs) {
  const bytes = dnsPacket.encode(query);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(server.address) ? 'udp6' : 'udp4');
    const finish = (value, error) => {
      clearTimeout(retry);
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(value);
    };
    socket.on('error', (error) => finish(null, new TransportError(`udp to ${server.address}: ${error.message}`)));
    socket.on('message', (message) => {
      let answer;
      try {
        answer = dnsPacket.decode(message);
      } catch {
        return;
      }
      if (matches(query, answer)) finish(answer);
    });
    socket.connect(server.port, server.address, () => socket.send(bytes));
    const retry = setTimeout(() => socket.send(bytes), timeoutMs / 2);
    const timer = setTimeout(() => finish(null), timeoutMs);
  });
}

/** The answer over TCP within `timeoutMs`. */
function tcp(server, query, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.address, port: server.port });
    let received = Buffer.alloc(0);
    const finish = (value, error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(
      () => finish(null, new TransportError(`timeout after ${timeoutMs} ms asking ${server.address} over tcp`)),
      timeoutMs,
    );
    socket.on('error', (error) => finish(null, new TransportError(`tcp to ${server.address}: ${error.message}`)));
    socket.on('connect', () => socket.write(dnsPacket.streamEncode(query)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      let answer;
      try {
        answer = dnsPacket.streamDecode(received);
      } catch (error) {
        finish(null, new MalformedAnswer(`undecodable answer over tcp from ${server.address}: ${error.message}`));
        return;
      }
      if (matches(query, answer)) finish(answer);
      else finish(null, new MalformedAnswer(`mismatched answer over tcp from ${server.address}`));
    });
    socket.on('end', () => finish(null, new TransportError(`${server.address} closed the tcp connection without an answer`)));
  });
}

// The `tcp-error` variant of the contract (wit/tcp.wit) from a Node.js socket error.

/** A `tcp-error` for a Node.js error (its `code` is the errno name, as libuv reports it). */
export function tcpError(error) {
  switch (error?.code) {
    case 'ECONNREFUSED':
      return { tag: 'refused' };
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return { tag: 'unreachable' };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return { tag: 'reset' };
    case 'ETIMEDOUT':
      return { tag: 'timeout' };
    case 'ERR_STREAM_DESTROYED':
    case 'ERR_SOCKET_CLOSED':
    case 'ERR_STREAM_WRITE_AFTER_END':
      return { tag: 'closed' };
    default:
      return { tag: 'other', val: String(error?.message ?? error).toLowerCase() };
  }
}

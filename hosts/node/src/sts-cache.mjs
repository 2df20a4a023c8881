// MTA-STS policies kept between runs (RFC 8461 §5.1: the component is stateless): one JSON
// file per domain, `{id, text, fetched_at}`, the format host-example's cache uses.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** $XDG_CACHE_HOME/smtpclient/mta-sts, or ~/.cache/smtpclient/mta-sts. */
export function defaultStsCacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'smtpclient', 'mta-sts');
}

export class StsCache {
  constructor(dir) {
    this.dir = dir;
  }

  /** The file of `domain`, or null for a name that could escape the directory. */
  file(domain) {
    const safe = domain !== '' && /^[A-Za-z0-9.-]+$/.test(domain) && !domain.startsWith('.');
    return safe ? join(this.dir, `${domain}.json`) : null;
  }

  /** The cached `sts-policy` of `domain`, or undefined. */
  get(domain) {
    const file = this.file(domain);
    if (!file) return undefined;
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8'));
      return { id: String(stored.id), text: String(stored.text), fetchedAt: BigInt(stored.fetched_at) };
    } catch {
      return undefined;
    }
  }

  /** Stores `policy` for `domain` (written whole, then renamed into place). */
  put(domain, policy) {
    const file = this.file(domain);
    if (!file) return;
    const temporary = `${file}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(temporary, JSON.stringify({ id: policy.id, text: policy.text, fetched_at: Number(policy.fetchedAt) }));
      renameSync(temporary, file);
    } catch {
      rmSync(temporary, { force: true });
    }
  }
}

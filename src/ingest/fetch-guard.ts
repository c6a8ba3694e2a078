import dns from 'node:dns';
import net from 'node:net';
import { ArticleParseError } from '../core/errors.js';

/** One resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (the system resolver by default; tests inject a fake). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** Who may be fetched: the SSRF policy applied to every hop of every fetch. */
export interface FetchGuardOptions {
  /** Allow loopback, private-network and other non-public addresses (ALLOW_PRIVATE_FETCH). */
  allowPrivate?: boolean;
  /**
   * Origins (`http://host:port`) whose addresses are not checked: the operator's own `--url` and
   * `--feed` on the command line. Redirects and item links to other origins are still checked.
   */
  trustedOrigins?: readonly string[];
  /** Host name resolver (the system's `getaddrinfo` by default). */
  resolve?: Resolver;
}

/** A fetch refused by the guard; the message names the host, the address and why. */
export class FetchRefusedError extends ArticleParseError {}

const systemResolver: Resolver = async (hostname) => {
  const found = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address (zone id dropped, embedded dotted IPv4 handled). */
function ipv6Bytes(ip: string): number[] {
  const text = ip
    .replace(/%.*$/, '')
    .toLowerCase()
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
      `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const groupsOf = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  let groups = groupsOf(head);
  if (rest !== undefined) {
    const after = groupsOf(rest);
    groups = [...groups, ...new Array<number>(8 - groups.length - after.length).fill(0), ...after];
  }
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

type Range = { bytes: number[]; bits: number; name: string };

function range(cidr: string, name: string): Range {
  const [ip, bits] = cidr.split('/') as [string, string];
  return { bytes: net.isIPv4(ip) ? ipv4Bytes(ip) : ipv6Bytes(ip), bits: Number(bits), name };
}

function inRange(bytes: number[], r: Range): boolean {
  for (let bit = 0; bit < r.bits; bit += 8) {
    const i = bit / 8;
    const width = Math.min(8, r.bits - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((r.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

// IANA special-purpose IPv4 ranges that are not the public internet.
const V4_BLOCKED = [
  range('0.0.0.0/8', 'unspecified ("this network")'),
  range('10.0.0.0/8', 'private network'),
  range('100.64.0.0/10', 'carrier-grade NAT'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private network'),
  range('192.0.0.0/24', 'IETF protocol assignments'),
  range('192.0.2.0/24', 'documentation'),
  range('192.88.99.0/24', '6to4 relay anycast'),
  range('192.168.0.0/16', 'private network'),
  range('198.18.0.0/15', 'benchmarking'),
  range('198.51.100.0/24', 'documentation'),
  range('203.0.113.0/24', 'documentation'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
];

// IPv6 forms that carry an IPv4 address: judged by the address they carry.
const V6_EMBEDDING: { range: Range; offset: number }[] = [
  { range: range('::ffff:0:0/96', 'IPv4-mapped'), offset: 12 },
  { range: range('64:ff9b::/96', 'NAT64'), offset: 12 },
  { range: range('2002::/16', '6to4'), offset: 2 },
];

const V6_BLOCKED = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('64:ff9b:1::/48', 'local-use NAT64'),
  range('100::/64', 'discard-only'),
  range('2001::/23', 'IETF protocol assignments (Teredo and others)'),
  range('2001:db8::/32', 'documentation'),
  range('3fff::/20', 'documentation'),
  range('fc00::/7', 'unique local (private network)'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'site-local'),
  range('ff00::/8', 'multicast'),
];
const V6_GLOBAL_UNICAST = range('2000::/3', 'global unicast');

/**
 * Why an IP address is not on the public internet ("loopback", "private network", ...), or null
 * when it is. IPv4-mapped, NAT64 and 6to4 IPv6 forms are judged by the IPv4 address they carry;
 * IPv6 outside 2000::/3 is reserved. Throws on something that is not an IP address.
 */
export function nonPublicRange(ip: string): string | null {
  const bare = ip.replace(/^\[|\]$/g, '');
  const family = net.isIP(bare.replace(/%.*$/, ''));
  if (family === 4) {
    const bytes = ipv4Bytes(bare);
    return V4_BLOCKED.find((r) => inRange(bytes, r))?.name ?? null;
  }
  if (family !== 6) throw new TypeError(`not an IP address: ${ip}`);
  const bytes = ipv6Bytes(bare);
  for (const { range: r, offset } of V6_EMBEDDING) {
    if (!inRange(bytes, r)) continue;
    const inner = nonPublicRange(bytes.slice(offset, offset + 4).join('.'));
    return inner === null ? null : `${inner} (as ${r.name})`;
  }
  const blocked = V6_BLOCKED.find((r) => inRange(bytes, r));
  if (blocked) return blocked.name;
  return inRange(bytes, V6_GLOBAL_UNICAST) ? null : 'reserved';
}

function refusal(url: URL, address: string, why: string): FetchRefusedError {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const where = host === address ? address : `${host} (${address})`;
  return new FetchRefusedError(`refused to fetch ${url.origin}: ${where} is not a public address (${why}); set ALLOW_PRIVATE_FETCH=true to allow private addresses`);
}

/**
 * Checks a URL's scheme and, for a literal IP host, its address, without any lookup. Throws
 * FetchRefusedError (or ArticleParseError for a bad scheme). Host names are never judged by
 * their spelling: fd.nl or fcc.gov are checked by the addresses they resolve to.
 */
export function checkLiteralUrl(url: URL, options: FetchGuardOptions = {}): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ArticleParseError(`only http and https URLs can be fetched (got ${url.protocol})`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (options.allowPrivate || options.trustedOrigins?.includes(url.origin) || !net.isIP(host)) return;
  const why = nonPublicRange(host);
  if (why) throw refusal(url, host, why);
}

/**
 * Resolves the URL's host (every address) and checks each one unless private fetches are allowed
 * or the origin is trusted. Returns the vetted addresses: the connection must go to one of these
 * (see `pinnedLookup`), never to a second lookup's answer (DNS rebinding).
 */
export async function vetUrl(url: URL, options: FetchGuardOptions = {}): Promise<ResolvedAddress[]> {
  checkLiteralUrl(url, options);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const family = net.isIP(host);
  if (family) return [{ address: host, family: family === 6 ? 6 : 4 }];
  let addresses: ResolvedAddress[];
  try {
    addresses = await (options.resolve ?? systemResolver)(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ArticleParseError(`cannot resolve ${host}${code ? ` (${code})` : ''}`);
  }
  if (addresses.length === 0) throw new ArticleParseError(`cannot resolve ${host} (no addresses)`);
  const check = !options.allowPrivate && !options.trustedOrigins?.includes(url.origin);
  for (const a of addresses) {
    if (!net.isIP(a.address)) throw new ArticleParseError(`resolver gave "${a.address}" for ${host}, not an IP address`);
    const why = check ? nonPublicRange(a.address) : null;
    if (why) throw refusal(url, a.address, why);
  }
  return addresses;
}

/**
 * A `lookup` for node:http/https/net that answers with the already vetted addresses and never
 * asks DNS again, so the socket connects to exactly what was checked.
 */
export function pinnedLookup(addresses: ResolvedAddress[]): net.LookupFunction {
  return ((_hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    if (wanted.length === 0) {
      callback(Object.assign(new Error('no vetted address of the requested family'), { code: 'ENOTFOUND' }));
    } else if (options.all) {
      callback(null, wanted.map((a) => ({ address: a.address, family: a.family })));
    } else {
      callback(null, wanted[0]!.address, wanted[0]!.family);
    }
  }) as net.LookupFunction;
}

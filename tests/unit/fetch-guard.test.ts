import { describe, expect, it } from 'vitest';
import { checkLiteralUrl, FetchRefusedError, nonPublicRange, pinnedLookup, vetUrl, type Resolver } from '../../src/ingest/fetch-guard.js';

/** A resolver answering from a table (no DNS), counting its calls. */
function fakeResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(resolve, { calls });
}

describe('nonPublicRange', () => {
  it('names every non-public IPv4 range', () => {
    const cases: [string, RegExp][] = [
      ['0.0.0.0', /unspecified/],
      ['127.0.0.1', /loopback/],
      ['127.255.255.254', /loopback/],
      ['10.1.2.3', /private/],
      ['172.16.0.1', /private/],
      ['172.31.255.255', /private/],
      ['192.168.1.1', /private/],
      ['169.254.169.254', /link-local/],
      ['100.64.0.1', /carrier-grade NAT/],
      ['100.127.255.255', /carrier-grade NAT/],
      ['198.18.0.1', /benchmarking/],
      ['198.19.255.255', /benchmarking/],
      ['192.0.2.1', /documentation/],
      ['198.51.100.7', /documentation/],
      ['203.0.113.9', /documentation/],
      ['192.0.0.8', /IETF/],
      ['224.0.0.1', /multicast/],
      ['239.255.255.250', /multicast/],
      ['240.0.0.1', /reserved/],
      ['255.255.255.255', /reserved/],
    ];
    for (const [ip, why] of cases) expect(nonPublicRange(ip), ip).toMatch(why);
  });

  it('passes public IPv4 addresses, including the neighbours of blocked ranges', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '198.17.255.255', '198.20.0.1', '169.253.0.1', '192.169.0.1', '223.255.255.255']) {
      expect(nonPublicRange(ip), ip).toBeNull();
    }
  });

  it('names non-public IPv6 ranges and judges IPv4-carrying forms by the IPv4 address inside', () => {
    const cases: [string, RegExp][] = [
      ['::', /unspecified/],
      ['::1', /loopback/],
      ['fc00::1', /unique local/],
      ['fd12:3456::1', /unique local/],
      ['fe80::1', /link-local/],
      ['fe80::1%eth0', /link-local/],
      ['fec0::1', /site-local/],
      ['ff02::1', /multicast/],
      ['2001:db8::1', /documentation/],
      ['2001::1', /Teredo/],
      ['64:ff9b:1::1', /local-use NAT64/],
      ['100::1', /discard/],
      ['::ffff:127.0.0.1', /loopback \(as IPv4-mapped\)/],
      ['::ffff:7f00:1', /loopback \(as IPv4-mapped\)/],
      ['::ffff:10.0.0.1', /private network \(as IPv4-mapped\)/],
      ['::ffff:169.254.169.254', /link-local \(as IPv4-mapped\)/],
      ['64:ff9b::10.0.0.1', /private network \(as NAT64\)/],
      ['64:ff9b::7f00:1', /loopback \(as NAT64\)/],
      ['2002:7f00:1::', /loopback \(as 6to4\)/],
      ['2002:c0a8:101::1', /private network \(as 6to4\)/],
      ['::127.0.0.1', /reserved/],
      ['5f00::1', /reserved/],
    ];
    for (const [ip, why] of cases) expect(nonPublicRange(ip), ip).toMatch(why);
    for (const ip of ['2001:4860:4860::8888', '2a00:1450:4001:82b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) expect(nonPublicRange(ip), ip).toBeNull();
  });

  it('throws on something that is not an address', () => {
    expect(() => nonPublicRange('fd.nl')).toThrow(TypeError);
  });
});

describe('checkLiteralUrl', () => {
  it('refuses literal private addresses in every spelling the URL parser accepts', () => {
    for (const url of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://127.1:8080/', 'http://0177.0.0.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/', 'https://169.254.169.254/latest/meta-data/', 'http://[fd00::1]/', 'http://0.0.0.0/']) {
      expect(() => checkLiteralUrl(new URL(url)), url).toThrow(FetchRefusedError);
    }
  });

  it('refuses other schemes, and lets host names through to resolution (never judged by their spelling)', () => {
    expect(() => checkLiteralUrl(new URL('file:///etc/passwd'))).toThrow(/only http and https/);
    expect(() => checkLiteralUrl(new URL('gopher://example.com/'))).toThrow(/only http and https/);
    for (const url of ['https://fcc.gov/', 'https://www.fdic.gov/', 'https://fd.nl/', 'https://www.fcbarcelona.com/', 'https://fe80.example/', 'https://localhost.example/']) {
      expect(() => checkLiteralUrl(new URL(url)), url).not.toThrow();
    }
  });

  it('lets private literals through when allowed or when the origin is trusted', () => {
    expect(() => checkLiteralUrl(new URL('http://127.0.0.1:9/'), { allowPrivate: true })).not.toThrow();
    expect(() => checkLiteralUrl(new URL('http://127.0.0.1:9/x'), { trustedOrigins: ['http://127.0.0.1:9'] })).not.toThrow();
    expect(() => checkLiteralUrl(new URL('http://127.0.0.1:10/x'), { trustedOrigins: ['http://127.0.0.1:9'] })).toThrow(FetchRefusedError);
  });
});

describe('vetUrl', () => {
  const resolve = fakeResolver({
    'fcc.gov': ['23.1.2.3'],
    'fdic.gov': ['2600:1408::1'],
    'fd.nl': ['93.184.216.34'],
    'fcbarcelona.com': ['104.18.1.1'],
    'intranet.example': ['127.0.0.1'],
    'metadata.example': ['169.254.169.254'],
    'mixed.example': ['93.184.216.34', '10.0.0.5'],
    'mapped.example': ['::ffff:192.168.0.1'],
    'nat64.example': ['64:ff9b::a00:1'],
    'bench.example': ['198.18.0.10'],
  });

  it('resolves a host name and returns its addresses when all are public', async () => {
    for (const host of ['fcc.gov', 'fdic.gov', 'fd.nl', 'fcbarcelona.com']) {
      const addresses = await vetUrl(new URL(`https://${host}/news`), { resolve });
      expect(addresses.length, host).toBe(1);
    }
  });

  it('refuses a name that resolves to a private address, naming the host, address and range', async () => {
    await expect(vetUrl(new URL('http://intranet.example/secret'), { resolve })).rejects.toThrow(
      'refused to fetch http://intranet.example: intranet.example (127.0.0.1) is not a public address (loopback); set ALLOW_PRIVATE_FETCH=true to allow private addresses',
    );
    await expect(vetUrl(new URL('http://metadata.example/'), { resolve })).rejects.toThrow(/169\.254\.169\.254\) is not a public address \(link-local\)/);
    await expect(vetUrl(new URL('http://mapped.example/'), { resolve })).rejects.toThrow(/as IPv4-mapped/);
    await expect(vetUrl(new URL('http://nat64.example/'), { resolve })).rejects.toThrow(/as NAT64/);
    await expect(vetUrl(new URL('http://bench.example/'), { resolve })).rejects.toThrow(/benchmarking/);
  });

  it('refuses a name when any one of its addresses is private', async () => {
    await expect(vetUrl(new URL('http://mixed.example/'), { resolve })).rejects.toThrow(/10\.0\.0\.5/);
  });

  it('allows private answers with allowPrivate, and reports names that do not resolve', async () => {
    expect(await vetUrl(new URL('http://intranet.example/'), { resolve, allowPrivate: true })).toEqual([{ address: '127.0.0.1', family: 4 }]);
    await expect(vetUrl(new URL('http://nowhere.example/'), { resolve })).rejects.toThrow('cannot resolve nowhere.example (ENOTFOUND)');
  });

  it('checks the real resolver too: localhost is loopback', async () => {
    await expect(vetUrl(new URL('http://localhost:9/'))).rejects.toThrow(/is not a public address \(loopback/);
  });
});

describe('pinnedLookup', () => {
  it('answers with the vetted addresses only, in both callback forms, and never asks DNS', () => {
    const lookup = pinnedLookup([{ address: '93.184.216.34', family: 4 }, { address: '2606:2800::1', family: 6 }]);
    const single: unknown[] = [];
    const all: unknown[] = [];
    const onlyV6: unknown[] = [];
    lookup('anything.example', {}, (...args: unknown[]) => single.push(...args));
    lookup('anything.example', { all: true }, (...args: unknown[]) => all.push(...args));
    lookup('anything.example', { family: 6 }, (...args: unknown[]) => onlyV6.push(...args));
    expect(single).toEqual([null, '93.184.216.34', 4]);
    expect(all).toEqual([null, [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800::1', family: 6 }]]);
    expect(onlyV6).toEqual([null, '2606:2800::1', 6]);
  });
});

import { lookup as dnsLookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { DomainError, ErrorCodes } from '../domain/errors.ts'

/** Resolves a host name to its addresses (node:dns by default; tests pass a fake). */
export type ResolveHost = (hostname: string) => Promise<string[]>

export const resolveWithDns: ResolveHost = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address)

// NOTE: a notification must never be a way to reach the server's own network (SSRF): loopback, private,
// link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, unique-local IPv6, and the special
// ranges that are not routable on the internet.
const refused = new BlockList()
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  refused.addSubnet(net, bits, 'ipv4')
}
for (const [net, bits] of [['::', 128], ['::1', 128], ['fe80::', 10], ['fec0::', 10], ['fc00::', 7], ['ff00::', 8],
  ['2001:db8::', 32], ['100::', 64]] as const) {
  refused.addSubnet(net, bits, 'ipv6')
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 address. */
function embeddedIpv4 (address: string): string | undefined {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (dotted) return dotted[1]
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address)
  if (!hex) return undefined
  const hi = parseInt(hex[1] ?? '0', 16)
  const lo = parseInt(hex[2] ?? '0', 16)
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
}

/** Whether an IP address is one a callback may not point to. */
export function isRefusedAddress (address: string): boolean {
  const family = isIP(address)
  if (family === 4) return refused.check(address, 'ipv4')
  if (family === 6) {
    const v4 = embeddedIpv4(address)
    return v4 !== undefined ? refused.check(v4, 'ipv4') : refused.check(address, 'ipv6')
  }
  return true
}

function invalid (message: string): DomainError {
  return new DomainError(ErrorCodes.INVALID_CALLBACK, 'Invalid callback', message)
}

/** Parses a callback URL and checks its scheme: http and https only, no credentials in it. */
export function parseCallback (callback: string): URL {
  let url: URL
  try {
    url = new URL(callback)
  } catch {
    throw invalid(`'${callback}' is not an absolute URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`Callback scheme '${url.protocol.replace(/:$/, '')}' is not allowed; use http or https`)
  }
  if (url.username !== '' || url.password !== '') throw invalid('Callback URLs may not carry credentials')
  return url
}

/**
 * Refuses a callback whose host is, or resolves to, a refused address (every address it resolves to is
 * checked). With `allowPrivate` (tests, local setups) only the URL itself is checked and nothing is resolved.
 * The dispatcher checks again before each attempt, so a host name re-pointed later is refused too.
 */
export async function assertCallbackAllowed (callback: string, opts: { allowPrivate: boolean; resolve?: ResolveHost }): Promise<URL> {
  const url = parseCallback(callback)
  if (opts.allowPrivate) return url
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) !== 0) {
    if (isRefusedAddress(host)) throw invalid(`Callback address ${host} is private, loopback or reserved`)
    return url
  }
  if (host === 'localhost' || host.endsWith('.localhost')) throw invalid(`Callback host ${host} is loopback`)
  let addresses: string[]
  try {
    addresses = await (opts.resolve ?? resolveWithDns)(host)
  } catch {
    throw invalid(`Callback host ${host} does not resolve`)
  }
  if (addresses.length === 0) throw invalid(`Callback host ${host} does not resolve`)
  const bad = addresses.find(isRefusedAddress)
  if (bad !== undefined) throw invalid(`Callback host ${host} resolves to ${bad}, a private, loopback or reserved address`)
  return url
}

/** Wraps a resolver with a short cache, so that checking before every attempt costs one lookup a minute per host. */
export function cachingResolver (resolve: ResolveHost, ttlMs = 60_000): ResolveHost {
  const cache = new Map<string, { addresses: string[]; until: number }>()
  return async (hostname) => {
    const hit = cache.get(hostname)
    if (hit && hit.until > Date.now()) return hit.addresses
    const addresses = await resolve(hostname)
    if (cache.size >= 1024) cache.clear()
    cache.set(hostname, { addresses, until: Date.now() + ttlMs })
    return addresses
  }
}

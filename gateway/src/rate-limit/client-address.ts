import { isIPv6 } from 'node:net'

/**
 * What the limits count a client address as. An IPv4 address is one client; an IPv6 client is
 * usually handed a whole /64 and can pick any address in it, so it is counted by its /64.
 * `request.ip` comes from the socket, or from `X-Forwarded-For` only behind a trusted proxy.
 */
export function clientAddressKey(ip: string): string {
  // The common case on the hot path: a plain IPv4 address, used as it is.
  if (!ip.includes(':')) return ip
  const address = ip.replace(/%.*$/, '')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1] as string
  if (!isIPv6(address)) return address
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded (an IPv4 tail counts as two). */
function ipv6Groups(address: string): string[] {
  const groupsOf = (part: string) =>
    part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]))
  const [head = '', tail] = address.split('::')
  const first = groupsOf(head)
  const last = tail === undefined ? [] : groupsOf(tail)
  const zeros = Array.from({ length: 8 - first.length - last.length }, () => '0')
  return [...first, ...zeros, ...last].map((group) => Number.parseInt(group, 16).toString(16))
}

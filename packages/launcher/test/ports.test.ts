import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import t from 'tap'
import { freePort } from '../src/ports.js'

/**
 * Test systems start on ports found free a moment before their processes bind them. A port in the
 * range the OS gives outgoing connections can be taken by one in that moment (a process then dies
 * with EADDRINUSE); ports below it cannot, and one test process never gets the same port twice.
 */
const ephemeralLow = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
  } catch {
    return 32_768
  }
})()

t.test('ports for test systems: distinct, free, and outside the range of outgoing connections', async (t) => {
  const ports: number[] = []
  for (let i = 0; i < 200; i++) ports.push(await freePort())
  t.equal(new Set(ports).size, ports.length, 'never the same port twice')
  t.ok(
    ports.every((port) => port >= 10_000 && port < ephemeralLow),
    `all in 10000–${ephemeralLow - 1}, where no outgoing connection takes a port`,
  )
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const next = await freePort()
  t.not(next, ports[0], 'a port in use is skipped')
})

import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** The lowest port handed out here: above the well-known and registered services people run locally. */
const LOWEST = 10_000

/**
 * Where the OS takes the local ports of outgoing connections from (Linux's default otherwise). A port
 * found free in that range can be taken by any MySQL or Redis connection before the process it was
 * found for binds it; below it, only another listener can take it.
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    return Number.isInteger(low) && low > LOWEST + 1000 ? low : 32_768
  } catch {
    return 32_768
  }
}

const highest = ephemeralLow() - 1
const span = highest - LOWEST + 1
/** Each process walks the range from its own starting point, so parallel test files rarely meet. */
let cursor = LOWEST + ((process.pid * 7_919) % span)

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A port the OS picks (in its ephemeral range): the fallback when the range below is full. */
function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/**
 * A port free right now, below the OS's range for outgoing connections, never the same one twice in
 * this process: for tests and benchmarks that start processes on ports of their own.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const port = cursor
    cursor = cursor >= highest ? LOWEST : cursor + 1
    if (await canListen(port)) return port
  }
  return osPort()
}

import { connect, createServer, type Server, type Socket } from 'node:net'
import { freePort } from './ports.js'

/** How long the proxy waits for the real server to accept a connection before it drops the client's. */
const UPSTREAM_CONNECT_TIMEOUT_MS = 5000

/**
 * A TCP forwarder in front of a real MySQL or Redis, to take a dependency "down" for one test
 * without stopping the shared server: `disable()` closes the port and cuts every connection,
 * `enable()` opens the same port again. `hold()` keeps what clients send (in order) instead of
 * forwarding it, until `release()`: requests stay in flight for as long as a test needs. Given a
 * test, it holds only the connections whose data matches it (a slow call among quick ones), and a
 * held connection whose client gives up still delivers what it sent on `release()`, as a request
 * already on its way to a slow server would. The fault suite (faults/) puts the system's MySQL behind one.
 *
 * Its port is below the OS's range for outgoing connections (`freePort`), and it stays its own while
 * disabled: a port in that range, closed, can become the local port of a client's reconnect to it,
 * and a socket connected to itself answers nothing and keeps the port from the proxy. A connection
 * is never left waiting: one the proxy cannot forward within UPSTREAM_CONNECT_TIMEOUT_MS is dropped.
 */
export class TcpProxy {
  #server: Server | undefined
  readonly #sockets = new Set<Socket>()
  #port = 0
  #held: Array<[Socket, Buffer]> | undefined
  #holding: ((chunk: Buffer) => boolean) | undefined
  readonly #heldClients = new Set<Socket>()
  #heldBytes = 0

  readonly targetHost: string
  readonly targetPort: number

  constructor(targetHost: string, targetPort: number) {
    this.targetHost = targetHost
    this.targetPort = targetPort
  }

  get port(): number {
    return this.#port
  }

  /** Bytes clients sent since `hold()` that are waiting to be forwarded. */
  get heldBytes(): number {
    return this.#heldBytes
  }

  /** Holds every connection's data from now on, or only that of connections whose data matches `which`. */
  hold(which: (chunk: Buffer) => boolean = () => true): void {
    this.#held ??= []
    this.#holding = which
  }

  release(): void {
    const held = this.#held ?? []
    this.#held = undefined
    this.#holding = undefined
    this.#heldClients.clear()
    this.#heldBytes = 0
    for (const [upstream, chunk] of held) upstream.write(chunk)
  }

  async enable(): Promise<void> {
    if (this.#server) return
    this.#port ||= await freePort()
    const server = createServer((client) => {
      // Accepted as the proxy was disabled: refused like the ones after it.
      if (this.#server !== server) {
        client.destroy()
        return
      }
      const upstream = connect(this.targetPort, this.targetHost)
      upstream.setTimeout(UPSTREAM_CONNECT_TIMEOUT_MS, () => upstream.destroy(new Error('upstream connect timed out')))
      upstream.once('connect', () => upstream.setTimeout(0))
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.on('close', () => this.#sockets.delete(socket))
        socket.on('error', () => {
          client.destroy()
          if (socket === upstream || !this.#heldClients.has(client)) upstream.destroy()
        })
      }
      client.on('data', (chunk: Buffer) => {
        if (this.#held && (this.#heldClients.has(client) || this.#holding?.(chunk))) {
          this.#heldClients.add(client)
          this.#held.push([upstream, chunk])
          this.#heldBytes += chunk.length
        } else {
          upstream.write(chunk)
        }
      })
      // A held connection stays open upstream: what it sent is delivered on release, and answered.
      client.on('end', () => {
        if (!this.#heldClients.has(client)) upstream.end()
      })
      upstream.pipe(client)
    })
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        this.#server = undefined
        reject(err)
      })
      server.listen(this.#port, '127.0.0.1', () => resolve())
    })
  }

  async disable(): Promise<void> {
    const server = this.#server
    if (!server) return
    this.#server = undefined
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

interface Teardown {
  teardown(fn: () => unknown): void
}

/** An enabled proxy to host:port, disabled when the test ends. */
export async function startTcpProxy(t: Teardown, host: string, port: number): Promise<TcpProxy> {
  const proxy = new TcpProxy(host, port)
  await proxy.enable()
  t.teardown(() => proxy.disable())
  return proxy
}

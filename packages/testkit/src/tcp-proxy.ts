import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP forwarder in front of a real MySQL or Redis, to take a dependency "down" for one test
 * without stopping the shared server: `disable()` closes the port and cuts every connection,
 * `enable()` opens the same port again. `hold()` keeps what clients send (in order) instead of
 * forwarding it, until `release()`: requests stay in flight for as long as a test needs.
 */
export class TcpProxy {
  #server: Server | undefined
  readonly #sockets = new Set<Socket>()
  #port = 0
  #held: Array<[Socket, Buffer]> | undefined
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

  hold(): void {
    this.#held ??= []
  }

  release(): void {
    const held = this.#held ?? []
    this.#held = undefined
    this.#heldBytes = 0
    for (const [upstream, chunk] of held) upstream.write(chunk)
  }

  async enable(): Promise<void> {
    if (this.#server) return
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost)
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.on('close', () => this.#sockets.delete(socket))
        socket.on('error', () => {
          client.destroy()
          upstream.destroy()
        })
      }
      client.on('data', (chunk: Buffer) => {
        if (!this.#held) {
          upstream.write(chunk)
        } else {
          this.#held.push([upstream, chunk])
          this.#heldBytes += chunk.length
        }
      })
      client.on('end', () => upstream.end())
      upstream.pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#port, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    if (typeof address === 'object' && address) this.#port = address.port
    this.#server = server
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

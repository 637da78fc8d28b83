/**
 * Connections opened before the measured requests: each autocannon connection first sends one
 * `GET <path>` and waits until every connection has had its answer; then all send the scenario's
 * requests at once. This is the crowd of a sale that has been waiting in line: each user's
 * connection is already open (kept alive between status polls) when the seats go on sale.
 *
 * Why it matters on Node 20: its libuv accepts one connection per turn of the event loop (libuv
 * 1.45 stopped accepting in a loop), so a server busy with the requests of the connections it has
 * accepted takes the rest one per turn, and a cold stampede's latency is mostly the wait to be
 * accepted (docs/performance.md, "A stampede's connections wait to be accepted").
 *
 * Uses two members of autocannon's client (pinned by the lockfile): the built first request, whose
 * bytes are replaced, and `_doRequest`, which is held back for the second request.
 */

interface AutocannonClient {
  opts: { hostname: string; port: number }
  requestIterator: { currentRequest: { requestBuffer: Buffer } }
  _doRequest(...args: unknown[]): void
}

export interface ConnectionOpening {
  /** autocannon's `setupClient`. */
  setupClient(client: unknown): void
  /** Whether this answer is the client's opening one (true once per client, for its first answer). */
  isOpening(client: unknown): boolean
  /** When every connection had its opening answer (or the wait was given up); undefined before. */
  openedAt(): number | undefined
  /** Connections that got their opening answer. */
  opened(): number
}

/** Opens `connections` connections with `GET path` before any scenario request; gives up waiting after `maxWaitMs`. */
export function openConnectionsFirst(connections: number, path: string, maxWaitMs = 20_000): ConnectionOpening {
  const answered = new WeakSet<object>()
  let opened = 0
  let openedAt: number | undefined
  let release: () => void = () => {}
  const allOpen = new Promise<void>((resolve) => {
    release = () => {
      openedAt ??= performance.now()
      resolve()
    }
  })
  const giveUp = setTimeout(release, maxWaitMs)
  giveUp.unref()

  return {
    setupClient(raw) {
      const client = raw as AutocannonClient
      const { hostname, port } = client.opts
      client.requestIterator.currentRequest.requestBuffer = Buffer.from(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`,
      )
      const doRequest = client._doRequest
      let calls = 0
      client._doRequest = function (this: AutocannonClient, ...args: unknown[]) {
        calls++
        // The first call sends the opening request; the second comes with its answer.
        if (calls !== 2) return doRequest.apply(this, args)
        opened++
        if (opened === connections) {
          clearTimeout(giveUp)
          release()
        }
        allOpen.then(() => doRequest.apply(this, args))
      }
    },
    isOpening(client) {
      if (answered.has(client as object)) return false
      answered.add(client as object)
      return true
    },
    openedAt: () => openedAt,
    opened: () => opened,
  }
}

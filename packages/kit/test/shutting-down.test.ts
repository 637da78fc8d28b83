import { connect, type Socket } from 'node:net'
import t from 'tap'
import { Agent, fetch } from 'undici'
import { createServer, listenAside, UNPROCESSED_HEADER } from '../src/index.js'

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** The responses in what a server wrote on one connection (each with a `content-length`). */
function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = []
  let rest = raw
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n')
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
  return responses
}

t.test(
  'a request reaching a server that is shutting down gets 503 SHUTTING_DOWN in the documented shape',
  async (t) => {
    const app = createServer({ service: 'probe', config: { LOG_LEVEL: 'silent', LOG_PRETTY: 'false' } })
    let release = () => {}
    let arrived = () => {}
    const slowArrived = new Promise<void>((resolve) => {
      arrived = resolve
    })
    let writes = 0
    await app.register(async (context) => {
      context.get('/slow', async () => {
        arrived()
        await new Promise<void>((resolve) => {
          release = resolve
        })
        return { data: 'done' }
      })
      context.post('/things', async () => {
        writes++
        return { data: 'written' }
      })
    })
    const closing = new Promise<void>((resolve) => {
      app.addHook('preClose', (done) => {
        resolve()
        done()
      })
    })
    const port = await listenAside(app, { host: '127.0.0.1', port: 0 })
    // The server has read the late request (its answer waits behind the one in flight on that connection).
    const lateArrived = new Promise<void>((resolve) => {
      app.server.on('request', (request) => {
        if (request.url === '/things') resolve()
      })
    })

    // A client with a request in flight on a keep-alive connection, as a proxy or a busy client has.
    const socket: Socket = connect({ host: '127.0.0.1', port })
    let received = ''
    socket.on('data', (chunk) => {
      received += chunk.toString()
    })
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write('GET /slow HTTP/1.1\r\nHost: probe\r\n\r\n')
    await slowArrived

    const closed = app.close()
    await closing
    // The next request on that connection arrives while the server drains.
    socket.write(
      'POST /things HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    )
    await lateArrived
    release()
    await ended
    await closed

    const [first, second] = parseResponses(received)
    t.equal(first?.status, 200, 'the request in flight completed')
    t.equal(second?.status, 503, 'the late request is refused')
    t.same(
      JSON.parse(second?.body ?? '{}'),
      {
        statusCode: 503,
        code: 'SHUTTING_DOWN',
        error: 'Service Unavailable',
        message: 'server is shutting down; retry',
      },
      'in the documented error shape',
    )
    t.equal(second?.headers.connection, 'close', 'and the connection is closed, so the client goes elsewhere')
    t.ok(second?.headers['x-request-id'], 'with its request id')
    t.equal(second?.headers['x-unprocessed'], 'shutting-down', 'marked as not processed: it may be sent elsewhere')
    t.equal(writes, 0, 'nothing was done for it')
  },
)

t.test(
  'told to refuse new requests, a server answers each 503 SHUTTING_DOWN unprocessed and still accepts',
  async (t) => {
    const app = createServer({ service: 'probe', config: { LOG_LEVEL: 'silent', LOG_PRETTY: 'false' } })
    let writes = 0
    await app.register(async (context) => {
      context.post('/things', async () => {
        writes++
        return { data: 'written' }
      })
    })
    const port = await listenAside(app, { host: '127.0.0.1', port: 0 })
    t.teardown(() => app.close())
    // Each on a connection of its own.
    const post = () => fetch(`http://127.0.0.1:${port}/things`, { method: 'POST', dispatcher: new Agent() })

    t.equal((await post()).status, 200, 'served before')
    app.refuseNewRequests()
    const refused = await post()
    t.equal(refused.status, 503, 'a new connection is accepted, its request refused')
    t.equal(refused.headers.get(UNPROCESSED_HEADER), 'shutting-down', 'marked as not processed, to be sent elsewhere')
    t.match(await refused.json(), { statusCode: 503, code: 'SHUTTING_DOWN' })
    t.equal(writes, 1, 'nothing was done for it')
  },
)

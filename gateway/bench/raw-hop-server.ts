/**
 * The floor of a proxy hop in Node: a bare `node:http` server that passes each request to one
 * context through an undici pool (keep-alive, as the gateway's), with the gateway's service
 * assertion so the context accepts it, and writes the context's answer back whole. No Fastify, no
 * guard, no hooks, no metrics, no replay or cancellation. Split mode's gateway does this and more, so
 * `raw:hop` against `monolith` bounds what any gateway built on Node's HTTP stack could reach on the
 * same machine (docs/performance.md, "The split hop's floor").
 *
 * PORT, UPSTREAM (the context's base URL), UPSTREAM_AUDIENCE (its name), GATEWAY_ASSERTION_KEYS.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { SERVICE_ASSERTION_HEADER, signerFromEnv } from '@stagepass/kit'
import { Pool } from 'undici'
import { withoutConnectionHeaders } from '../src/hop-by-hop.js'

const upstream = process.env.UPSTREAM
if (!upstream) throw new Error('UPSTREAM is required')
const audience = process.env.UPSTREAM_AUDIENCE ?? 'queue'
const pool = new Pool(upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 })
const signer = signerFromEnv('gateway')

async function pass(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const headers = withoutConnectionHeaders({ ...req.headers }) as Record<string, string>
  const method = req.method ?? 'GET'
  const url = req.url ?? '/'
  headers[SERVICE_ASSERTION_HEADER] = signer.sign({ audience, method, url, headers })
  const answer = await pool.request({
    method: method as 'GET',
    path: url,
    headers,
    body: chunks.length === 0 ? null : Buffer.concat(chunks),
  })
  const body = Buffer.from(await answer.body.arrayBuffer())
  res.writeHead(answer.statusCode, {
    'content-type': String(answer.headers['content-type'] ?? 'application/json'),
    'content-length': body.length,
  })
  res.end(body)
}

const server = createServer((req, res) => {
  // The bench waits for this before it measures; it is answered here, not upstream.
  if (req.url === '/health/live') {
    res.end('ok')
    return
  }
  pass(req, res).catch((error: Error) => {
    res.writeHead(502, { 'content-type': 'text/plain' })
    res.end(error.message)
  })
})
server.listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => {
  server.close()
  pool.close().then(() => process.exit(0))
})

import { apiClient, type TestSystem } from '@stagepass/testkit'
import type { Test } from 'tap'
import { buildPublicDocument } from '../../../src/openapi/document.js'

/** The browser origin the end-to-end system allows (CORS_ORIGINS); any other is refused. */
export const WEB_ORIGIN = 'https://tickets.stagepass.test'

/** `A, b,c` → `['a', 'b', 'c']`. */
const headerList = (value: unknown) => String(value).toLowerCase().split(/,\s*/)

/** The published contract and what a browser on another origin needs to call the API. */
export async function contractSuite(t: Test, system: TestSystem) {
  const api = apiClient(system.baseUrl)
  t.teardown(() => api.close())

  await t.test('/openapi.json is the document built from the contexts, without any token', async (t) => {
    const res = await api.get('/openapi.json')
    t.equal(res.status, 200)
    t.equal(res.body.openapi, '3.1.0')
    t.same(res.body, await buildPublicDocument(), 'the same document in either mode')
    t.notOk(
      Object.keys(res.body.paths).some((path) => path.startsWith('/internal') || path.startsWith('/admin')),
      'no internal or admin route is published',
    )
  })

  await t.test('/docs serves the API reference and its assets from the gateway itself', async (t) => {
    const page = await api.get('/docs/')
    t.equal(page.status, 200)
    t.match(page.headers['content-type'], /text\/html/)
    const scripts = [...String(page.body).matchAll(/src="\.\/([^"]+\.js)"/g)].map((m) => m[1])
    t.ok(scripts.length > 0, 'the page loads scripts')
    for (const script of scripts) {
      const asset = await api.get(`/docs/${script}`)
      t.equal(asset.status, 200, `${script} is served locally`)
    }
  })

  await t.test('/ serves the web app and its assets; any other path keeps the API 404', async (t) => {
    const page = await api.get('/')
    t.equal(page.status, 200)
    t.match(page.headers['content-type'], /text\/html/)
    const assets = [...String(page.body).matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string)
    t.ok(assets.length > 0, 'the page loads its script and styles')
    for (const asset of assets) t.equal((await api.get(asset)).status, 200, `${asset} is served`)
    for (const path of ['/no-such-page', '/assets/no-such-file.js']) {
      const res = await api.get(path)
      t.equal(res.status, 404, path)
      t.match(res.body, { statusCode: 404, code: String, message: String }, `${path}: the API's error shape`)
    }
  })

  const preflight = (origin: string, method: string, path: string, headers: string) =>
    api.call('OPTIONS', path, {
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    })

  await t.test('a browser on the allowed origin may pay with its token and an Idempotency-Key', async (t) => {
    const res = await preflight(WEB_ORIGIN, 'POST', '/payment/pay', 'authorization,content-type,idempotency-key')
    t.equal(res.status, 204, 'the preflight needs no queue token')
    t.equal(res.headers['access-control-allow-origin'], WEB_ORIGIN)
    t.match(String(res.headers['access-control-allow-methods']), /POST/)
    const allowed = headerList(res.headers['access-control-allow-headers'])
    for (const header of ['authorization', 'idempotency-key', 'content-type']) t.ok(allowed.includes(header), header)
  })

  await t.test('the answer to that browser exposes the headers a client acts on', async (t) => {
    const res = await api.get('/concerts', { headers: { origin: WEB_ORIGIN } })
    t.equal(res.status, 401, 'no token: refused, and still readable by the page')
    t.equal(res.headers['access-control-allow-origin'], WEB_ORIGIN)
    const exposed = headerList(res.headers['access-control-expose-headers'])
    for (const header of ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
      t.ok(exposed.includes(header), header)
    }
  })

  await t.test('another origin gets no CORS permission', async (t) => {
    const res = await preflight('https://evil.example', 'POST', '/payment/pay', 'authorization')
    t.equal(res.headers['access-control-allow-origin'], undefined)
    const read = await api.get('/points/current/1', { headers: { origin: 'https://evil.example' } })
    t.equal(read.headers['access-control-allow-origin'], undefined)
  })
}

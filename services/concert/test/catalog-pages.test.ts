import { seedDemoData } from '@stagepass/db'
import { registry } from '@stagepass/kit'
import { createTestDatabase, createTestRedisPrefix, eventually } from '@stagepass/testkit'
import t from 'tap'
import { CONCERT_PAGE_MAX } from '../src/schemas.js'
import { CONCERT_FIELDS, startConcertService } from './helpers.js'

const { db, config } = await createTestDatabase(t)
const redis = createTestRedisPrefix(t)
// More concerts than fit on the largest page.
const CONCERTS = 250
await seedDemoData(db, { concerts: CONCERTS, optionsPerConcert: 1, seatsPerOption: 1 })

/** Catalog pages served from the cache, by source, from the metric operators see. */
async function catalogReads(source: 'hit' | 'miss'): Promise<number> {
  const metric = await registry.getSingleMetric('concert_availability_reads_total')?.get()
  const value = metric?.values.find((v) => v.labels.view === 'concerts' && v.labels.source === source)
  return Number(value?.value ?? 0)
}

t.test('paging walks the whole catalog exactly once, in id order', async (t) => {
  const { api } = await startConcertService(t, { mysql: config, redis })
  for (const limit of [7, 40, CONCERT_PAGE_MAX]) {
    const seen: number[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor === null ? `?limit=${limit}` : `?limit=${limit}&cursor=${cursor}`
      const res = await api.get(`/concerts${query}`)
      t.equal(res.status, 200)
      t.ok(res.body.data.concerts.length <= limit, 'a page holds at most the limit')
      seen.push(...res.body.data.concerts.map((c: { id: number }) => c.id))
      cursor = res.body.data.nextCursor
      pages++
    } while (cursor !== null && pages <= CONCERTS)
    t.same(
      seen,
      Array.from({ length: CONCERTS }, (_, i) => i + 1),
      `limit ${limit}: every concert once, in order`,
    )
    t.equal(pages, Math.ceil(CONCERTS / limit), `limit ${limit}: no empty last page`)
  }
})

t.test('without parameters it is the first page with the original fields', async (t) => {
  const { api } = await startConcertService(t, { mysql: config, redis })
  const res = await api.get('/concerts')
  t.equal(res.status, 200)
  t.same(Object.keys(res.body.data).sort(), ['concerts', 'nextCursor'])
  t.equal(res.body.data.concerts.length, CONCERT_PAGE_MAX)
  t.equal(res.body.data.nextCursor, String(CONCERT_PAGE_MAX))
  t.same(Object.keys(res.body.data.concerts[0]).sort(), CONCERT_FIELDS)
})

t.test('bad paging parameters are a 400 naming the parameter', async (t) => {
  const { api } = await startConcertService(t, { mysql: config, redis })
  for (const [query, field] of [
    ['limit=0', 'limit'],
    [`limit=${CONCERT_PAGE_MAX + 1}`, 'limit'],
    ['limit=ten', 'limit'],
    ['limit=2.5', 'limit'],
    ['cursor=abc', 'cursor'],
    ['cursor=0', 'cursor'],
    ['cursor=-5', 'cursor'],
    ['cursor=12345678901234567890', 'cursor'],
    ['page=2', 'querystring must NOT have additional property "page"'],
  ] as const) {
    const res = await api.get(`/concerts?${query}`)
    t.equal(res.status, 400, query)
    t.equal(res.body.code, 'VALIDATION_ERROR', query)
    t.match(res.body.message, field, `${query}: names ${field}`)
  }
  const past = await api.get('/concerts?cursor=999999')
  t.same(past.body, { data: { concerts: [], nextCursor: null } }, 'a cursor past the end is an empty last page')
})

t.test('pages are served from the cache until its TTL, then read again', async (t) => {
  const { api } = await startConcertService(t, { mysql: config, redis, seatCache: { enabled: true, ttlMs: 60_000 } })
  const path = '/concerts?limit=5&cursor=200'
  const first = await api.get(path)
  t.equal(first.body.data.concerts[0].id, 201)
  // The store does not hold up the response: read until the page comes from the cache.
  t.ok(
    await eventually(async () => {
      const hits = await catalogReads('hit')
      await api.get(path)
      return (await catalogReads('hit')) > hits
    }),
    'the page was cached',
  )
  const hits = await catalogReads('hit')
  // A change in MySQL that this cached page does not show: the second read never reached MySQL.
  await db.updateTable('concert').set({ name: 'Renamed Tour' }).where('id', '=', 201).execute()
  const second = await api.get(path)
  t.same(second.body, first.body, 'the cached page is served')
  t.equal(await catalogReads('hit'), hits + 1, 'counted as a cache hit')

  const { api: shortLived } = await startConcertService(t, {
    mysql: config,
    redis,
    seatCache: { enabled: true, ttlMs: 200 },
  })
  const nameOf151 = async () => (await shortLived.get('/concerts?limit=5&cursor=150')).body.data.concerts[0].concertName
  const before = await nameOf151()
  await db.updateTable('concert').set({ name: 'Renamed Again' }).where('id', '=', 151).execute()
  t.not(before, 'Renamed Again')
  t.ok(await eventually(async () => (await nameOf151()) === 'Renamed Again'), 'a page lives no longer than the TTL')
})

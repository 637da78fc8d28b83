import t from 'tap'
import { batchPerTurn, orEachAlone } from '../src/batch-per-turn.js'

/** A batcher whose batches are recorded, answering each item doubled. */
function doubling(maxItems?: number) {
  const batches: number[][] = []
  const double = batchPerTurn<number, number>(
    async (items) => {
      batches.push([...items])
      return items.map((n) => n * 2)
    },
    maxItems === undefined ? {} : { maxItems },
  )
  return { double, batches }
}

t.test('the calls of one turn go as one batch, each caller given its own answer', async (t) => {
  const { double, batches } = doubling()
  const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => double(i)))
  t.same(
    answers,
    Array.from({ length: 300 }, (_, i) => i * 2),
    'every caller its own answer',
  )
  t.equal(batches.length, 1, 'one batch')
  t.equal(batches[0]?.length, 300)
})

t.test('a call in a later turn is a batch of its own; one alone is not held past its turn', async (t) => {
  const { double, batches } = doubling()
  t.equal(await double(1), 2)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(await double(2), 4)
  t.same(batches, [[1], [2]])
})

t.test('more than maxItems in one turn go as several batches', async (t) => {
  const { double, batches } = doubling(100)
  const answers = await Promise.all(Array.from({ length: 250 }, (_, i) => double(i)))
  t.equal(answers[249], 498)
  t.same(
    batches.map((b) => b.length),
    [100, 100, 50],
  )
})

t.test('a failed batch fails each of its callers, and the next batch runs', async (t) => {
  let fail = true
  const read = batchPerTurn<string, string>(async (items) => {
    if (fail) throw new Error('store down')
    return items.map((item) => item.toUpperCase())
  })
  const failed = await Promise.allSettled([read('a'), read('b')])
  t.same(
    failed.map((r) => r.status),
    ['rejected', 'rejected'],
  )
  t.match((failed[0] as PromiseRejectedResult).reason, { message: 'store down' })
  fail = false
  t.equal(await read('c'), 'C')
})

t.test('a run that throws before answering, or answers too few, fails its callers', async (t) => {
  const throwing = batchPerTurn<number, number>(() => {
    throw new Error('bad statement')
  })
  await t.rejects(throwing(1), { message: 'bad statement' })
  const short = batchPerTurn<number, number>(async (items) => items.slice(1))
  const answers = await Promise.allSettled([short(1), short(2)])
  t.same(
    answers.map((r) => r.status),
    ['rejected', 'rejected'],
    'no caller is given another one’s answer',
  )
})

t.test('an item answered with a promise settles on its own', async (t) => {
  const alone = batchPerTurn<number, number>(async (items) =>
    items.map((n) => (n < 0 ? Promise.reject(new Error(`no ${n}`)) : Promise.resolve(n + 1))),
  )
  const [ok, refused, other] = await Promise.allSettled([alone(1), alone(-1), alone(5)])
  t.same(ok, { status: 'fulfilled', value: 2 })
  t.match(refused, { status: 'rejected', reason: { message: 'no -1' } })
  t.same(other, { status: 'fulfilled', value: 6 })
})

t.test('orEachAlone: a batch that fails goes again item by item, and only the item at fault fails', async (t) => {
  const runs: number[][] = []
  const halving = batchPerTurn<number, number>((items) =>
    orEachAlone(items, async (some) => {
      runs.push([...some])
      if (some.includes(3)) throw new Error('three is odd')
      return some.map((n) => n / 2)
    }),
  )
  const outcomes = await Promise.allSettled([2, 3, 4].map((n) => halving(n)))
  t.same(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
    [1, 'three is odd', 2],
    'the others answered, the one at fault refused with its own error',
  )
  t.same(runs, [[2, 3, 4], [2], [3], [4]], 'the batch once, then each item alone')
  let tries = 0
  await t.rejects(
    orEachAlone([3], async () => {
      tries++
      throw new Error('alone')
    }),
    /alone/,
    'a batch of one that fails throws its error',
  )
  t.equal(tries, 1, 'and is not run again')
})

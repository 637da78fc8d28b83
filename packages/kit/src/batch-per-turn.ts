/** What a batch answers one of its items: the value, or a promise of it (an item sent on alone). */
export type BatchAnswer<O> = O | PromiseLike<O>

interface Waiting<I, O> {
  item: I
  resolve(answer: BatchAnswer<O>): void
  reject(err: unknown): void
}

/**
 * Gathers the calls made during one turn of the event loop and runs them as one batch, once the
 * turn's I/O callbacks have run (`setImmediate`): when a sale opens, the requests that arrive
 * together share one command or one round trip instead of queueing one each behind an event loop
 * busy with the rest of the crowd. A call made alone waits only for the end of its turn.
 *
 * `run` answers every item in the order given: a value, or a promise of one (an item it hands on
 * to be done by itself). A batch that fails, or answers the wrong number of items, fails each of
 * its callers. More than `maxItems` calls in one turn go as several batches, sent together.
 */
export function batchPerTurn<I, O>(
  run: (items: readonly I[]) => Promise<readonly BatchAnswer<O>[]>,
  { maxItems = 1000 }: { maxItems?: number } = {},
): (item: I) => Promise<O> {
  let gathering: Waiting<I, O>[] | undefined

  function send(batch: Waiting<I, O>[]) {
    const items = batch.map((waiting) => waiting.item)
    Promise.resolve()
      .then(() => run(items))
      .then((answers) => {
        if (answers.length !== batch.length)
          throw new Error(`a batch of ${batch.length} items was answered with ${answers.length}`)
        for (const [i, waiting] of batch.entries()) waiting.resolve(answers[i] as BatchAnswer<O>)
      })
      .catch((err: unknown) => {
        for (const waiting of batch) waiting.reject(err)
      })
  }

  function flush() {
    const turn = gathering as Waiting<I, O>[]
    gathering = undefined
    for (let start = 0; start < turn.length; start += maxItems) send(turn.slice(start, start + maxItems))
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      if (!gathering) {
        gathering = []
        setImmediate(flush)
      }
      gathering.push({ item, resolve, reject })
    })
}

/**
 * Runs a batch; when it fails, each item alone, so only the one at fault fails (a lock wait on one
 * row, say). The batch must keep nothing when it fails: its statement or transaction rolled back.
 */
export async function orEachAlone<I, O>(
  items: readonly I[],
  run: (items: readonly I[]) => Promise<readonly O[]>,
): Promise<BatchAnswer<O>[]> {
  try {
    return [...(await run(items))]
  } catch (err) {
    if (items.length === 1) throw err
    return items.map(async (item) => (await run([item]))[0] as O)
  }
}

import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads'

export interface SyncResponse {
  status: number
  body: string
  headers: Record<string, string>
  durationMs: number
  error: string
}

// k6's HTTP calls block the VU; fetch does not. A worker does the fetch while this thread waits
// on a shared flag, then takes the answer from a message port synchronously.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { port } = workerData
parentPort.on('message', async ({ shared, method, url, headers, body }) => {
  const started = performance.now()
  let answer
  try {
    const res = await fetch(url, { method, headers, body: body ?? undefined, signal: AbortSignal.timeout(60000) })
    const text = await res.text()
    answer = { status: res.status, body: text, headers: Object.fromEntries(res.headers), durationMs: performance.now() - started, error: '' }
  } catch (err) {
    answer = { status: 0, body: '', headers: {}, durationMs: performance.now() - started, error: String(err && err.cause || err) }
  }
  port.postMessage(answer)
  const flag = new Int32Array(shared)
  Atomics.store(flag, 0, 1)
  Atomics.notify(flag, 0)
})
`

let channel: { worker: Worker; port: MessageChannel['port1'] } | undefined

function connection() {
  if (!channel) {
    const { port1, port2 } = new MessageChannel()
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2 }, transferList: [port2] })
    worker.unref()
    channel = { worker, port: port1 }
  }
  return channel
}

export function requestSync(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string | null,
): SyncResponse {
  const { worker, port } = connection()
  const shared = new SharedArrayBuffer(4)
  worker.postMessage({ shared, method, url, headers, body })
  if (Atomics.wait(new Int32Array(shared), 0, 0, 65_000) === 'timed-out') throw new Error(`${method} ${url}: no answer`)
  return (receiveMessageOnPort(port) as { message: SyncResponse }).message
}

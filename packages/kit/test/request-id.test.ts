import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { requestIdFrom } from '../src/request-id.js'

const req = (id?: string) => ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as IncomingMessage

t.test('a caller request id that is safe to log is echoed', async (t) => {
  t.equal(requestIdFrom(req('order-42.retry:1')), 'order-42.retry:1')
})

t.test('a missing, oversized or unsafe request id is replaced by a fresh one', async (t) => {
  for (const given of [undefined, '', 'a'.repeat(129), 'x\ny', 'hello world', '<script>']) {
    const id = requestIdFrom(req(given))
    t.not(id, given)
    t.match(id, /^[0-9a-f-]{36}$/)
  }
})

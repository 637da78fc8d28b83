import t from 'tap'
import {
  type AssertedRequest,
  bodyHash,
  createServiceAssertionSigner,
  createServiceAssertionVerifier,
  parseAssertionKeys,
} from '../src/service-assertion.js'

const OLD = parseAssertionKeys('old:an-older-gateway-key-still-listed')
const NEW = parseAssertionKeys('new:the-new-gateway-key-signing-now')
const BOOKING = parseAssertionKeys('b1:the-booking-key-for-internal-calls')

const gateway = createServiceAssertionSigner({ caller: 'gateway', keys: [...NEW, ...OLD] })
const booking = createServiceAssertionSigner({ caller: 'booking', keys: BOOKING })
const verifier = createServiceAssertionVerifier({ gateway: [...NEW, ...OLD], booking: BOOKING })

const request: AssertedRequest = {
  audience: 'booking',
  method: 'POST',
  url: '/payment/pay',
  headers: { 'x-queue-user-id': '42' },
}

t.test('an assertion verifies for the request it was made for, and names its caller', async (t) => {
  t.same(verifier.verify(gateway.sign(request), request), { caller: 'gateway' })
  const call = { audience: 'point', method: 'POST', url: '/internal/points/use', headers: {}, bodyHash: bodyHash('{}') }
  t.same(verifier.verify(booking.sign(call), call), { caller: 'booking' })
})

t.test('moved to anything else, it is refused', async (t) => {
  const assertion = gateway.sign(request)
  const others: Array<[string, AssertedRequest]> = [
    ['another context', { ...request, audience: 'point' }],
    ['another method', { ...request, method: 'GET' }],
    ['another path', { ...request, url: '/reservations/1' }],
    ['a query added', { ...request, url: '/payment/pay?x=1' }],
    ['another user', { ...request, headers: { 'x-queue-user-id': '43' } }],
    ['the user removed', { ...request, headers: {} }],
    ['a signed-in user added', { ...request, headers: { ...request.headers, 'x-user-id': '42' } }],
    ['a body bound', { ...request, bodyHash: bodyHash('{}') }],
  ]
  for (const [name, other] of others) {
    t.same(verifier.verify(assertion, other), { rejection: 'SERVICE_ASSERTION_INVALID' }, name)
  }
  const call = { audience: 'point', method: 'POST', url: '/internal/points/refund', headers: {} }
  const signed = booking.sign({ ...call, bodyHash: bodyHash('{"reference":"reservation:1"}') })
  t.same(
    verifier.verify(signed, { ...call, bodyHash: bodyHash('{"reference":"reservation:2"}') }),
    { rejection: 'SERVICE_ASSERTION_INVALID' },
    'another body',
  )
})

t.test('a path and query re-encoded by a proxy still match', async (t) => {
  const signed = gateway.sign({ ...request, method: 'GET', url: '/points/history/7?limit=5&cursor=9' })
  t.same(verifier.verify(signed, { ...request, method: 'GET', url: '/points/history/7?cursor=9&limit=5' }), {
    caller: 'gateway',
  })
})

t.test('tampered, truncated, unknown-key, expired and missing assertions are refused', async (t) => {
  const assertion = gateway.sign(request)
  const flipped = `${assertion.slice(0, -2)}${assertion.at(-2) === 'A' ? 'B' : 'A'}${assertion.at(-1)}`
  t.same(verifier.verify(flipped, request), { rejection: 'SERVICE_ASSERTION_INVALID' })
  t.same(verifier.verify(assertion.slice(0, -1), request), { rejection: 'SERVICE_ASSERTION_INVALID' })
  t.same(verifier.verify(assertion.replace('.gateway.', '.booking.'), request), {
    rejection: 'SERVICE_ASSERTION_INVALID',
  })
  t.same(verifier.verify([assertion, assertion], request), { rejection: 'SERVICE_ASSERTION_INVALID' })
  const stranger = createServiceAssertionSigner({
    caller: 'gateway',
    keys: parseAssertionKeys('new:a-key-nobody-listed'),
  })
  t.same(verifier.verify(stranger.sign(request), request), { rejection: 'SERVICE_ASSERTION_INVALID' })
  const stale = createServiceAssertionSigner({ caller: 'gateway', keys: NEW, now: () => Date.now() - 11_000 })
  t.same(verifier.verify(stale.sign(request), request), { rejection: 'SERVICE_ASSERTION_EXPIRED' })
  t.same(verifier.verify(undefined, request), { rejection: 'SERVICE_ASSERTION_MISSING' })
  t.same(verifier.verify('', request), { rejection: 'SERVICE_ASSERTION_MISSING' })
})

t.test('keys rotate: an assertion signed with a listed older key verifies; a removed key does not', async (t) => {
  const before = createServiceAssertionSigner({ caller: 'gateway', keys: OLD })
  t.same(verifier.verify(before.sign(request), request), { caller: 'gateway' })
  const after = createServiceAssertionVerifier({ gateway: NEW })
  t.same(after.verify(before.sign(request), request), { rejection: 'SERVICE_ASSERTION_INVALID' })
})

t.test('cost of signing and verifying (reported, not asserted)', async (t) => {
  const rounds = 20_000
  const started = process.hrtime.bigint()
  for (let i = 0; i < rounds; i++) verifier.verify(gateway.sign(request), request)
  const micros = Number(process.hrtime.bigint() - started) / 1000 / rounds
  t.comment(`sign + verify: ${micros.toFixed(2)} µs per request`)
  t.pass()
})

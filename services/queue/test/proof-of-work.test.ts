import { createHash, createHmac } from 'node:crypto'
import { parseQueueTokenKeys } from '@stagepass/kit'
import t from 'tap'
import {
  createChallengeSigner,
  hmacSha256,
  leadingZeroBits,
  solveChallenge,
  solvesChallenge,
} from '../src/proof-of-work.js'
import { admin, queueConfig, startQueueService } from './helpers.js'

const DIFFICULTY = 8

t.test('a solution is a nonce whose hash has the leading zero bits', async (t) => {
  t.equal(leadingZeroBits(Buffer.from([0, 0, 0x1f, 0xff])), 19)
  t.equal(leadingZeroBits(Buffer.from([0x80])), 0)
  t.equal(leadingZeroBits(Buffer.alloc(32)), 256)
  const challenge = 'p1.test.any-challenge-string'
  const nonce = solveChallenge(challenge, 12)
  const digest = createHash('sha256').update(`${challenge}:${nonce}`).digest()
  t.ok(leadingZeroBits(digest) >= 12, 'the solver finds a 12-bit solution')
  t.ok(solvesChallenge(challenge, nonce, 12))
})

t.test('challenges are signed with standard HMAC-SHA256, any key length', async (t) => {
  for (const secret of ['sixteen-chars-ok', 'k'.repeat(64), 'a much longer secret '.repeat(5)]) {
    for (const message of ['', 'p1.dev.abc.14.1.0', 'ü'.repeat(100)]) {
      t.same(hmacSha256(secret)(message), createHmac('sha256', secret).update(message).digest(), `${secret.length}`)
    }
  }
})

t.test('proof of work on join: the happy path and every refusal, on two instances', async (t) => {
  const config = queueConfig(t)
  const a = await startQueueService(t, config)
  const b = await startQueueService(t, config)
  const waitingCount = async () => {
    const { waiting, active } = (await a.api.get('/admin/queue', { headers: admin })).body.data
    return (waiting + active) as number
  }
  const challenge = async (api = a.api, headers: Record<string, string> = {}) => {
    const res = await api.get('/queue/challenge', { headers })
    t.equal(res.status, 200, 'GET /queue/challenge')
    return res.body.data as { challenge: string; difficulty: number; expiresAt: string }
  }
  const solved = async (api = a.api, headers: Record<string, string> = {}) => {
    const issued = await challenge(api, headers)
    return { challenge: issued.challenge, nonce: solveChallenge(issued.challenge, issued.difficulty) }
  }

  const off = await challenge()
  t.equal(off.difficulty, 0, 'off by default')
  t.equal((await a.api.post('/queue/tokens', { userId: 1 })).status, 200, 'no proof needed while off')

  const patched = await a.api.call('PATCH', '/admin/queue', { body: { powDifficulty: DIFFICULTY }, headers: admin })
  t.equal(patched.body.data.powDifficulty, DIFFICULTY, 'the admin route shows the difficulty')
  const fromB = await challenge(b.api)
  t.equal(fromB.difficulty, DIFFICULTY, 'the other instance issues challenges at the new difficulty at once')
  t.ok(Date.parse(fromB.expiresAt) > Date.now(), 'a challenge says when it expires')
  const required = await b.api.post('/queue/tokens', { userId: 2 })
  t.match(required.body, { statusCode: 428, code: 'PROOF_REQUIRED' }, 'and wants a proof at once')

  const proof = await solved(b.api)
  const joined = await a.api.post('/queue/tokens', { userId: 2, proof })
  t.match(joined.body.data, { userId: 2, status: 'WAITING', token: String }, 'challenge → solve → join')
  const again = await b.api.post('/queue/tokens', { userId: 2 })
  t.equal(again.body.data.token, joined.body.data.token, 'a user with a live place re-joins without a proof')
  const before = await waitingCount()

  const expectRefusal = async (
    label: string,
    body: Record<string, unknown>,
    expected: { statusCode: number; code: string },
  ) => {
    const res = await b.api.post('/queue/tokens', body)
    t.match(res.body, expected, label)
    const userId = body.userId as number
    t.equal((await a.api.get(`/queue/tokens/status/${userId}`)).status, 404, `${label}: the user has no place`)
  }

  await expectRefusal('replayed for another user', { userId: 3, proof }, { statusCode: 409, code: 'PROOF_REPLAYED' })
  const fresh = await solved()
  const altered = `${fresh.challenge.slice(0, 12)}${fresh.challenge[12] === 'A' ? 'B' : 'A'}${fresh.challenge.slice(13)}`
  await expectRefusal(
    'altered challenge',
    { userId: 4, proof: { ...fresh, challenge: altered } },
    { statusCode: 400, code: 'PROOF_INVALID' },
  )
  await expectRefusal(
    'garbage challenge',
    { userId: 4, proof: { challenge: 'not-a-challenge', nonce: '1' } },
    { statusCode: 400, code: 'PROOF_INVALID' },
  )
  let wrong = 0
  while (solvesChallenge(fresh.challenge, String(wrong), DIFFICULTY)) wrong++
  await expectRefusal(
    'a nonce that does not solve it',
    { userId: 4, proof: { ...fresh, nonce: String(wrong) } },
    { statusCode: 400, code: 'PROOF_INVALID' },
  )
  const forUser5 = await solved(a.api, { 'x-user-id': '5' })
  await expectRefusal(
    "another signed-in user's challenge",
    { userId: 6, proof: forUser5 },
    { statusCode: 400, code: 'PROOF_INVALID' },
  )
  t.equal((await a.api.post('/queue/tokens', { userId: 5, proof: forUser5 })).status, 200, 'its own user may use it')

  const signer = createChallengeSigner(parseQueueTokenKeys(config.QUEUE_TOKEN_KEYS))
  // A challenge this queue signed ten minutes ago with a two-minute life: expired by Redis's clock.
  const stale = signer.issue({ difficulty: DIFFICULTY, now: Date.now() - 600_000, ttlMs: 120_000 })
  await expectRefusal(
    'expired challenge',
    { userId: 7, proof: { challenge: stale.challenge, nonce: solveChallenge(stale.challenge, DIFFICULTY) } },
    { statusCode: 410, code: 'PROOF_EXPIRED' },
  )
  const easy = signer.issue({ difficulty: DIFFICULTY - 4, now: Date.now(), ttlMs: 120_000 })
  await expectRefusal(
    'a challenge easier than the current difficulty',
    { userId: 8, proof: { challenge: easy.challenge, nonce: solveChallenge(easy.challenge, DIFFICULTY - 4) } },
    { statusCode: 428, code: 'PROOF_TOO_EASY' },
  )
  await expectRefusal('no proof', { userId: 9 }, { statusCode: 428, code: 'PROOF_REQUIRED' })
  for (const bad of [
    { challenge: fresh.challenge },
    { ...fresh, nonce: 'a b' },
    { ...fresh, nonce: '' },
    { ...fresh, extra: 1 },
    'proof',
  ]) {
    await expectRefusal(
      `malformed proof ${JSON.stringify(bad).slice(0, 40)}`,
      { userId: 10, proof: bad },
      { statusCode: 400, code: 'VALIDATION_ERROR' },
    )
  }
  t.equal(await waitingCount(), before + 1, 'refused joins wrote nothing (user 5 joined with its own proof)')

  // The fresh proof was never spent by the refusals: it still joins, once.
  t.equal((await b.api.post('/queue/tokens', { userId: 11, proof: fresh })).status, 200, 'a fresh proof joins')
  await a.api.call('PATCH', '/admin/queue', { body: { powDifficulty: 0 }, headers: admin })
  t.equal((await b.api.post('/queue/tokens', { userId: 12 })).status, 200, 'turned off: no proof needed again')
  const admin400 = await a.api.call('PATCH', '/admin/queue', { body: { powDifficulty: 31 }, headers: admin })
  t.equal(admin400.status, 400, 'the difficulty is bounded')
})

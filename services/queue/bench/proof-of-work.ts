/**
 * What proof of work costs: CPU time of one solve at several difficulties for a Node client using
 * native hashing (`crypto.hash`, what a bot would run) and for a client using WebCrypto
 * `crypto.subtle.digest`, one hash per await (what a browser page does), and the server's cost to
 * verify a proof on join (the challenge's HMAC plus one hash). Medians; CPU time, not wall time.
 * `--max-browser 0 --max-node 0` measures the verification alone.
 *
 *   node services/queue/dist/bench/proof-of-work.js [--samples 21] [--max-browser 15] [--max-node 18]
 *
 * A solve takes a geometric number of hashes (mean 2^difficulty, median ≈ 0.69 × 2^difficulty), so
 * the per-solve medians are noisy; the per-hash cost times 2^difficulty is the steadier figure.
 */
import { hash, webcrypto } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createChallengeSigner, leadingZeroBits, solveChallenge, solvesChallenge } from '../src/proof-of-work.js'

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '21' },
    'max-browser': { type: 'string', default: '15' },
    'max-node': { type: 'string', default: '18' },
  },
})
const samples = Number(values.samples)
const maxBrowser = Number(values['max-browser'])
const maxNode = Number(values['max-node'])

const signer = createChallengeSigner([{ kid: 'bench', secret: 'proof-of-work-bench-secret' }])
const challengeAt = (difficulty: number) =>
  signer.issue({ difficulty, now: Date.now(), ttlMs: 120_000, userId: 12345 }).challenge

const cpuMicros = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number

const encoder = new TextEncoder()
/** A browser page's solver: WebCrypto, one digest per await. */
async function solveWithWebCrypto(challenge: string, difficulty: number): Promise<string> {
  for (let nonce = 0; ; nonce++) {
    const digest = await webcrypto.subtle.digest('SHA-256', encoder.encode(`${challenge}:${nonce}`))
    if (leadingZeroBits(new Uint8Array(digest)) >= difficulty) return String(nonce)
  }
}

async function perHashMicros(hashes: number, browser: boolean): Promise<number> {
  const challenge = challengeAt(0)
  const started = cpuMicros()
  for (let i = 0; i < hashes; i++) {
    if (browser) await webcrypto.subtle.digest('SHA-256', encoder.encode(`${challenge}:${i}`))
    else hash('sha256', `${challenge}:${i}`, 'buffer')
  }
  return (cpuMicros() - started) / hashes
}

async function solveMs(difficulty: number, browser: boolean): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    const challenge = challengeAt(difficulty)
    const started = cpuMicros()
    if (browser) await solveWithWebCrypto(challenge, difficulty)
    else solveChallenge(challenge, difficulty)
    times.push((cpuMicros() - started) / 1000)
  }
  return median(times)
}

/** The server's work per join with a proof: verify the signed challenge, hash once. */
function verifyMicros(): number {
  const challenge = challengeAt(16)
  const nonce = solveChallenge(challenge, 16)
  const perCall: number[] = []
  // CPU time too: on a shared machine wall time also counts the time other processes had the core.
  for (let round = 0; round < 200; round++) {
    const started = cpuMicros()
    for (let i = 0; i < 1000; i++) {
      const claims = signer.verify(challenge)
      if (!claims || !solvesChallenge(challenge, nonce, claims.difficulty)) throw new Error('the proof must verify')
    }
    perCall.push((cpuMicros() - started) / 1000)
  }
  return median(perCall)
}

const hashNode = await perHashMicros(200_000, false)
const hashBrowser = await perHashMicros(50_000, true)
const rows: Array<Record<string, number | string>> = []
for (let difficulty = 10; difficulty <= Math.max(maxNode, maxBrowser); difficulty++) {
  const row: Record<string, number | string> = { difficulty }
  const median = Math.LN2 * 2 ** difficulty
  if (difficulty <= maxNode) {
    row.nodeMedianSolveMs = Math.round((await solveMs(difficulty, false)) * 10) / 10
    row.nodeExpectedMedianMs = Math.round((median * hashNode) / 100) / 10
  }
  if (difficulty <= maxBrowser) {
    row.browserMedianSolveMs = Math.round((await solveMs(difficulty, true)) * 10) / 10
    row.browserExpectedMedianMs = Math.round((median * hashBrowser) / 100) / 10
  }
  rows.push(row)
  process.stdout.write(`${JSON.stringify(row)}\n`)
}
process.stdout.write(
  `${JSON.stringify(
    {
      samples,
      cpuMicrosPerHash: { node: Math.round(hashNode * 1000) / 1000, browser: Math.round(hashBrowser * 1000) / 1000 },
      serverVerifyMicrosPerJoin: Math.round(verifyMicros() * 100) / 100,
      rows,
    },
    null,
    2,
  )}\n`,
)

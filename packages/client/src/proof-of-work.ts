/** Leading zero bits of a digest. */
function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24
    bits += 8
  }
  return bits
}

/**
 * A nonce solving a join challenge (docs/queue.md, proof of work): SHA-256(challenge + ':' + nonce)
 * with at least `difficulty` leading zero bits, by a decimal counter, with the browser's (or Node's)
 * Web Crypto. Expected work is 2^difficulty hashes.
 */
export async function solveChallenge(challenge: string, difficulty: number, signal?: AbortSignal): Promise<string> {
  const encoder = new TextEncoder()
  for (let nonce = 0; ; nonce++) {
    if (nonce % 1024 === 0) signal?.throwIfAborted()
    const digest = await crypto.subtle.digest('SHA-256', encoder.encode(`${challenge}:${nonce}`))
    if (leadingZeroBits(new Uint8Array(digest)) >= difficulty) return String(nonce)
  }
}

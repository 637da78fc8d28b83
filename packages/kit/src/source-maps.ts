/**
 * Every process runs with `--enable-source-maps`, and Node parses a file's source map the first time
 * it formats a stack with a frame in that file. For the gateway's bundle that is a 4 MB map and
 * 0.35–0.45 s of a blocked event loop on the reference machine (docs/performance.md), paid by the
 * first request whose error stack is read: a failed query (Kysely reads the stack to extend it), a
 * logged 5xx. At a sale's opening that request is in the first wave, and every request in the process
 * waits with it. Formatting one stack here, before the port opens, pays it during start-up instead.
 */
export function primeSourceMaps(): void {
  if (process.sourceMapsEnabled) void new Error('priming the source maps').stack
}

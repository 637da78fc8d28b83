/**
 * The processes a test starts (the system under test, the command line) run as they do in production.
 * tap's runner (`npx tap`; `npm test` runs files without it) puts its process-tracking loader into
 * NODE_OPTIONS so that every child loads it too;
 * it serves coverage, which this project does not collect, and it more than doubles the CPU a child
 * spends starting (≈ 1.7 s more per service process on this project's reference machine). Taken out
 * of this test process's environment, it is out of every process the test starts.
 */
const TRACKING_LOADER = /--import=\S*@tapjs\/processinfo\S*/g

const options = process.env.NODE_OPTIONS
if (options?.includes('@tapjs/processinfo')) {
  const rest = options.replace(TRACKING_LOADER, '').trim()
  if (rest) process.env.NODE_OPTIONS = rest
  else delete process.env.NODE_OPTIONS
}

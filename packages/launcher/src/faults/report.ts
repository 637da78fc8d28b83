import type { FaultRun } from './run.js'

/** The three commonest: `POST /payment/pay 503 ×4, …`. */
const commonest = (by: Record<string, number>) =>
  Object.entries(by)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([what, n]) => `${what} ×${n}`)
    .join(', ')

/** The run as a Markdown table: fault, requests, failed, failure window, recovery, invariants, causes. */
export function renderFaultTable(run: FaultRun): string {
  const rows = [
    '| fault | requests | failed | failure window (s) | recovered in (s) | invariants | what failed | what the processes logged |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- | --- |',
  ]
  for (const r of run.results) {
    const invariants = r.broken.length ? `BROKEN: ${r.broken.slice(0, 3).join('; ')}` : 'OK'
    rows.push(
      `| ${r.fault} | ${r.requests} | ${r.failed} | ${r.failureWindowSeconds.toFixed(1)} | ${r.recoverySeconds.toFixed(1)} | ${invariants} | ${commonest(r.failedBy)} | ${commonest(r.loggedFailures)} |`,
    )
  }
  const final = run.finalBroken.length ? `BROKEN: ${run.finalBroken.slice(0, 5).join('; ')}` : 'OK'
  rows.push('', `After the sale (SQL and k6 teardown through the API): ${final}`)
  const c = run.counters
  rows.push(
    `Sale: ${c.http_reqs ?? 0} requests, ${c.payments_completed ?? 0} payments, ${c.requests_failed ?? 0} failed, ` +
      `${c.gateway_moves ?? 0} moves to the other gateway`,
  )
  return rows.join('\n')
}

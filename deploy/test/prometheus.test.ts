import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { alertRules as rules } from './support/alerts.js'
import { APPS, DEPLOY_DIR } from './support/apps.js'
import { type ComposeService, interpolate, readCompose } from './support/compose.js'
import { metricNamesIn } from './support/promql.js'

interface ScrapeConfig {
  job_name: string
  dns_sd_configs?: Array<{ names: string[]; type: string; port: number }>
  static_configs?: Array<{ targets: string[] }>
}

const prometheus = parse(readFileSync(join(DEPLOY_DIR, 'prometheus', 'prometheus.yml'), 'utf8')) as {
  scrape_configs: ScrapeConfig[]
  rule_files?: string[]
}
const services = readCompose().services
/** Compose services that run an app process (migrate exits; it serves nothing). */
const processes = Object.entries(services).filter(([name, s]) => s.build?.args?.APP && name !== 'migrate')
const opsPortOf = (service: ComposeService) => Number(interpolate(String(service.environment?.OPS_PORT)))

t.test('every app process is scraped, by its service name, on its operations port', async (t) => {
  for (const [name, service] of processes) {
    const job = prometheus.scrape_configs.find((c) => c.job_name === name)
    t.ok(job, `a ${name} job`)
    const sd = job?.dns_sd_configs?.[0]
    // DNS discovery finds every replica of a scaled service.
    t.same(sd?.names, [name], `${name}: discovered by its service name`)
    t.equal(sd?.type, 'A')
    t.equal(sd?.port, opsPortOf(service), `${name}: scraped on the operations port it listens on`)
    t.equal(sd?.port, APPS[name]?.opsPort)
  }
})

t.test('every scrape target is a compose service', async (t) => {
  for (const config of prometheus.scrape_configs) {
    for (const sd of config.dns_sd_configs ?? []) {
      for (const name of sd.names) t.ok(services[name], `${config.job_name}: ${name} is a compose service`)
    }
    for (const target of config.static_configs?.flatMap((s) => s.targets) ?? []) {
      const host = target.split(':')[0] as string
      t.ok(host === 'localhost' || services[host], `${config.job_name}: ${target} is reachable`)
    }
  }
  const volumes = (services.prometheus?.volumes ?? []) as string[]
  const mounted = volumes.some((v) => v.startsWith('./prometheus/prometheus.yml:'))
  t.ok(mounted, 'the compose Prometheus reads this file')
})

t.test('the compose Prometheus loads the alert rules', async (t) => {
  t.same(prometheus.rule_files, ['alerts.yml'], 'prometheus.yml names the rules file, beside itself')
  const volumes = (services.prometheus?.volumes ?? []) as string[]
  const config = volumes.find((v) => v.startsWith('./prometheus/prometheus.yml:'))?.split(':')[1] ?? ''
  const rulesAt = volumes.find((v) => v.startsWith('./prometheus/alerts.yml:'))?.split(':')[1]
  t.equal(rulesAt, join(config, '..', 'alerts.yml'), 'mounted where a path relative to the config points')
})

t.test('alerts before Redis runs out of memory and before the line is full, each saying what it means', async (t) => {
  t.ok(rules.length > 0, 'there are rules')
  for (const rule of rules) {
    t.match(rule.alert, /^[A-Z][A-Za-z]+$/, `${rule.alert}: a name`)
    t.ok(rule.expr && metricNamesIn(rule.expr).length > 0, `${rule.alert}: an expression over a metric`)
    t.match(rule.for, /^\d+[smh]$/, `${rule.alert}: fires only when it lasts`)
    t.match(rule.labels?.severity, /^(warning|critical)$/, `${rule.alert}: a severity`)
    t.ok(rule.annotations?.summary, `${rule.alert}: a summary`)
  }
  const reading = (metric: string) => rules.filter((rule) => metricNamesIn(rule.expr).includes(metric))
  t.ok(
    reading('queue_redis_memory_bytes').some((rule) => /kind="used"/.test(rule.expr) && /kind="max"/.test(rule.expr)),
    'Redis memory against its limit',
  )
  t.ok(
    reading('queue_redis_memory_bytes').some((rule) => /== 0/.test(rule.expr)),
    'a Redis without a limit (a managed one, in Kubernetes, is configured outside these files)',
  )
  t.ok(reading('queue_line_capacity').length > 0, 'the line against its capacity')
})

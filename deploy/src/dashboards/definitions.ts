import type { DashboardSpec } from './grafana.js'

const J = 'job=~"$job"'
const rate = (metric: string, selector = J) => `rate(${metric}{${selector}}[$__rate_interval])`
const quantile = (q: number, by: string, selector = J) =>
  `histogram_quantile(${q}, sum by (le, ${by}) (${rate('http_request_duration_seconds_bucket', selector)}))`

/** Requests: rate, errors and latency per route and per process. */
const overview: DashboardSpec = {
  uid: 'stagepass-overview',
  title: 'stagepass · requests',
  description:
    'Request rate, error rate and p50/p95/p99 latency per process and per route (route patterns, never raw URLs).',
  rows: [
    {
      title: 'Per process',
      panels: [
        {
          title: 'Request rate',
          unit: 'reqps',
          queries: [{ expr: `sum by (job) (${rate('http_request_duration_seconds_count')})`, legend: '{{job}}' }],
        },
        {
          title: 'Server errors (5xx share of requests)',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum by (job) (${rate('http_request_duration_seconds_count', `${J}, status_code=~"5.."`)}) / sum by (job) (${rate('http_request_duration_seconds_count')})`,
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'Latency p50 / p95 / p99',
          unit: 's',
          width: 24,
          queries: [
            { expr: quantile(0.5, 'job'), legend: '{{job}} p50' },
            { expr: quantile(0.95, 'job'), legend: '{{job}} p95' },
            { expr: quantile(0.99, 'job'), legend: '{{job}} p99' },
          ],
        },
      ],
    },
    {
      title: 'Per route',
      panels: [
        {
          title: 'Request rate by route',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (job, method, route) (${rate('http_request_duration_seconds_count')})`,
              legend: '{{job}} {{method}} {{route}}',
            },
          ],
        },
        {
          title: 'Answers by route and status (409s are lost races, 401/403 the queue guard)',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (method, route, status_code) (${rate('http_request_duration_seconds_count', `${J}, status_code!~"2.."`)})`,
              legend: '{{method}} {{route}} {{status_code}}',
            },
          ],
        },
        {
          title: 'Error rate by route (5xx share)',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum by (job, route) (${rate('http_request_duration_seconds_count', `${J}, status_code=~"5.."`)}) / sum by (job, route) (${rate('http_request_duration_seconds_count')})`,
              legend: '{{job}} {{route}}',
            },
          ],
        },
        {
          title: 'Latency p50 by route',
          unit: 's',
          queries: [{ expr: quantile(0.5, 'job, route'), legend: '{{job}} {{route}}' }],
        },
        {
          title: 'Latency p95 by route',
          unit: 's',
          queries: [{ expr: quantile(0.95, 'job, route'), legend: '{{job}} {{route}}' }],
        },
        {
          title: 'Latency p99 by route',
          unit: 's',
          queries: [{ expr: quantile(0.99, 'job, route'), legend: '{{job}} {{route}}' }],
        },
      ],
    },
  ],
}

/** The waiting room: who waits, who is in, how fast the line moves. */
const queue: DashboardSpec = {
  uid: 'stagepass-queue',
  title: 'stagepass · waiting room',
  description:
    'Waiting and active users, admissions, abandonment and the gateway guard. The line lives in Redis: every queue instance reports the same totals, hence max().',
  rows: [
    {
      title: 'The line',
      panels: [
        {
          title: 'Waiting and active users',
          unit: 'short',
          queries: [
            { expr: `max(queue_waiting_users{${J}})`, legend: 'waiting' },
            { expr: `max(queue_active_users{${J}})`, legend: 'active' },
          ],
        },
        {
          title: 'Admission rate',
          unit: 'ops',
          queries: [
            { expr: `sum(${rate('queue_admissions_total')})`, legend: 'admitted / s' },
            { expr: `max(queue_admitted_per_second{${J}})`, legend: 'measured by the queue (10 s)' },
            { expr: `sum(${rate('queue_tokens_issued_total')})`, legend: 'joined / s' },
          ],
        },
        {
          title: 'Longest wait at the head of the line',
          unit: 's',
          queries: [{ expr: `max(queue_oldest_wait_seconds{${J}})`, legend: 'oldest wait' }],
        },
        {
          title: 'Users leaving',
          unit: 'ops',
          queries: [
            { expr: `sum(${rate('queue_abandonments_total')})`, legend: 'abandoned (stopped polling)' },
            { expr: `sum(${rate('queue_expirations_total')})`, legend: 'ACTIVE token expired' },
            { expr: `sum(${rate('queue_revocations_total')})`, legend: 'revoked after paying' },
          ],
        },
      ],
    },
    {
      title: 'Clients',
      panels: [
        {
          title: 'Status polls',
          unit: 'reqps',
          queries: [{ expr: `sum by (by) (${rate('queue_status_polls_total')})`, legend: 'by {{by}}' }],
        },
        {
          title: 'Gateway token checks by outcome',
          unit: 'reqps',
          stack: true,
          queries: [{ expr: `sum by (outcome) (${rate('gateway_queue_guard_checks_total')})`, legend: '{{outcome}}' }],
        },
      ],
    },
  ],
}

/** Holds, payments, points, the catalog cache, the outbox and BullMQ. */
const sales: DashboardSpec = {
  uid: 'stagepass-sales',
  title: 'stagepass · holds, payments and events',
  description:
    'Seat holds and their expiry, payments and their failures, points moved, the availability cache, the outbox and BullMQ jobs.',
  rows: [
    {
      title: 'Holds',
      panels: [
        {
          title: 'Holds made and refused',
          unit: 'ops',
          queries: [
            { expr: `sum(${rate('booking_holds_total')})`, legend: 'held' },
            { expr: `sum by (code) (${rate('booking_hold_refusals_total')})`, legend: 'refused: {{code}}' },
          ],
        },
        {
          title: 'Holds released and expired',
          unit: 'ops',
          queries: [
            { expr: `sum by (reason) (${rate('booking_hold_releases_total')})`, legend: 'released: {{reason}}' },
            {
              expr: `sum by (trigger) (${rate('booking_hold_expiries_total')})`,
              legend: 'expired, noticed by {{trigger}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Payments and points',
      panels: [
        {
          title: 'Payments and failures',
          unit: 'ops',
          queries: [
            { expr: `sum(${rate('booking_payments_total')})`, legend: 'paid' },
            { expr: `sum by (code) (${rate('booking_payment_failures_total')})`, legend: 'failed: {{code}}' },
            {
              expr: `sum by (outcome) (${rate('booking_payments_reconciled_total')})`,
              legend: 'reconciled: {{outcome}}',
            },
          ],
        },
        {
          title: 'Points moved',
          unit: 'short',
          queries: [
            { expr: `sum(${rate('booking_payments_amount_total')})`, legend: 'paid for seats / s' },
            { expr: `sum by (type) (${rate('points_amount_total')})`, legend: 'ledger {{type}} / s' },
          ],
        },
        {
          title: 'Point ledger writes',
          unit: 'ops',
          queries: [
            { expr: `sum by (type) (${rate('points_operations_total')})`, legend: '{{type}}' },
            { expr: `sum by (code) (${rate('points_refusals_total')})`, legend: 'refused: {{code}}' },
          ],
        },
        {
          title: 'Seat availability reads by source',
          unit: 'ops',
          stack: true,
          queries: [
            {
              expr: `sum by (view, source) (${rate('concert_availability_reads_total')})`,
              legend: '{{view}} {{source}}',
            },
            {
              expr: `sum by (event) (${rate('concert_availability_invalidations_total')})`,
              legend: 'invalidated by {{event}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Outbox and BullMQ',
      panels: [
        {
          title: 'Outbox lag (oldest unpublished event)',
          unit: 's',
          queries: [{ expr: `max(booking_outbox_lag_seconds{${J}})`, legend: 'lag' }],
        },
        {
          title: 'Outbox publishing',
          unit: 'ops',
          queries: [{ expr: `sum by (outcome) (${rate('booking_outbox_publish_total')})`, legend: '{{outcome}}' }],
        },
        {
          title: 'BullMQ jobs by queue and state',
          unit: 'short',
          queries: [
            { expr: `max by (queue, state) (bullmq_jobs{${J}})`, legend: '{{queue}} {{state}}' },
            { expr: `max by (state) (booking_hold_expiry_jobs{${J}})`, legend: 'hold expiry {{state}}' },
          ],
        },
        {
          title: 'Events published and consumed',
          unit: 'ops',
          queries: [
            { expr: `sum by (event) (${rate('events_published_total')})`, legend: 'published {{event}}' },
            {
              expr: `sum by (consumer, outcome) (${rate('events_consumed_total')})`,
              legend: 'consumed by {{consumer}}: {{outcome}}',
            },
          ],
        },
        {
          title: 'Jobs failed for good, per hour (list and replay: stagepass jobs)',
          unit: 'short',
          queries: [
            {
              expr: `sum by (queue, consumer) (increase(bullmq_failed_jobs_total{${J}}[1h]))`,
              legend: '{{queue}} ({{consumer}})',
            },
          ],
        },
        {
          title: 'Periodic work runs (once per interval across instances)',
          unit: 'ops',
          queries: [
            { expr: `sum by (task, outcome) (${rate('booking_periodic_runs_total')})`, legend: '{{task}} {{outcome}}' },
          ],
        },
      ],
    },
  ],
}

/** Each process's health: event loop, CPU, memory. */
const processes: DashboardSpec = {
  uid: 'stagepass-processes',
  title: 'stagepass · processes',
  description: 'Event-loop lag, CPU and memory of every process (one line per instance).',
  rows: [
    {
      title: 'Node.js',
      panels: [
        {
          title: 'Event-loop lag p99',
          unit: 's',
          queries: [
            { expr: `max by (job, instance) (nodejs_eventloop_lag_p99_seconds{${J}})`, legend: '{{job}} {{instance}}' },
          ],
        },
        {
          title: 'CPU (1 = one core)',
          unit: 'short',
          queries: [
            { expr: `sum by (job, instance) (${rate('process_cpu_seconds_total')})`, legend: '{{job}} {{instance}}' },
          ],
        },
        {
          title: 'Resident memory',
          unit: 'bytes',
          queries: [
            { expr: `max by (job, instance) (process_resident_memory_bytes{${J}})`, legend: '{{job}} {{instance}}' },
          ],
        },
        {
          title: 'Heap used',
          unit: 'bytes',
          queries: [
            { expr: `sum by (job, instance) (nodejs_heap_size_used_bytes{${J}})`, legend: '{{job}} {{instance}}' },
          ],
        },
        {
          title: 'Garbage collection time',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum by (job, instance) (${rate('nodejs_gc_duration_seconds_sum')})`,
              legend: '{{job}} {{instance}}',
            },
          ],
        },
        {
          title: 'Open handles and file descriptors',
          unit: 'short',
          queries: [
            {
              expr: `max by (job, instance) (nodejs_active_handles_total{${J}})`,
              legend: '{{job}} {{instance}} handles',
            },
            { expr: `max by (job, instance) (process_open_fds{${J}})`, legend: '{{job}} {{instance}} fds' },
          ],
        },
      ],
    },
  ],
}

export const DASHBOARDS: DashboardSpec[] = [overview, queue, sales, processes]

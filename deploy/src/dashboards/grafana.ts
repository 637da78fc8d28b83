/** A small builder for Grafana dashboard JSON: dashboards are written as code and generated. */

export interface Query {
  expr: string
  legend: string
}

export interface PanelSpec {
  title: string
  description?: string
  /** Grafana unit: reqps, s, percentunit, bytes, short, ops… */
  unit: string
  queries: Query[]
  /** Grid columns out of 24 (default 12). */
  width?: number
  stack?: boolean
}

export interface RowSpec {
  title: string
  panels: PanelSpec[]
}

export interface DashboardSpec {
  uid: string
  title: string
  description: string
  rows: RowSpec[]
}

const DATASOURCE = { type: 'prometheus', uid: 'prometheus' }
const PANEL_HEIGHT = 8

/** `$job` narrows every panel to some processes (gateway, monolith, point, queue, concert, booking). */
const jobVariable = {
  name: 'job',
  label: 'process',
  type: 'query',
  datasource: DATASOURCE,
  query: { query: 'label_values(http_request_duration_seconds_count, job)', refId: 'jobs' },
  definition: 'label_values(http_request_duration_seconds_count, job)',
  refresh: 2,
  includeAll: true,
  multi: true,
  allValue: '.*',
  current: { selected: true, text: ['All'], value: ['$__all'] },
  sort: 1,
}

function panel(spec: PanelSpec, id: number, x: number, y: number) {
  return {
    id,
    type: 'timeseries',
    title: spec.title,
    ...(spec.description ? { description: spec.description } : {}),
    datasource: DATASOURCE,
    gridPos: { x, y, w: spec.width ?? 12, h: PANEL_HEIGHT },
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        min: 0,
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: spec.stack ? 60 : 10,
          showPoints: 'never',
          stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    targets: spec.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
    })),
  }
}

/** The dashboard JSON Grafana's file provisioning loads. */
export function dashboard(spec: DashboardSpec) {
  const panels: unknown[] = []
  let id = 1
  let y = 0
  for (const row of spec.rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { x: 0, y, w: 24, h: 1 },
      panels: [],
    })
    y += 1
    let x = 0
    for (const p of row.panels) {
      const width = p.width ?? 12
      if (x + width > 24) {
        x = 0
        y += PANEL_HEIGHT
      }
      panels.push(panel(p, id++, x, y))
      x += width
    }
    y += PANEL_HEIGHT
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['stagepass'],
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    refresh: '5s',
    time: { from: 'now-15m', to: 'now' },
    schemaVersion: 39,
    version: 1,
    templating: { list: [jobVariable] },
    annotations: { list: [] },
    links: [{ type: 'dashboards', tags: ['stagepass'], asDropdown: true, title: 'stagepass dashboards' }],
    panels,
  }
}

/** Every PromQL expression of a dashboard (panel targets and variable queries). */
export function expressionsOf(json: unknown): string[] {
  const found: string[] = []
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit)
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'expr' || key === 'definition') && typeof value === 'string') found.push(value)
        else visit(value)
      }
    }
  }
  visit(json)
  return found
}

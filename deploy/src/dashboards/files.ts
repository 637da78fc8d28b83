import { fromRoot } from '@stagepass/launcher'
import { DASHBOARDS } from './definitions.js'
import { dashboard } from './grafana.js'

/** Each dashboard's file path (deploy/grafana/dashboards/<uid>.json) and the JSON it should hold. */
export function dashboardFiles(): Array<{ uid: string; path: string; json: string }> {
  return DASHBOARDS.map((spec) => ({
    uid: spec.uid,
    path: fromRoot('deploy', 'grafana', 'dashboards', `${spec.uid}.json`),
    json: `${JSON.stringify(dashboard(spec), null, 2)}\n`,
  }))
}

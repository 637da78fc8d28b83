import { bookingConfigSchema, loadBookingConfig } from '@stagepass/booking'
import { concertConfigSchema, loadConcertConfig } from '@stagepass/concert'
import { gatewayConfigSchema, loadGatewayConfig } from '@stagepass/gateway'
import { fromRoot, loadLauncherConfig, SERVICE_BASE_PORTS } from '@stagepass/launcher'
import { loadPointConfig, pointConfigSchema } from '@stagepass/point'
import { loadQueueConfig, queueConfigSchema } from '@stagepass/queue'

/** The deployable apps: what each is called in deploy/, the variables its config schema reads, its port. */
export interface App {
  name: string
  /** Variables the app's config schema knows (anything else it receives is a mistake). */
  variables: Set<string>
  port: number | undefined
  /** Its operations port (`/metrics`, `/health/ready`): the public port + 1000. */
  opsPort: number | undefined
  /** The image a Kubernetes container of this app runs (the monolith is the gateway image). */
  image: string
}

const keys = (schema: { properties: Record<string, unknown> }) => new Set(Object.keys(schema.properties))
const mysqlVariables = new Set([...keys(pointConfigSchema)].filter((name) => name.startsWith('MYSQL_')))

/** The four contexts in topology order, as the deploy files must carry them. */
export const CONTEXTS = ['point', 'queue', 'concert', 'booking'] as const

export const APPS: Record<string, App> = {
  point: { name: 'point', variables: keys(pointConfigSchema), port: 3100, opsPort: 4100, image: 'stagepass/point' },
  queue: { name: 'queue', variables: keys(queueConfigSchema), port: 3200, opsPort: 4200, image: 'stagepass/queue' },
  concert: {
    name: 'concert',
    variables: keys(concertConfigSchema),
    port: 3300,
    opsPort: 4300,
    image: 'stagepass/concert',
  },
  booking: {
    name: 'booking',
    variables: keys(bookingConfigSchema),
    port: 3400,
    opsPort: 4400,
    image: 'stagepass/booking',
  },
  gateway: {
    name: 'gateway',
    variables: keys(gatewayConfigSchema),
    port: 8080,
    opsPort: 9080,
    image: 'stagepass/gateway',
  },
  monolith: {
    name: 'monolith',
    variables: keys(gatewayConfigSchema),
    port: 8080,
    opsPort: 9080,
    image: 'stagepass/gateway',
  },
  // The one-shot preparation reads the MySQL settings every MySQL app reads, and NODE_ENV.
  migrate: {
    name: 'migrate',
    variables: new Set([...mysqlVariables, 'NODE_ENV']),
    port: undefined,
    opsPort: undefined,
    image: 'stagepass/migrate',
  },
}

/**
 * Each app's own configuration loader, as its process calls it at start-up: where NODE_ENV=production
 * it refuses development secrets, an empty MySQL password and placeholders.
 */
export const LOADERS: Record<string, (env: NodeJS.ProcessEnv) => unknown> = {
  point: loadPointConfig,
  queue: loadQueueConfig,
  concert: loadConcertConfig,
  booking: loadBookingConfig,
  gateway: loadGatewayConfig,
  monolith: loadGatewayConfig,
  migrate: loadLauncherConfig,
}

/** The launcher's base ports must be the ones the deploy files use. */
export const launcherPorts: Record<string, number> = SERVICE_BASE_PORTS

export const DEPLOY_DIR = fromRoot('deploy')

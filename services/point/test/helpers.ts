import type { MysqlConfig } from '@stagepass/db'
import { createServer } from '@stagepass/kit'
import { serveOnFreePort } from '@stagepass/testkit'
import type { Test } from 'tap'
import { pointApp } from '../src/app.js'

/** The point service in this process, on a real port, with its internal routes. */
export async function startPointService(t: Test, mysql: MysqlConfig) {
  const app = createServer({ service: 'point', config: { LOG_LEVEL: 'warn', LOG_PRETTY: 'false' } })
  await app.register(pointApp, { mysql, settings: { POINT_DAILY_CHARGE_LIMIT: 2_000_000 }, internalRoutes: true })
  return serveOnFreePort(t, app)
}

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
export const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1))

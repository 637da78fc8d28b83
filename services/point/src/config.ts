import { Type } from '@sinclair/typebox'
import { mysqlConfigSchema } from '@stagepass/db'
import { httpConfigSchema, loadConfig } from '@stagepass/kit'

export const pointConfigSchema = Type.Object({
  ...httpConfigSchema,
  ...mysqlConfigSchema,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3100, description: 'Point service port' }),
})

export const loadPointConfig = (env?: NodeJS.ProcessEnv) => loadConfig(pointConfigSchema, env)
export type PointConfig = ReturnType<typeof loadPointConfig>

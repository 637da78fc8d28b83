import { Type } from '@sinclair/typebox'
import {
  ConfigError,
  loadConfig,
  nodeEnvConfigSchema,
  signUserToken,
  userAuthConfigSchema,
  userTokenSecret,
} from '@stagepass/kit'

const settingsSchema = Type.Object({
  ...nodeEnvConfigSchema,
  USER_TOKEN_SECRET: userAuthConfigSchema.USER_TOKEN_SECRET,
  USER_TOKEN_ISSUER: userAuthConfigSchema.USER_TOKEN_ISSUER,
  USER_TOKEN_AUDIENCE: userAuthConfigSchema.USER_TOKEN_AUDIENCE,
  USER_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 30 * 86_400, default: 86_400 }),
})

/**
 * `user-token <userId>`: prints a user token that a gateway with the same USER_TOKEN_* settings
 * accepts (by default the development secret), and nothing else — for developers and load testers.
 * A real identity provider issues its own; this one never signs with the development secret where
 * NODE_ENV=production.
 */
export async function userToken(args: string[]): Promise<number> {
  const [userId] = args
  if (!userId || !/^[1-9][0-9]{0,15}$/.test(userId) || !Number.isSafeInteger(Number(userId))) {
    throw new ConfigError('usage: npm run -s user-token -- <userId> (a positive integer)')
  }
  const settings = loadConfig(settingsSchema, process.env, [userTokenSecret])
  const token = await signUserToken(settings, Number(userId), settings.USER_TOKEN_TTL_SECONDS)
  process.stdout.write(`${token}\n`)
  return 0
}

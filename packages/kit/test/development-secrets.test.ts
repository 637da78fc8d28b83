import t from 'tap'
import {
  keyListSecrets,
  refuseDevelopmentSecretsInProduction,
  type SecretSetting,
  urlPassword,
} from '../src/development-secrets.js'

/** A key list like QUEUE_TOKEN_KEYS, a plain key, a password that may not be empty, a URL's password. */
const SECRETS: SecretSetting[] = [
  { variable: 'KEYS', developmentValues: ['published-signing-key'], secretsOf: keyListSecrets },
  { variable: 'ADMIN_KEY', developmentValues: ['published-admin-key'] },
  { variable: 'PASSWORD', developmentValues: [''] },
  { variable: 'URL', developmentValues: [], secretsOf: urlPassword },
]
const REAL = {
  NODE_ENV: 'production',
  KEYS: 'k2:a-new-real-signing-key,k1:an-older-real-signing-key',
  ADMIN_KEY: 'a-real-admin-key-of-the-operator',
  PASSWORD: 'a-real-database-password',
  URL: 'redis://:a-real-redis-password@redis:6379',
}
const refuse = (settings: { NODE_ENV: string } & Record<string, string>) => () =>
  refuseDevelopmentSecretsInProduction(settings, SECRETS)

t.test('real secrets start; development ones, empty ones and placeholders are refused by name', async (t) => {
  t.doesNotThrow(refuse(REAL), 'the operator’s own secrets')
  t.doesNotThrow(refuse({ ...REAL, URL: 'redis://redis:6379' }), 'a Redis without a password is allowed')
  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ KEYS: 'k2:a-new-real-signing-key,dev:published-signing-key' }, /KEYS holds the published development secret/],
    [{ ADMIN_KEY: 'published-admin-key' }, /ADMIN_KEY is the published development secret/],
    [{ PASSWORD: '' }, /PASSWORD is empty/],
    [{ PASSWORD: 'replace-me' }, /PASSWORD is a placeholder/],
    [{ PASSWORD: 'ChangeMe!' }, /PASSWORD is a placeholder/],
    [{ PASSWORD: 'password' }, /PASSWORD is a placeholder/],
    [{ ADMIN_KEY: '<another secret here>' }, /ADMIN_KEY is a placeholder/],
    [{ KEYS: 'k1:replace-me-with-a-real-key' }, /KEYS holds a placeholder/],
    [{ URL: 'redis://:change_me@redis:6379' }, /URL holds a placeholder/],
  ]
  for (const [changed, message] of refused) {
    t.throws(refuse({ ...REAL, ...changed }), message, JSON.stringify(changed))
  }
  t.throws(
    refuse({ ...REAL, ADMIN_KEY: 'published-admin-key', PASSWORD: '' }),
    /^invalid configuration: ADMIN_KEY is the published development secret; PASSWORD is empty — refused where NODE_ENV=production/,
    'one line names every variable',
  )
})

t.test('outside production nothing is refused', async (t) => {
  t.doesNotThrow(refuse({ NODE_ENV: 'development', KEYS: 'dev:published-signing-key', PASSWORD: '' }))
})

import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { fromRoot } from '@stagepass/launcher'

export interface Verified {
  payload: { sub?: string; iss?: string; aud?: string | string[]; iat?: number; exp?: number }
  protectedHeader: { alg?: string; typ?: string }
}

interface Jose {
  jwtVerify(
    token: string,
    key: Uint8Array,
    options: { issuer: string; audience: string; algorithms: string[] },
  ): Promise<Verified>
}

/** jose, the library the system verifies user tokens with: the kit's own dependency. */
export async function jose(): Promise<Jose> {
  const path = createRequire(fromRoot('packages', 'kit', 'package.json')).resolve('jose')
  return (await import(pathToFileURL(path).href)) as Jose
}

/** The development settings of user tokens (the kit's defaults). */
export const DEVELOPMENT_TOKENS = {
  secret: 'stagepass-development-user-token-secret',
  issuer: 'stagepass-dev',
  audience: 'stagepass',
}

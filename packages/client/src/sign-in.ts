import { dataOf } from './api-error.js'

/** What the development sign-in answers. */
export interface DevelopmentSignIn {
  userId: number
  userToken: string
  expiresAt: string
}

/**
 * Signs in as `userId` through the gateway's development sign-in (`POST /dev/sign-in`), which exists
 * only with user tokens on and the development signing key, never in production — so it is not in
 * the public document. A 404 means this gateway has none: user tokens are off, or a real identity
 * provider signs users in (take its token instead).
 */
export async function signInForDevelopment(
  userId: number,
  { baseUrl = '', fetch = globalThis.fetch }: { baseUrl?: string; fetch?: typeof globalThis.fetch } = {},
): Promise<DevelopmentSignIn> {
  const call = async () => {
    const response = await fetch(`${baseUrl}/dev/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    })
    const body = await response.json().catch(() => ({}))
    return response.ok ? { data: body as { data: DevelopmentSignIn }, response } : { error: body, response }
  }
  return dataOf(call())
}

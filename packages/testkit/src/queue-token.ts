import type { ApiClient } from './http.js'
import { eventually } from './wait.js'

/**
 * Joins the waiting room through the public API and polls until admitted; returns the ACTIVE token.
 * With user tokens on, `userToken` is the user's own, sent on the queue routes.
 */
export async function admittedToken(
  api: ApiClient,
  userId: number,
  { timeoutMs = 20_000, userToken }: { timeoutMs?: number; userToken?: string } = {},
): Promise<string> {
  const asUser = userToken ? { token: userToken } : {}
  const issued = await api.post('/queue/tokens', { userId }, asUser)
  if (issued.status !== 200) throw new Error(`POST /queue/tokens answered ${issued.status}`)
  if (issued.body?.data?.status === 'ACTIVE') return issued.body.data.token
  let token: string | undefined
  const admitted = await eventually(
    async () => {
      const status = await api.get(`/queue/tokens/status/${userId}`, asUser)
      if (status.body?.data?.status === 'ACTIVE') token = status.body.data.token
      return token !== undefined
    },
    timeoutMs,
    100,
  )
  if (!admitted || token === undefined) throw new Error(`user ${userId} was not admitted within ${timeoutMs} ms`)
  return token
}

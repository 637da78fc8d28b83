import { type Credentials, createStagepassClient } from '@stagepass/client'

/**
 * The gateway the app talks to: its own origin when the gateway serves it, the gateway on 8080 under
 * Vite's dev server (or VITE_GATEWAY_URL).
 */
export const GATEWAY_URL: string =
  import.meta.env.VITE_GATEWAY_URL ?? (import.meta.env.DEV ? 'http://localhost:8080' : '')

/** Who the user is and what they hold; kept for the tab only (sessionStorage survives a reload). */
export interface Session extends Credentials {
  userId?: number
}

const KEY = 'stagepass.session'

export const session: Session = JSON.parse(sessionStorage.getItem(KEY) ?? '{}')

export function saveSession(change: Partial<Session>) {
  Object.assign(session, change)
  sessionStorage.setItem(KEY, JSON.stringify(session))
}

export const client = createStagepassClient({ baseUrl: GATEWAY_URL, credentials: () => session })

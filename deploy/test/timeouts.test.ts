import { bookingConfigSchema } from '@stagepass/booking'
import { gatewayConfigSchema } from '@stagepass/gateway'
import { pointConfigSchema } from '@stagepass/point'
import t from 'tap'

type Schema = { properties: Record<string, unknown> }
const defaultOf = (schema: Schema, name: string) => (schema.properties[name] as { default: number }).default

t.test('by default each caller waits longer than what it calls may take, so it hears the answer', async (t) => {
  // A payment: gateway → booking → point, whose statements give up (503 DATABASE_BUSY) after their limit.
  const statement = defaultOf(pointConfigSchema, 'MYSQL_STATEMENT_TIMEOUT_MS')
  const bookingWaitsForPoint = defaultOf(bookingConfigSchema, 'POINT_TIMEOUT_MS')
  const gatewayWaitsForBooking = defaultOf(gatewayConfigSchema, 'PROXY_TIMEOUT_MS')
  t.ok(
    statement < bookingWaitsForPoint,
    `booking waits for point (${bookingWaitsForPoint} ms) longer than point's statements may run (${statement} ms)`,
  )
  t.ok(
    bookingWaitsForPoint < gatewayWaitsForBooking,
    `the gateway waits (${gatewayWaitsForBooking} ms) longer than booking waits for point (${bookingWaitsForPoint} ms)`,
  )
})

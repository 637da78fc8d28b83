import { loadBookingConfig } from '@stagepass/booking'
import t from 'tap'
import { loadGatewayConfig } from '../src/config.js'

// Readiness rotation pairs each instance with its operations URL: lists that cannot be paired stop the start.
t.test('split mode refuses a context whose instances and operations URLs do not pair up', async (t) => {
  t.throws(
    () => loadGatewayConfig({ BOOKING_URLS: 'http://b1:3400,http://b2:3400' }),
    /BOOKING_URLS lists 2 instance\(s\) but BOOKING_OPS_URLS 1; give each instance's operations URL, in the same order/,
  )
  t.throws(
    () => loadGatewayConfig({ QUEUE_URLS: 'http://q1:3200', QUEUE_OPS_URLS: 'http://q1:4200,http://q2:4200' }),
    /QUEUE_URLS lists 1 instance\(s\) but QUEUE_OPS_URLS 2/,
  )
  const paired = loadGatewayConfig({
    BOOKING_URLS: 'http://b1:3400,http://b2:3400',
    BOOKING_OPS_URLS: 'http://b1:4400,http://b2:4400',
  })
  t.equal(paired.BOOKING_OPS_URLS, 'http://b1:4400,http://b2:4400', 'paired lists start')
})

t.test('the monolith proxies to no instance, so it does not ask', async (t) => {
  const config = loadGatewayConfig({ MODE: 'monolith', BOOKING_URLS: 'http://b1:3400,http://b2:3400' })
  t.equal(config.MODE, 'monolith')
})

t.test('booking refuses point instances whose operations URLs do not pair up', async (t) => {
  t.throws(
    () => loadBookingConfig({ POINT_URLS: 'http://p1:3100,http://p2:3100', POINT_OPS_URLS: 'http://p1:4100' }),
    /POINT_URLS lists 2 instance\(s\) but POINT_OPS_URLS 1/,
  )
  const paired = loadBookingConfig({
    POINT_URLS: 'http://p1:3100,http://p2:3100',
    POINT_OPS_URLS: 'http://p1:4100,http://p2:4100',
  })
  t.equal(paired.POINT_OPS_URLS, 'http://p1:4100,http://p2:4100', 'paired lists start')
})

import { ConfigError } from '@stagepass/kit'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import t from 'tap'
import { loadGatewayConfig, rateLimitsEnabled } from '../src/config.js'
import { clientAddressKey } from '../src/rate-limit/client-address.js'
import { parseGroupLimits } from '../src/rate-limit/limit-rules.js'
import { routeGroupOf } from '../src/rate-limit/route-groups.js'
import { ROUTE_TABLE } from '../src/route-table.js'

t.test('a group setting reads as limits per key kind, or none', async (t) => {
  const config = loadGatewayConfig({ RATE_LIMIT_JOIN: 'ip:60/10s,user:6/1m', RATE_LIMIT_POINTS: 'off' })
  t.same(parseGroupLimits(config.RATE_LIMIT_JOIN), {
    ip: { max: 60, windowMs: 10_000 },
    user: { max: 6, windowMs: 60_000 },
  })
  t.same(parseGroupLimits('user:30/10s'), { user: { max: 30, windowMs: 10_000 } })
  t.same(parseGroupLimits(config.RATE_LIMIT_POINTS), {}, 'off: no limit')
})

t.test('a setting that could be read two ways, or not at all, stops the start naming the variable', async (t) => {
  for (const value of [
    'user:6/10s,ip:60/10s',
    'ip:60/10s,ip:5/1s',
    'ip:0/10s',
    'ip:60',
    'ip:60/10h',
    'ip:60/10s,',
    '',
  ]) {
    t.throws(() => loadGatewayConfig({ RATE_LIMIT_STATUS: value }), /RATE_LIMIT_STATUS/, JSON.stringify(value))
  }
  t.throws(() => loadGatewayConfig({ RATE_LIMITS: 'yes' }), /RATE_LIMITS/)
  for (const value of ['proxy.internal', '10.0.0.0/33', '::1/129', '999.1.1.1', '10.0.0.1,,10.0.0.2']) {
    t.throws(() => loadGatewayConfig({ TRUSTED_PROXIES: value }), ConfigError, value)
  }
  t.doesNotThrow(() => loadGatewayConfig({ TRUSTED_PROXIES: '10.0.0.0/8,192.168.1.7,fd00::/8,::1' }))
})

t.test('auto switches the limits on exactly when user tokens are on', async (t) => {
  const enabled = (env: Record<string, string>) => rateLimitsEnabled(loadGatewayConfig(env))
  t.equal(enabled({}), false, 'the default keeps the original contract: many users from one address')
  t.equal(enabled({ USER_AUTH: 'jwt' }), true)
  t.equal(enabled({ USER_AUTH: 'jwt', RATE_LIMITS: 'off' }), false)
  t.equal(enabled({ RATE_LIMITS: 'on' }), true)
})

t.test('a client address counts as itself (IPv4) or its /64 (IPv6)', async (t) => {
  t.equal(clientAddressKey('203.0.113.7'), '203.0.113.7')
  t.equal(clientAddressKey('::ffff:203.0.113.7'), '203.0.113.7', 'an IPv4 client on a dual-stack socket')
  t.equal(clientAddressKey('2001:db8:1:2::a'), '2001:db8:1:2::/64')
  t.equal(clientAddressKey('2001:0db8:0001:0002:ffff:0:0:1'), '2001:db8:1:2::/64', 'however it is written')
  t.equal(clientAddressKey('2001:db8::1'), '2001:db8:0:0::/64')
  t.equal(clientAddressKey('::1'), '0:0:0:0::/64')
  t.equal(clientAddressKey('fe80::1%eth0'), 'fe80:0:0:0::/64')
  t.equal(clientAddressKey('64:ff9b:1:2::192.0.2.1'), '64:ff9b:1:2::/64', 'an embedded IPv4 tail')
})

t.test('every request falls in its group, whether the route is a proxy wildcard or the real route', async (t) => {
  // Split mode matches `/<prefix>/*` and the monolith the contexts' own routes: both must agree.
  const answerGroup = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-group', routeGroupOf(request, ROUTE_TABLE) ?? 'none')
    return {}
  }
  const split = Fastify()
  for (const { prefix } of ROUTE_TABLE) {
    split.all(prefix, answerGroup)
    split.all(`${prefix}/*`, answerGroup)
  }
  const monolith = Fastify()
  for (const [method, url] of [
    ['POST', '/queue/tokens'],
    ['GET', '/queue/challenge'],
    ['GET', '/queue/tokens/status'],
    ['GET', '/queue/tokens/status/:userId'],
    ['GET', '/concerts'],
    ['GET', '/concerts/:concertOptionId/available-seats'],
    ['GET', '/concerts/:concertOptionId/seats'],
    ['POST', '/concerts/reserve-seat'],
    ['POST', '/payment/pay'],
    ['GET', '/reservations/:reservationId'],
    ['PUT', '/points/charge'],
  ] as const) {
    monolith.route({ method, url, handler: answerGroup })
  }
  const cases: Array<[string, string, string]> = [
    ['POST', '/queue/tokens', 'join'],
    ['GET', '/queue/challenge', 'join'],
    ['GET', '/queue/tokens/status', 'status'],
    ['GET', '/queue/tokens/status/42', 'status'],
    ['HEAD', '/queue/tokens/status/42', 'status'],
    ['GET', '/queue/%74okens/status/42', 'status'],
    ['GET', '/concerts', 'catalog'],
    ['GET', '/concerts/7/available-seats', 'catalog'],
    ['GET', '/concerts/7/seats', 'catalog'],
    ['POST', '/concerts/reserve-seat', 'booking'],
    ['POST', '/payment/pay', 'booking'],
    ['GET', '/reservations/9', 'booking'],
    ['PUT', '/points/charge', 'points'],
  ]
  for (const [name, app] of [
    ['split', split],
    ['monolith', monolith],
  ] as const) {
    for (const [method, url, group] of cases) {
      const res = await app.inject({ method: method as 'GET', url })
      t.equal(res.headers['x-group'], group, `${name}: ${method} ${url} → ${group}`)
    }
  }
  const other = await split.inject({ method: 'POST', url: '/queue/tokens/status/42' })
  t.equal(other.headers['x-group'], 'none', 'a queue path outside both queue groups is not limited')
})

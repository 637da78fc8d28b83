import { apiClient, type TestSystem } from '@stagepass/testkit'
import type { Test } from 'tap'

export async function pointSuite(t: Test, system: TestSystem) {
  const api = apiClient(system.baseUrl)
  t.teardown(() => api.close())

  await t.test('a new user has 0 points; charging adds to the balance', async (t) => {
    const before = await api.get('/points/current/101')
    t.same(before.body, { data: { userId: 101, currentPoints: 0 } })
    const charged = await api.put('/points/charge', { userId: 101, amount: 5000 })
    t.equal(charged.status, 200)
    t.same(charged.body, { data: { userId: 101, currentPoints: 5000 } })
  })
}

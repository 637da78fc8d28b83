import type { BenchSuite } from '@stagepass/launcher'
import { sql } from 'kysely'

const USERS = 1000
const randomUser = () => 1 + Math.floor(Math.random() * USERS)
const targets = ['raw:points', 'direct:point', 'monolith', 'split']

/** Balance reads and charges: the raw baseline is bare Fastify + mysql2 running the same SQL. */
export const pointsBench: BenchSuite = {
  name: 'points',
  prepare: async (db) => {
    const values = Array.from({ length: USERS }, (_, i) => sql`(${i + 1}, 1000000)`)
    await sql`insert into point_wallet (user_id, balance) values ${sql.join(values)}`.execute(db)
  },
  extraServers: [{ name: 'raw:points', entry: 'packages/launcher/dist/src/bench/raw-point-server.js' }],
  scenarios: () => [
    {
      name: 'GET /points/current/:userId',
      method: 'GET',
      targets,
      request: () => ({ path: `/points/current/${randomUser()}` }),
    },
    {
      name: 'PUT /points/charge',
      method: 'PUT',
      targets,
      request: () => ({
        path: '/points/charge',
        body: { userId: randomUser(), amount: 1 + Math.floor(Math.random() * 1000) },
      }),
    },
  ],
}

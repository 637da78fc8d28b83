/**
 * The raw baseline: bare Fastify + mysql2 running the same SQL as the point service, with none of
 * the kit (no schemas, no metrics, no request ids, no error mapping). The monolith is measured
 * against it to see what the structure costs.
 */
import Fastify from 'fastify'
import { createPool } from 'mysql2/promise'

const pool = createPool({
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD ?? '',
  database: process.env.MYSQL_DATABASE,
  connectionLimit: Number(process.env.MYSQL_POOL_SIZE ?? 20),
})
const app = Fastify({ logger: false })

app.get<{ Params: { userId: string } }>('/points/current/:userId', async (request) => {
  const userId = Number(request.params.userId)
  const [rows] = await pool.query('select balance from point_wallet where user_id = ?', [userId])
  const row = (rows as Array<{ balance: number }>)[0]
  return { data: { userId, currentPoints: row ? Number(row.balance) : 0 } }
})

app.put<{ Body: { userId: number; amount: number } }>('/points/charge', async (request) => {
  const { userId, amount } = request.body
  const conn = await pool.getConnection()
  try {
    await conn.beginTransaction()
    await conn.query(
      'insert into point_wallet (user_id, balance) values (?, ?) on duplicate key update balance = balance + ?',
      [userId, amount, amount],
    )
    const [rows] = await conn.query('select balance from point_wallet where user_id = ?', [userId])
    const balance = Number((rows as Array<{ balance: number }>)[0]?.balance)
    await conn.query(
      "insert into point_history (user_id, type, amount, balance_after, reference) values (?, 'CHARGE', ?, ?, null)",
      [userId, amount, balance],
    )
    await conn.commit()
    return { data: { userId, currentPoints: balance } }
  } catch (err) {
    await conn.rollback()
    throw err
  } finally {
    conn.release()
  }
})

app.get('/health/live', async () => ({ data: { status: 'live' } }))

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
process.on('SIGTERM', () =>
  app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0)),
)

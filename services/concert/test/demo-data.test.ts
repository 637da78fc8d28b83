import { spawn } from 'node:child_process'
import { type Db, seedDemoData, seedDemoDataIfEmpty } from '@stagepass/db'
import { fromRoot } from '@stagepass/launcher'
import { createTestDatabase } from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'

const seedCli = fromRoot('packages/db/dist/src/seed-cli.js')

// The CLI runs as a user runs it, without the test runner's instrumentation of child processes.
const { NODE_OPTIONS: _, ...plainEnv } = process.env

function runSeedCli(args: string[], database: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [seedCli, ...args], {
      env: { ...plainEnv, MYSQL_DATABASE: database },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('exit', (code) => resolve({ code, output }))
  })
}

async function shape(db: Db) {
  const count = async (table: 'concert' | 'concert_option' | 'seat') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  const perOption = await db
    .selectFrom('seat')
    .select((eb) => [
      'concert_option_id',
      eb.fn.countAll<number>().as('seats'),
      eb.fn.min('seat_no').as('first'),
      eb.fn.max('seat_no').as('last'),
    ])
    .groupBy('concert_option_id')
    .orderBy('concert_option_id')
    .execute()
  return {
    concerts: await count('concert'),
    options: await count('concert_option'),
    seats: await count('seat'),
    perOption: perOption.map((row) => ({
      option: Number(row.concert_option_id),
      seats: Number(row.seats),
      first: Number(row.first),
      last: Number(row.last),
    })),
  }
}

t.test('the CLI loads the catalog its flags ask for, with concert 1 / option 1 at 100 seats', async (t) => {
  const { db, config } = await createTestDatabase(t)
  const run = await runSeedCli(['--concerts', '4', '--options', '2', '--seats', '7'], config.MYSQL_DATABASE)
  t.equal(run.code, 0, run.output)
  t.match(run.output, /loaded 4 concerts, 8 performances, 149 seats/)
  const loaded = await shape(db)
  t.equal(loaded.concerts, 4)
  t.equal(loaded.options, 8)
  t.equal(loaded.seats, 100 + 7 * 7)
  t.same(loaded.perOption[0], { option: 1, seats: 100, first: 1, last: 100 }, 'option 1 has seats 1..100')
  t.same(
    loaded.perOption.slice(1),
    [2, 3, 4, 5, 6, 7, 8].map((option) => ({ option, seats: 7, first: 1, last: 7 })),
    'every other performance has --seats seats numbered from 1',
  )
  const option1 = await db.selectFrom('concert_option').selectAll().where('id', '=', 1).executeTakeFirstOrThrow()
  t.equal(Number(option1.concert_id), 1, 'option 1 belongs to concert 1')
  const perConcert = await db
    .selectFrom('concert_option')
    .select((eb) => ['concert_id', eb.fn.countAll<number>().as('n')])
    .groupBy('concert_id')
    .execute()
  t.ok(
    perConcert.every((row) => Number(row.n) === 2),
    '--options performances per concert',
  )

  const again = await runSeedCli(['--concerts', '1'], config.MYSQL_DATABASE)
  t.equal(again.code, 1, 'a filled catalog is refused')
  t.match(again.output, /already has concerts/)
  t.equal((await shape(db)).seats, 149, 'and left as it was')
})

t.test('bad flags are refused before anything is written', async (t) => {
  const { db, config } = await createTestDatabase(t)
  for (const args of [
    ['--concerts', '0'],
    ['--venues', '3'],
  ]) {
    const run = await runSeedCli(args, config.MYSQL_DATABASE)
    t.equal(run.code, 2, `${args.join(' ')}: ${run.output.split('\n')[0]}`)
    t.match(run.output, /usage:/)
  }
  t.equal((await shape(db)).concerts, 0)
})

t.test('npm start loads the default catalog into an empty database, once', async (t) => {
  const { db } = await createTestDatabase(t)
  const lines: string[] = []
  const summary = await seedDemoDataIfEmpty(db, (line) => lines.push(line))
  t.same(summary, { concerts: 100, options: 300, seats: 30_000 })
  t.match(lines, [/loaded demo data: 100 concerts, 300 performances, 30000 seats/])
  const loaded = await shape(db)
  t.equal(loaded.concerts, 100)
  t.equal(loaded.options, 300)
  t.ok(
    loaded.perOption.every((o) => o.seats === 100 && o.first === 1 && o.last === 100),
    '100 seats, numbered 1..100, in each',
  )
  t.equal(await seedDemoDataIfEmpty(db, (line) => lines.push(line)), undefined, 'a second start leaves it alone')
  t.equal((await shape(db)).seats, 30_000)
  t.equal(lines.length, 1)
})

t.test('the demo catalog is realistic and the same every time', async (t) => {
  const today = new Date('2027-01-10T08:00:00Z')
  const a = await createTestDatabase(t)
  const b = await createTestDatabase(t)
  await seedDemoData(a.db, { concerts: 20, optionsPerConcert: 3, seatsPerOption: 50 }, { today })
  await seedDemoData(b.db, { concerts: 20, optionsPerConcert: 3, seatsPerOption: 50 }, { today })
  const dump = async (db: Db) => ({
    concerts: await db.selectFrom('concert').selectAll().orderBy('id').execute(),
    options: await db.selectFrom('concert_option').selectAll().orderBy('id').execute(),
    seats: await db.selectFrom('seat').selectAll().orderBy('id').execute(),
  })
  const first = await dump(a.db)
  const second = await dump(b.db)
  const withoutCreatedAt = (rows: Array<Record<string, unknown>>) => rows.map(({ created_at: _, ...rest }) => rest)
  t.same(withoutCreatedAt(first.concerts), withoutCreatedAt(second.concerts), 'same concerts')
  t.same(withoutCreatedAt(first.options), withoutCreatedAt(second.options), 'same performances')
  t.same(first.seats, second.seats, 'same seats and prices')

  t.equal(new Set(first.concerts.map((c) => c.name)).size > 10, true, 'varied names')
  t.equal(new Set(first.options.map((o) => o.venue)).size > 5, true, 'varied venues')
  for (const concert of first.concerts) {
    const shows = first.options.filter((o) => Number(o.concert_id) === Number(concert.id))
    const starts = shows.map((o) => o.starts_at.getTime())
    if (starts.some((s) => s <= today.getTime())) t.fail(`concert ${concert.id} has a performance in the past`)
    if (concert.reserve_start_at.getTime() > today.getTime()) t.fail(`sales of concert ${concert.id} are not open`)
    if (concert.reserve_end_at.getTime() > Math.max(...starts)) t.fail(`sales of concert ${concert.id} end too late`)
  }
  const prices = first.seats.map((s) => Number(s.price))
  t.ok(
    prices.every((p) => Number.isInteger(p) && p >= 50_000 && p <= 200_000 && p % 1000 === 0),
    'whole-thousand won prices between 50,000 and 200,000',
  )
  const option2 = first.seats.filter((s) => Number(s.concert_option_id) === 2).map((s) => Number(s.price))
  t.ok(
    option2.every((p, i) => i === 0 || p <= (option2[i - 1] as number)),
    'front seats cost the most',
  )
  t.ok(new Set(option2).size >= 3, 'several price tiers')
  const { rows } = await sql<{ n: number }>`select count(*) as n from seat where price <= 0`.execute(a.db)
  t.equal(Number(rows[0]?.n), 0)
})

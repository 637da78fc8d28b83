import type { Insertable } from 'kysely'
import { isDuplicateKey } from './errors.js'
import type { Db } from './mysql.js'
import type { ConcertOptionTable, ConcertTable, SeatTable } from './tables/catalog.js'

export interface DemoDataSize {
  concerts: number
  optionsPerConcert: number
  seatsPerOption: number
}

export interface DemoDataSummary {
  concerts: number
  options: number
  seats: number
}

export const DEFAULT_DEMO_DATA: DemoDataSize = { concerts: 100, optionsPerConcert: 3, seatsPerOption: 100 }

/**
 * Load scenarios reserve from concert 1 / option 1 and count on its 100 seats, whatever size the
 * rest of the catalog has.
 */
export const FIXTURE_OPTION_SEATS = 100

/** Upper bounds that keep one seeding transaction reasonable. */
const DEMO_DATA_LIMITS: DemoDataSize & { totalSeats: number } = {
  concerts: 100_000,
  optionsPerConcert: 100,
  seatsPerOption: 100_000,
  totalSeats: 5_000_000,
}

export class CatalogNotEmptyError extends Error {
  override name = 'CatalogNotEmptyError'
}

const FAMILY_NAMES = ['Kim', 'Lee', 'Park', 'Choi', 'Jung', 'Kang', 'Cho', 'Yoon', 'Jang', 'Lim', 'Han', 'Seo']
const GIVEN_NAMES = ['Seo-yeon', 'Do-hyun', 'Ji-woo', 'Min-jun', 'Ha-eun', 'Yu-na', 'Tae-yang', 'Su-bin', 'Ye-jin']
const BAND_WORDS = ['Neon', 'Velvet', 'Paper', 'Midnight', 'Silver', 'Lunar', 'Coral', 'Static', 'Hollow', 'Amber']
const BAND_NOUNS = ['Harbor', 'Orchard', 'Lanterns', 'Parade', 'Signal', 'Tides', 'Gardens', 'Radio', 'Fields']
const TITLES = [
  'Blue Hour',
  'Afterglow',
  'Paper Moon',
  'Seasons',
  'Starlight',
  'Echoes',
  'Homecoming',
  'Wildflower',
  'Daybreak',
  'Golden Hour',
  'Lighthouse',
  'Polaroid',
  'Winter Letter',
  'Summer Rain',
  'Moonrise',
  'Open Window',
]
const SHOW_NAMES = [
  (singer: string, title: string) => `${singer} Concert <${title}>`,
  (singer: string, title: string) => `${singer} World Tour '${title}'`,
  (singer: string, title: string, year: number) => `${year} ${singer} Live: ${title}`,
  (singer: string, title: string) => `${singer} Fan Concert '${title}'`,
  (singer: string, title: string) => `${singer} Encore Show - ${title}`,
]
const VENUES = [
  'KSPO Dome, Seoul',
  'Jamsil Indoor Stadium, Seoul',
  'Gocheok Sky Dome, Seoul',
  'Olympic Hall, Seoul',
  'Blue Square Mastercard Hall, Seoul',
  'Jangchung Arena, Seoul',
  'Sejong Center Grand Theater, Seoul',
  'Seoul Arts Center Concert Hall, Seoul',
  'Inspire Arena, Incheon',
  'KINTEX Hall 5, Goyang',
  'BEXCO Auditorium, Busan',
  'KBS Busan Hall, Busan',
  'EXCO Hall, Daegu',
  'Kimdaejung Convention Center, Gwangju',
  'Chungmu Gymnasium, Daejeon',
]
/** Won by tier, best seats first (the usual VIP / R / S / A split of Korean concert halls). */
const TIER_PRICES = [198_000, 165_000, 143_000, 121_000]
/** Share of a hall in each tier, front to back. */
const TIER_SHARES = [0.1, 0.2, 0.3, 0.4]
/** Fan concerts and smaller halls sell cheaper than stadium tours. */
const PRICE_SCALES = [1, 1, 0.9, 0.8, 0.7, 0.55]

const DAY_MS = 24 * 3600 * 1000
const CHUNK_ROWS = 2000

/** A small fixed-seed PRNG (mulberry32): the same flags always give the same catalog. */
function random(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)] as T

function singerName(next: () => number): string {
  return next() < 0.6
    ? `${pick(next, FAMILY_NAMES)} ${pick(next, GIVEN_NAMES)}`
    : `${pick(next, BAND_WORDS)} ${pick(next, BAND_NOUNS)}`
}

function seatPrice(seatNo: number, seats: number, scale: number): number {
  let edge = 0
  for (const [tier, share] of TIER_SHARES.entries()) {
    edge += share * seats
    if (seatNo <= Math.ceil(edge)) return Math.round(((TIER_PRICES[tier] as number) * scale) / 1000) * 1000
  }
  return Math.round(((TIER_PRICES.at(-1) as number) * scale) / 1000) * 1000
}

const dateOnly = (at: Date) => at.toISOString().slice(0, 10)

interface Catalog {
  concerts: Array<Insertable<ConcertTable> & { id: number }>
  options: Array<Insertable<ConcertOptionTable> & { id: number }>
  /** Seats are generated lazily per option: millions of them need not sit in memory at once. */
  seatsOf: (optionId: number) => Array<Insertable<SeatTable>>
  seatCount: number
}

/**
 * The demo catalog for `size`, with explicit ids so concert 1 / option 1 are always the same rows.
 * Performances start two weeks after `today` and are spread over the following months; sales are
 * already open.
 */
function demoCatalog(size: DemoDataSize, today: Date): Catalog {
  const next = random(20_261_102)
  const day0 = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())
  const concerts: Catalog['concerts'] = []
  const options: Catalog['options'] = []
  const priceScale = new Map<number, number>()
  const seatsPer = new Map<number, number>()
  for (let c = 1; c <= size.concerts; c++) {
    const singer = singerName(next)
    const firstShow = day0 + (14 + ((c * 7) % 150)) * DAY_MS
    const touring = size.optionsPerConcert > 1 && next() < 0.35
    const homeVenue = pick(next, VENUES)
    const scale = pick(next, PRICE_SCALES)
    const shows: number[] = []
    for (let o = 0; o < size.optionsPerConcert; o++) {
      const id = (c - 1) * size.optionsPerConcert + o + 1
      const date = firstShow + o * (touring ? 3 : 1) * DAY_MS
      const weekend = [0, 6].includes(new Date(date).getUTCDay())
      const startsAt = new Date(date + (weekend ? 17 : 19) * 3600 * 1000)
      shows.push(startsAt.getTime())
      options.push({
        id,
        concert_id: c,
        venue: touring ? VENUES[(c + o) % VENUES.length]! : homeVenue,
        starts_at: startsAt,
      })
      priceScale.set(id, scale)
      seatsPer.set(id, id === 1 ? FIXTURE_OPTION_SEATS : size.seatsPerOption)
    }
    const year = new Date(firstShow).getUTCFullYear()
    concerts.push({
      id: c,
      name: pick(next, SHOW_NAMES)(singer, pick(next, TITLES), year),
      singer,
      start_date: dateOnly(new Date(shows[0] as number)),
      end_date: dateOnly(new Date(shows.at(-1) as number)),
      reserve_start_at: new Date(day0 - DAY_MS + 20 * 3600 * 1000),
      reserve_end_at: new Date((shows.at(-1) as number) - 3 * 3600 * 1000),
    })
  }
  let seatCount = 0
  for (const n of seatsPer.values()) seatCount += n
  return {
    concerts,
    options,
    seatCount,
    seatsOf: (optionId) => {
      const seats = seatsPer.get(optionId) ?? 0
      const scale = priceScale.get(optionId) ?? 1
      return Array.from({ length: seats }, (_, i) => ({
        concert_option_id: optionId,
        seat_no: i + 1,
        price: seatPrice(i + 1, seats, scale),
      }))
    },
  }
}

export function checkDemoDataSize(size: DemoDataSize): void {
  for (const key of ['concerts', 'optionsPerConcert', 'seatsPerOption'] as const) {
    const value = size[key]
    if (!Number.isInteger(value) || value < 1 || value > DEMO_DATA_LIMITS[key]) {
      throw new RangeError(`${key} must be an integer from 1 to ${DEMO_DATA_LIMITS[key]}, got ${value}`)
    }
  }
  const total = size.concerts * size.optionsPerConcert * size.seatsPerOption
  if (total > DEMO_DATA_LIMITS.totalSeats) {
    throw new RangeError(`${total} seats in total is more than the ${DEMO_DATA_LIMITS.totalSeats} allowed`)
  }
}

function chunks<T>(rows: T[], size = CHUNK_ROWS): T[][] {
  const out: T[][] = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}

async function catalogIsEmpty(db: Db): Promise<boolean> {
  return (await db.selectFrom('concert').select('id').limit(1).executeTakeFirst()) === undefined
}

/**
 * Loads the demo catalog into an empty one, in one transaction (all or nothing), with multi-row
 * inserts. Seats are numbered 1..n per option and priced by tier.
 */
export async function seedDemoData(
  db: Db,
  size: DemoDataSize = DEFAULT_DEMO_DATA,
  { today = new Date() }: { today?: Date } = {},
): Promise<DemoDataSummary> {
  checkDemoDataSize(size)
  if (!(await catalogIsEmpty(db))) throw new CatalogNotEmptyError('the catalog already has concerts')
  const catalog = demoCatalog(size, today)
  await db.transaction().execute(async (trx) => {
    for (const rows of chunks(catalog.concerts)) await trx.insertInto('concert').values(rows).execute()
    for (const rows of chunks(catalog.options)) await trx.insertInto('concert_option').values(rows).execute()
    const pending: Array<Insertable<SeatTable>> = []
    for (const option of catalog.options) {
      pending.push(...catalog.seatsOf(option.id))
      while (pending.length >= CHUNK_ROWS) {
        await trx.insertInto('seat').values(pending.splice(0, CHUNK_ROWS)).execute()
      }
    }
    if (pending.length) await trx.insertInto('seat').values(pending).execute()
  })
  return { concerts: catalog.concerts.length, options: catalog.options.length, seats: catalog.seatCount }
}

/** What `npm start` does: a fresh database gets the default demo catalog; a filled one is left alone. */
export async function seedDemoDataIfEmpty(db: Db, log: (line: string) => void): Promise<DemoDataSummary | undefined> {
  if (!(await catalogIsEmpty(db))) return undefined
  try {
    const summary = await seedDemoData(db)
    log(`loaded demo data: ${summary.concerts} concerts, ${summary.options} performances, ${summary.seats} seats`)
    return summary
  } catch (err) {
    // Another launcher seeded the same database a moment earlier: its catalog stands.
    if (err instanceof CatalogNotEmptyError || isDuplicateKey(err)) return undefined
    throw err
  }
}

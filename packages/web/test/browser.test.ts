import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEVELOPMENT_USER_TOKENS, signUserToken } from '@stagepass/kit'
import { addPerformance, apiClient, eventually, startSystem } from '@stagepass/testkit'
import { type Browser, chromium, type Page } from 'playwright-core'
import t from 'tap'
import { findChromium } from './chromium.js'

/**
 * The web app in a real browser (Debian's Chromium) against the real system, as `npm start` runs it
 * (monolith: one process serving the app and the API), with user tokens on so the app signs in
 * through the development sign-in. Holds and admissions are short here, so a lapse and an expiry
 * happen within the test; every wait is for the page or the system to reach a state.
 */
const HOLD_TTL_SECONDS = 10
const ACTIVE_TTL_SECONDS = 45
const ADMIN_KEY = 'browser-test-queue-admin-key-01'
/** How long the page may take to reach a state on a busy machine. */
const PAGE_TIMEOUT_MS = 60_000
// The docs' screenshots are refreshed on request (UPDATE_SCREENSHOTS=1); otherwise a run leaves the tree as it was.
const UPDATING_DOCS = Boolean(process.env.UPDATE_SCREENSHOTS)
const SCREENSHOTS = UPDATING_DOCS
  ? fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url))
  : await mkdtemp(join(tmpdir(), 'stagepass-screens-'))

const executablePath = findChromium()
const system = await startSystem(t, {
  mode: 'monolith',
  env: {
    USER_AUTH: 'jwt',
    RATE_LIMITS: 'off',
    HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS),
    QUEUE_ACTIVE_TTL_SECONDS: String(ACTIVE_TTL_SECONDS),
    QUEUE_ADMIN_KEY: ADMIN_KEY,
    QUEUE_TICK_MS: '50',
  },
})
const api = apiClient(system.baseUrl)
const admin = apiClient(system.queueAdminUrl)
const browser: Browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
t.teardown(async () => {
  await browser.close()
  await Promise.all([api.close(), admin.close()])
})
await mkdir(SCREENSHOTS, { recursive: true })
if (!UPDATING_DOCS) t.teardown(() => rm(SCREENSHOTS, { recursive: true, force: true }))

const userToken = (userId: number) => signUserToken(DEVELOPMENT_USER_TOKENS, userId)
const changeAdmission = async (body: Record<string, unknown>) => {
  const res = await admin.call('PATCH', '/admin/queue', { body, headers: { 'x-admin-key': ADMIN_KEY } })
  if (res.status !== 200) throw new Error(`PATCH /admin/queue answered ${res.status}`)
}

const winterLights = await addPerformance(system.db, { seats: 12, name: 'Winter Lights' })
await addPerformance(system.db, { seats: 4, name: 'Two Fans' })
await addPerformance(system.db, { seats: 4, name: 'Slow Hands' })

/** Another buyer's reservation of a seat, as booking commits it: a hold for the hour, or a sale. */
async function reservedByAnother(userId: number, seatId: number, status: 'PENDING' | 'PAID') {
  await system.db
    .insertInto('reservation')
    .values({
      user_id: userId,
      seat_id: seatId,
      concert_option_id: winterLights.concertOptionId,
      price: 50_000,
      status,
      hold_slot: 1,
      expires_at: new Date(Date.now() + 3_600_000),
      paid_at: status === 'PAID' ? new Date() : null,
    })
    .execute()
}
// Before anyone opens its map: seat 5 held by one buyer, seat 6 sold to another.
await reservedByAnother(9501, winterLights.seatIds[4] as number, 'PENDING')
await reservedByAnother(9502, winterLights.seatIds[5] as number, 'PAID')

/** A browser tab the size of a phone. */
async function openApp(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 412, height: 860 }, deviceScaleFactor: 1 })
  const page = await context.newPage()
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  await page.goto(system.baseUrl)
  return page
}

const screen = (page: Page, name: string) => page.locator(`section[data-screen="${name}"]`).waitFor()
const snap = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
const notice = (page: Page) => page.locator('#notice .notice')

async function signIn(page: Page, userId: number) {
  await screen(page, 'who')
  await page.getByLabel('Your user id').fill(String(userId))
  await page.getByRole('button', { name: 'Continue' }).click()
}

/** From the catalog to a performance's seat map. */
async function openSeats(page: Page, concert: string) {
  await screen(page, 'catalog')
  await page.getByRole('button', { name: new RegExp(concert) }).click()
  await screen(page, 'dates')
  await page.locator('.choices button').first().click()
  await screen(page, 'seats')
}

const seat = (page: Page, seatNo: number) => page.getByRole('button', { name: new RegExp(`^Seat ${seatNo},`) })

// The user whose pass expires (the last test) is admitted first, so the ACTIVE_TTL_SECONDS its pass
// lasts run while the other tests do rather than after them.
const passHolder = await openApp()
await signIn(passHolder, 401)
await screen(passHolder, 'catalog')

t.test(
  'the whole purchase: signed in, in line, the catalog, a hold, too few points, a top-up, the receipt',
  async (t) => {
    await changeAdmission({ paused: true })
    for (const userId of [9001, 9002, 9003]) {
      await api.post('/queue/tokens', { userId }, { token: await userToken(userId) })
    }
    const page = await openApp()
    await screen(page, 'who')
    await snap(page, 'who-am-i')
    await signIn(page, 101)
    await screen(page, 'line')
    await page.getByText('3 people ahead of you.').waitFor()
    await snap(page, 'waiting-room')
    await changeAdmission({ paused: false })

    await screen(page, 'catalog')
    await snap(page, 'catalog')
    await page.getByRole('button', { name: /Winter Lights/ }).click()
    await screen(page, 'dates')
    await snap(page, 'dates')
    await page.locator('.choices button').first().click()
    await screen(page, 'seats')
    await snap(page, 'seat-map')
    const seatMap = page.getByRole('group', { name: 'Seat map' })
    t.equal(await seat(page, 5).getAttribute('aria-label'), 'Seat 5, held by someone, may come free')
    t.ok(await seat(page, 5).isDisabled(), 'a held seat cannot be picked')
    t.equal(await seat(page, 6).getAttribute('aria-label'), 'Seat 6, sold')
    t.ok(await seat(page, 6).isDisabled(), 'nor a sold one')
    t.equal(await seatMap.locator('button:not([disabled])').count(), 10, 'the other ten are free')
    t.same(
      await page.locator('.legend li').allTextContents(),
      [' free', ' held (free again if the hold lapses)', ' sold'],
      'the legend names the three states',
    )
    await seat(page, 3).click()

    await screen(page, 'hold')
    await page.getByText('Seat 3 is yours for now').waitFor()
    await page.getByTestId('balance').getByText('0 won').waitFor()
    await page.getByRole('button', { name: /^Pay/ }).click()
    await notice(page)
      .getByText(/Not enough points/)
      .waitFor()
    await snap(page, 'hold-not-enough-points')
    await notice(page).getByRole('button', { name: 'Top up' }).click()
    t.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'amount', 'the way on: the top-up')
    await page.locator('form.top-up button').click()
    await page.getByTestId('balance').getByText('50,000 won').waitFor()
    await page.getByRole('button', { name: /^Pay/ }).click()

    await screen(page, 'receipt')
    await snap(page, 'receipt')
    t.match(await page.getByTestId('payment-id').textContent(), /^#\d+$/)
    const balance = await api.get('/points/current/101', { token: await userToken(101) })
    t.equal(balance.body.data.currentPoints, 0, 'the price was taken from the points topped up')
    await page.context().close()
  },
)

t.test('two browsers race for one seat: one holds it, the other is told and holds another', async (t) => {
  const [first, second] = await Promise.all([openApp(), openApp()])
  if (!first || !second) throw new Error('no pages')
  await Promise.all([signIn(first, 201), signIn(second, 202)])
  await Promise.all([openSeats(first, 'Two Fans'), openSeats(second, 'Two Fans')])
  await seat(first, 1).click()
  await first.getByText('Seat 1 is yours for now').waitFor()
  // The second map was loaded before the hold: seat 1 still shows free there.
  await seat(second, 1).click()
  await notice(second).getByText('Seat 1 was taken meanwhile. Please pick another seat.').waitFor()
  await snap(second, 'seat-taken')
  await seat(second, 2).click()
  await second.getByText('Seat 2 is yours for now').waitFor()
  t.pass('the first holds seat 1, the second seat 2')
  await Promise.all([first.context().close(), second.context().close()])
})

t.test('a hold that lapses: the countdown ends, the user is told, and the seat is free again', async (t) => {
  const page = await openApp()
  await signIn(page, 301)
  await openSeats(page, 'Slow Hands')
  await seat(page, 1).click()
  await screen(page, 'hold')
  await snap(page, 'hold')
  await notice(page).getByText('Your hold on seat 1 lapsed and the seat was released. Pick a seat again.').waitFor()
  await screen(page, 'seats')
  await snap(page, 'hold-lapsed')
  const freeAgain = await eventually(
    async () => {
      await page.getByRole('button', { name: 'Refresh' }).click()
      await screen(page, 'seats')
      return (await seat(page, 1).getAttribute('class'))?.includes('free') ?? false
    },
    PAGE_TIMEOUT_MS,
    500,
  )
  t.ok(freeAgain, 'seat 1 is offered again')
  await page.context().close()
})

t.test('a user whose pass expired is sent back to the line, and comes back in', async (t) => {
  const page = passHolder
  const token = await userToken(401)
  // The pass lasts ACTIVE_TTL_SECONDS: wait until the queue no longer counts the user as admitted.
  const expired = await eventually(
    async () => (await api.get('/queue/tokens/status/401', { token })).body?.data?.status !== 'ACTIVE',
    (ACTIVE_TTL_SECONDS + 30) * 1000,
    500,
  )
  t.ok(expired, 'the pass expired')
  await page.getByRole('button', { name: /Winter Lights/ }).click()
  await notice(page)
    .getByText(/Your time to shop ran out\. You are back in the line\./)
    .waitFor()
  await snap(page, 'pass-expired')
  await screen(page, 'catalog')
  t.pass('admitted again')
  await page.context().close()
})

t.test('the operator page is on the queue admin port only, and pauses and resumes admission', async (t) => {
  t.equal((await api.get('/admin/')).status, 404, 'not on the public port')
  const context = await browser.newContext({ viewport: { width: 900, height: 760 } })
  const page = await context.newPage()
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  await page.goto(`${system.queueAdminUrl}/admin/`)
  await page.getByLabel('Admin key').fill('not-the-key')
  await page.getByRole('button', { name: 'Use key' }).click()
  await page.getByText('The admin key was refused.').waitFor()
  await page.getByLabel('Admin key').fill(ADMIN_KEY)
  await page.getByRole('button', { name: 'Use key' }).click()
  await page.getByRole('button', { name: 'Pause admission' }).click()
  await page.getByText('Admission paused.').waitFor()
  const paused = await admin.get('/admin/queue', { headers: { 'x-admin-key': ADMIN_KEY } })
  t.equal(paused.body.data.paused, true, 'admission is paused')
  await page.getByRole('button', { name: 'Resume admission' }).click()
  await page.getByText('Admission resumed.').waitFor()
  await page.evaluate(() => window.scrollTo(0, 0))
  await snap(page, 'operator')
  const resumed = await admin.get('/admin/queue', { headers: { 'x-admin-key': ADMIN_KEY } })
  t.equal(resumed.body.data.paused, false, 'admission is resumed')
  await context.close()
})

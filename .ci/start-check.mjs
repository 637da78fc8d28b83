// The README's start command, checked as a user would use it: once the gateway answers on
// http://localhost:8080, a user joins the line, is admitted, lists the seats, holds one, charges
// points and pays for it. Exits 0 when the whole journey answered as api.md says, 1 otherwise.
const base = 'http://localhost:8080'
// A first start installs and builds: allow it five minutes to come up.
const deadline = Date.now() + 300_000
const userId = 900_000 + Math.floor(Math.random() * 99_999)

async function call(method, path, { body, token } = {}) {
  const headers = { ...(body ? { 'content-type': 'application/json' } : {}) }
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(`${base}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined })
  const text = await res.text()
  return { status: res.status, data: text ? JSON.parse(text).data : undefined, text }
}

function expect(step, answer, status) {
  if (answer.status !== status) throw new Error(`${step}: ${answer.status} ${answer.text.slice(0, 300)}`)
  console.log(`start-check: ${step}: ${answer.status}`)
  return answer.data
}

async function untilServing() {
  for (;;) {
    try {
      return await call('POST', '/queue/tokens', { body: { userId } })
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the gateway did not answer on ${base}: ${err.message}`)
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  }
}

try {
  const { token } = expect('join the line', await untilServing(), 200)
  let status
  do {
    status = expect('poll', await call('GET', '/queue/tokens/status', { token }), 200).status
    if (status !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 1000))
  } while (status !== 'ACTIVE' && Date.now() < deadline)
  if (status !== 'ACTIVE') throw new Error(`the token never became ACTIVE (${status})`)
  const { seats } = expect('list the seats', await call('GET', '/concerts/1/available-seats', { token }), 200)
  const held = []
  for (const seat of seats) {
    const answer = await call('POST', '/concerts/reserve-seat', { token, body: { seatId: seat.seatId } })
    if (answer.status === 200) {
      held.push(answer.data)
      break
    }
  }
  if (held.length === 0) throw new Error('no seat of concert date 1 could be held')
  console.log('start-check: hold a seat: 200')
  expect('charge points', await call('PUT', '/points/charge', { body: { userId, amount: held[0].price } }), 200)
  const paid = expect(
    'pay',
    await call('POST', '/payment/pay', { token, body: { reservationId: held[0].reservationId } }),
    200,
  )
  if (paid.status !== 'PAID') throw new Error(`pay answered ${JSON.stringify(paid)}`)
  console.log('start-check: the journey answered as the contract says')
} catch (err) {
  console.error(`start-check: ${err.message}`)
  process.exit(1)
}

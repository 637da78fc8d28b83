import type { FastifyPluginAsync } from 'fastify'

/**
 * The operators' page (`/admin/`) for `/admin/queue`: the live numbers of the line and admission (rate, cap,
 * pause). Served beside the admin routes, so only on the queue's own port (split) or its admin port
 * (monolith), never through the gateway. The page holds no secret: it asks for the admin key, keeps
 * it for the tab only, and sends it with every call; without it the routes answer 401.
 */
export const operatorPage: FastifyPluginAsync = async (fastify) => {
  fastify.get('/admin/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PAGE),
  )
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stagepass — queue operations</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 0 auto; padding: 1rem; line-height: 1.5 }
  label { display: block; margin: 0.5rem 0 }
  input { font: inherit; padding: 0.4rem }
  button { font: inherit; padding: 0.5rem 1rem; margin-right: 0.5rem }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem }
  dt { font-weight: 600 }
  dd { margin: 0; font-variant-numeric: tabular-nums }
  #message { min-height: 1.5rem; font-weight: 600 }
</style>
</head>
<body>
<h1>Queue operations</h1>
<form id="key-form"><label>Admin key (QUEUE_ADMIN_KEY) <input id="key" type="password" autocomplete="off" required></label><button>Use key</button></form>
<p id="message" role="status" aria-live="polite"></p>
<section id="panel" hidden>
  <h2>Live</h2>
  <dl id="numbers"></dl>
  <h2>Admission</h2>
  <form id="settings">
    <label>Users admitted per second <input id="admitPerSecond" type="number" min="1" max="100000" required></label>
    <label>Most active users at once <input id="maxActive" type="number" min="1" max="10000000" required></label>
    <button type="submit">Apply</button>
    <button type="button" id="pause"></button>
  </form>
</section>
<script>
const $ = (id) => document.getElementById(id)
let key = sessionStorage.getItem('stagepass.adminKey') || ''
let stats
const LABELS = { waiting: 'Waiting', active: 'Active', preQueue: 'In the pre-queue', admittedPerSecond: 'Admitted per second (measured)',
  oldestWaitSeconds: 'Oldest wait (s)', capacity: 'Line capacity', full: 'Line full', paused: 'Paused', powDifficulty: 'Proof-of-work difficulty', opensAt: 'Opening' }
async function call(method, body) {
  const res = await fetch('/admin/queue', { method, headers: { 'x-admin-key': key, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body && JSON.stringify(body) })
  const json = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(res.status === 401 ? 'The admin key was refused.' : json.message || 'HTTP ' + res.status)
  return json.data
}
function show(data) {
  stats = data
  $('numbers').replaceChildren(...Object.entries(LABELS).flatMap(([k, label]) => {
    const dt = document.createElement('dt'); dt.textContent = label
    const dd = document.createElement('dd'); dd.textContent = String(data[k] ?? '—'); dd.dataset.field = k
    return [dt, dd]
  }))
  if (document.activeElement !== $('admitPerSecond')) $('admitPerSecond').value = data.admitPerSecond
  if (document.activeElement !== $('maxActive')) $('maxActive').value = data.maxActive
  $('pause').textContent = data.paused ? 'Resume admission' : 'Pause admission'
  $('panel').hidden = false
}
async function refresh() {
  if (!key) return
  try { show(await call('GET')); if ($('message').dataset.kind === 'error') $('message').textContent = '' }
  catch (err) { $('message').textContent = err.message; $('message').dataset.kind = 'error' }
}
async function change(body, done) {
  try { show(await call('PATCH', body)); $('message').textContent = done; $('message').dataset.kind = 'info' }
  catch (err) { $('message').textContent = err.message; $('message').dataset.kind = 'error' }
}
$('key-form').addEventListener('submit', (e) => { e.preventDefault(); key = $('key').value; sessionStorage.setItem('stagepass.adminKey', key); refresh() })
$('settings').addEventListener('submit', (e) => { e.preventDefault()
  change({ admitPerSecond: Number($('admitPerSecond').value), maxActive: Number($('maxActive').value) }, 'Admission changed.') })
$('pause').addEventListener('click', () => change({ paused: !stats.paused }, stats.paused ? 'Admission resumed.' : 'Admission paused.'))
refresh()
setInterval(refresh, 2000)
</script>
</body>
</html>
`

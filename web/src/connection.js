// The plan's live connection: the Y.Doc synced with the server over the standard y-websocket
// protocol (`ws(s)://HOST/collab/<plan id>`), kept in IndexedDB under `samskriv:<plan id>` so
// edits made offline survive a reload and merge when the connection returns, and the
// connection's state, always visible on the page.
//
// Access taken away: the server closes the connection with 4001 when the person is removed
// from the plan, their role changes, their session ends or their account is deactivated. The
// connection then holds its reconnect and asks the plan page again who the person is now: gone
// (404, or the login page) means «Du har ikke lenger tilgang til denne planen», said as an
// alert, with the editor made read-only and this browser's copy of the plan deleted; still a
// member means reconnecting with the new role, read-only when it may no longer edit (a higher
// role reloads the page, which the server draws with that role's controls).

import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import { h } from './util.js'
import { shared, MetaKey } from './layout.js'

/** y-protocols message type 2: the server refused an edit (permission denied). */
const MESSAGE_AUTH = 2
/** The server's close code when the connection's access changed. */
export const CLOSE_ACCESS_CHANGED = 4001

/** What the page's person may do, from the page data: `edit`, `comment` (read and comment) or `read`. */
export function accessOf (data) {
  if (data?.can_edit) return 'edit'
  if (data?.can_comment) return 'comment'
  return 'read'
}

const RANK = { read: 0, comment: 1, edit: 2 }

/**
 * The text of the status line in each state (`lesetilgang`: the server refused an edit;
 * `ingen-tilgang`: access taken away). `access` is `edit`, `comment` or `read` (or a boolean:
 * may edit).
 */
export function statusText (state, access) {
  if (access === true) access = 'edit'
  else if (access === false || access == null) access = 'read'
  if (state === 'ingen-tilgang') return 'Du har ikke lenger tilgang til denne planen'
  if (state === 'lesetilgang') {
    return access === 'comment' ? 'Tilkoblet – du kan lese og kommentere' : 'Tilkoblet – du kan lese, men ikke endre planen'
  }
  if (state === 'tilkoblet') {
    if (access === 'edit') return 'Tilkoblet – endringer lagres'
    if (access === 'comment') return 'Tilkoblet – du kan lese og kommentere'
    return 'Tilkoblet – bare lesetilgang'
  }
  if (state === 'frakoblet') return 'Frakoblet – endringer lagres lokalt'
  return 'Kobler til …'
}

function pageData () {
  try { return JSON.parse(document.getElementById('plan-data')?.textContent || 'null') } catch { return null }
}

/**
 * Connects `doc` to the server and to this browser's copy, and shows the connection's state.
 * Returns `{ provider, persistence, awareness, whenKnown }`.
 */
export function connect (doc, planId, { editable, access } = {}) {
  const persistence = new IndexeddbPersistence(`samskriv:${planId}`, doc)
  const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/collab`
  const provider = new WebsocketProvider(wsBase, planId, doc, { maxBackoffTime: 5000 })
  const data = pageData()
  const known = access || (data ? accessOf(data) : (editable ? 'edit' : 'read'))
  showConnection(provider, persistence, planId, known)
  return {
    provider,
    persistence,
    awareness: provider.awareness,
    whenKnown: (mount) => whenKnown(doc, provider, persistence, mount)
  }
}

/**
 * Who the person is on the plan now, asked of the plan page: `{ gone: true }` when they may not
 * see it any more (404, 401, 403, or the login page instead of the plan), `{ access }` when they
 * may, `null` when the server could not tell (offline, server error: ask again).
 */
async function askAccess (planId) {
  try {
    const response = await fetch(`/plans/${encodeURIComponent(planId)}`, {
      credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' }
    })
    if ([401, 403, 404, 410].includes(response.status)) return { gone: true }
    if (!response.ok) return null
    const page = new DOMParser().parseFromString(await response.text(), 'text/html')
    const el = page.getElementById('plan-data')
    if (!el) return { gone: true }
    const data = JSON.parse(el.textContent)
    if (data.plan_id !== planId) return { gone: true }
    return { access: accessOf(data) }
  } catch {
    return null
  }
}

/** The status line: connecting, connected (editing, commenting or reading), offline, no access. */
function showConnection (provider, persistence, planId, startAccess) {
  let access = startAccess
  const status = h('p', { class: 'tilkobling', role: 'status', 'aria-live': 'polite', 'data-state': 'kobler-til' })
  const text = h('span', { class: 'tekst' }, statusText('kobler-til', access))
  status.append(h('span', { class: 'prikk', 'aria-hidden': 'true' }), text)
  // In the side column, in the page's flow (nothing fixed covers the page); else at the end.
  const side = document.getElementById('samarbeid')
  if (side) side.prepend(status)
  else document.body.append(status)
  let everConnected = false
  let denied = false
  let revoked = false
  const lock = readOnlyLock()
  const show = (state) => {
    if (revoked) state = 'ingen-tilgang'
    else if (denied && state === 'tilkoblet') state = 'lesetilgang'
    const said = statusText(state, access)
    if (status.dataset.state !== state || text.textContent !== said) {
      status.dataset.state = state
      text.textContent = said
    }
  }
  provider.on('status', ({ status: s }) => {
    if (s === 'connected') everConnected = true
    if (s === 'connected') show(provider.synced ? 'tilkoblet' : 'kobler-til')
    else if (s === 'disconnected' || everConnected) show('frakoblet')
    else show('kobler-til')
  })
  provider.on('sync', (synced) => { if (synced && provider.wsconnected) show('tilkoblet') })
  provider.on('connection-error', () => { if (!provider.wsconnected) show('frakoblet') })
  // The server refuses edits from a read-only connection with an auth message.
  provider.messageHandlers[MESSAGE_AUTH] = (_encoder, _decoder) => { denied = true; show('lesetilgang') }

  const revoke = () => {
    revoked = true
    provider.shouldConnect = false
    provider.disconnect()
    lock(null)
    // The plan is not this person's to keep: this browser's copy goes.
    persistence.clearData().catch(() => {})
    status.setAttribute('role', 'alert')
    status.removeAttribute('aria-live')
    document.documentElement.classList.add('uten-tilgang')
    show('ingen-tilgang')
  }
  const recheck = async (attempt = 0) => {
    const answer = await askAccess(planId)
    if (answer === null) {
      // Offline or the server is busy: ask again, then reconnect as before if it never answers.
      if (attempt < 5) setTimeout(() => recheck(attempt + 1), 1000 * (attempt + 1))
      else provider.connect()
      return
    }
    if (answer.gone) { revoke(); return }
    // A higher role needs the page as the server draws it for that role (its controls).
    if (RANK[answer.access] > RANK[access]) { location.reload(); return }
    if (RANK[answer.access] < RANK[access]) lock(answer.access)
    access = answer.access
    denied = false
    provider.connect()
  }
  provider.on('connection-close', (event) => {
    if (revoked || event?.code !== CLOSE_ACCESS_CHANGED) return
    // Hold the reconnect (scheduled right after this event) until the new access is known.
    provider.shouldConnect = false
    show('kobler-til')
    recheck()
  })
}

/**
 * Returns `lock(access)`: makes the plan read-only in place, for `access` `comment` or `read`
 * (a lowered role; comment buttons stay) or `null` (no access at all: every control). The
 * editors stop taking input; controls drawn later (the views re-render) are locked too.
 */
function readOnlyLock () {
  let locked = false
  let keepComments = false
  const isCommentControl = (el) => keepComments && (el.matches('.kommenter, [data-ctl="kommenter"], [data-ctl="kommentarer"]'))
  const lockIn = (root) => {
    if (root.nodeType !== 1) return
    const all = [root, ...root.querySelectorAll('input, select, textarea, button, [contenteditable="true"]')]
    for (const el of all) {
      if (el.matches('[contenteditable="true"]')) el.setAttribute('contenteditable', 'false')
      else if (el.matches('input, select, textarea, button') && !isCommentControl(el)) el.disabled = true
    }
  }
  const inPlan = (event) => event.target?.closest?.('#plan')
  const block = (event) => { if (locked && inPlan(event)) event.preventDefault() }
  return (access) => {
    keepComments = access === 'comment'
    if (!locked) {
      locked = true
      for (const type of ['beforeinput', 'paste', 'cut', 'drop']) document.addEventListener(type, block, true)
      const plan = document.getElementById('plan')
      if (plan) new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(lockIn))).observe(plan, { childList: true, subtree: true })
    }
    document.documentElement.classList.add('bare-lesing')
    for (const view of window.samskriv?.comments?.views?.values?.() || []) view.setProps?.({ editable: () => false })
    const plan = document.getElementById('plan')
    if (plan) lockIn(plan)
  }
}

/**
 * Calls `mount` once, as soon as the document is known: from this browser's copy or from the
 * server. Until then the server-rendered page stays as it is.
 */
function whenKnown (doc, provider, persistence, mount) {
  let done = false
  const once = () => { if (!done) { done = true; mount() } }
  const hasDocument = () => shared.meta(doc).get(MetaKey.TEMPLATE) != null
  persistence.on('synced', () => { if (hasDocument()) once() })
  provider.on('sync', (synced) => { if (synced) once() })
  doc.on('update', () => { if (!done && hasDocument() && provider.synced) once() })
}

// The plan's live connection: the Y.Doc synced with the server over the standard y-websocket
// protocol (`ws(s)://HOST/collab/<plan id>`), kept in IndexedDB under `samskriv:<plan id>` so
// edits made offline survive a reload and merge when the connection returns, and the
// connection's state, always visible on the page.

import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import { h } from './util.js'
import { shared, MetaKey } from './layout.js'

/** y-protocols message type 2: the server refused an edit (permission denied). */
const MESSAGE_AUTH = 2

/** The text of the status line in each state (`lesetilgang`: the server refused an edit). */
export function statusText (state, editable) {
  if (state === 'lesetilgang') return 'Tilkoblet – du kan lese, men ikke endre planen'
  if (state === 'tilkoblet') return editable ? 'Tilkoblet – endringer lagres' : 'Tilkoblet – bare lesetilgang'
  if (state === 'frakoblet') return 'Frakoblet – endringer lagres lokalt'
  return 'Kobler til …'
}

/**
 * Connects `doc` to the server and to this browser's copy, and shows the connection's state.
 * Returns `{ provider, persistence, awareness, whenKnown }`.
 */
export function connect (doc, planId, { editable }) {
  const persistence = new IndexeddbPersistence(`samskriv:${planId}`, doc)
  const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/collab`
  const provider = new WebsocketProvider(wsBase, planId, doc, { maxBackoffTime: 5000 })
  showConnection(provider, editable)
  return {
    provider,
    persistence,
    awareness: provider.awareness,
    whenKnown: (mount) => whenKnown(doc, provider, persistence, mount)
  }
}

/** The status line: connecting, connected (editing or read-only), offline. */
function showConnection (provider, editable) {
  const status = h('p', { class: 'tilkobling', role: 'status', 'aria-live': 'polite', 'data-state': 'kobler-til' })
  const text = h('span', { class: 'tekst' }, statusText('kobler-til', editable))
  status.append(h('span', { class: 'prikk', 'aria-hidden': 'true' }), text)
  document.body.append(status)
  let everConnected = false
  let denied = false
  const show = (state) => {
    if (denied) state = 'lesetilgang'
    const said = statusText(state, editable)
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

// Samskriv's browser editor. Mounts on the server-rendered plan page (progressive enhancement:
// without JavaScript the page reads as it is) and binds every part of it to the plan's Y.Doc:
// prose sections, checklists, the tiltak table, milestones and target groups. The document is
// synced with the server over the standard y-websocket protocol and kept in IndexedDB, so edits
// made offline survive a reload and merge when the connection returns.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import { mountProse } from './prose.js'
import { TiltakTables } from './tiltak.js'
import { mountMilestones } from './milestones.js'
import { mountTargetGroups } from './targetgroups.js'
import { loadPerson, askPerson, mountPresence, COLOURS } from './presence.js'
import { h } from './util.js'
import { liveCompleteness } from './completeness.js'
import { NODE_NAMES, MARK_NAMES } from './schema.js'
import { Comments } from './comments.js'
import { pageContext } from './threads.js'
import { shared, MetaKey, mapBool } from './layout.js'
import './editor.css'

/** Origin of this person's own edits outside prose: the undo manager tracks only these. */
const LOCAL = { local: 'samskriv' }

function readPlanData () {
  const el = document.getElementById('plan-data')
  if (!el) return null
  try { return JSON.parse(el.textContent) } catch { return null }
}

function start () {
  const data = readPlanData()
  const planEl = document.getElementById('plan')
  if (!data || !planEl) return
  const t0 = performance.now()
  const metrics = {}
  const editable = !!data.can_edit
  const doc = new Y.Doc()
  const persistence = new IndexeddbPersistence(`samskriv:${data.plan_id}`, doc)
  const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/collab`
  const provider = new WebsocketProvider(wsBase, data.plan_id, doc, { maxBackoffTime: 5000 })
  const awareness = provider.awareness

  document.documentElement.classList.add('med-editor')
  if (!document.getElementById('samskriv-enheter')) {
    document.body.append(h('datalist', { id: 'samskriv-enheter' }, (data.units || []).map((u) => h('option', { value: u.name }))))
  }

  // Connection state, always visible.
  const status = h('p', { class: 'tilkobling', role: 'status', 'aria-live': 'polite', 'data-state': 'kobler-til' })
  const statusText = h('span', { class: 'tekst' }, 'Kobler til …')
  status.append(h('span', { class: 'prikk', 'aria-hidden': 'true' }), statusText)
  document.body.append(status)
  let everConnected = false
  let denied = false
  const showStatus = (state) => {
    let text
    if (denied) { state = 'lesetilgang'; text = 'Tilkoblet – du kan lese, men ikke endre planen' } else if (state === 'tilkoblet') text = editable ? 'Tilkoblet – endringer lagres' : 'Tilkoblet – bare lesetilgang'
    else if (state === 'frakoblet') text = 'Frakoblet – endringer lagres lokalt'
    else text = 'Kobler til …'
    if (status.dataset.state !== state || statusText.textContent !== text) {
      status.dataset.state = state
      statusText.textContent = text
    }
  }
  provider.on('status', ({ status: s }) => {
    if (s === 'connected') everConnected = true
    if (s === 'connected') showStatus(provider.synced ? 'tilkoblet' : 'kobler-til')
    else if (s === 'disconnected' || everConnected) showStatus('frakoblet')
    else showStatus('kobler-til')
  })
  provider.on('sync', (synced) => { if (synced && provider.wsconnected) showStatus('tilkoblet') })
  provider.on('connection-error', () => { if (!provider.wsconnected) showStatus('frakoblet') })
  // The server refuses edits from a read-only connection with an auth message.
  provider.messageHandlers[2] = (_encoder, _decoder) => { denied = true; showStatus('lesetilgang') }

  // Side column: who is here. Someone signed in is known by name and unit; until then a
  // visitor is asked once.
  const side = document.getElementById('samarbeid')
  const { me } = pageContext(data)
  const signedIn = !!(me && me.id && me.id !== 'anonymous' && me.name)
  let person = loadPerson()
  if (signedIn) person = { name: me.name, unit: me.unit || '', color: person?.color || COLOURS[Math.abs(hash(me.id)) % COLOURS.length] }
  const setUser = (p) => awareness.setLocalStateField('user', { name: p.name, unit: p.unit || '', color: p.color })
  const presence = mountPresence(side || planEl, awareness, {
    onChangePerson: signedIn ? null : () => askPerson(data.units || [], person).then((p) => { person = p; setUser(p) })
  })
  if (side) side.hidden = false
  if (person) {
    setUser(person)
  } else {
    // Until the person has answered, others see a guest (never a nameless cursor).
    setUser({ name: 'Gjest', unit: '', color: COLOURS[awareness.clientID % COLOURS.length] })
    askPerson(data.units || [], null).then((p) => { person = p; setUser(p) })
  }

  const undoManager = new Y.UndoManager(
    [shared.tiltak(doc), shared.milestones(doc), shared.checklist(doc), shared.targetGroups(doc)],
    { trackedOrigins: new Set([LOCAL]), captureTimeout: 500 }
  )
  const comments = new Comments({ data, doc })
  const tables = new TiltakTables({ doc, fields: data.tiltak_fields, origin: LOCAL, undoManager, editable, comments })
  const editors = new Map() // section element → { destroy }
  const defaultTiltak = new Set(data.tiltak_sections || [])

  function headingOf (sectionEl) {
    return sectionEl.querySelector(':scope > h2, :scope > h3, :scope > h4')
  }

  function mountSection (sectionEl) {
    if (editors.has(sectionEl)) return
    const kind = sectionEl.dataset.sectionKind
    const sectionId = sectionEl.dataset.sectionId
    if (kind === 'prose') {
      const container = sectionEl.querySelector('.prosa')
      const heading = headingOf(sectionEl)
      if (!container || !heading) return
      const editor = mountProse(container, {
        doc, awareness, sectionId, headingId: heading.id, headingText: [...heading.childNodes].map((n) => n.textContent.trim()).filter(Boolean).join(' '), editable, comments
      })
      editors.set(sectionEl, editor)
    } else if (kind === 'tiltak') {
      const view = tables.addView(sectionEl, sectionId, defaultTiltak.has(sectionId))
      editors.set(sectionEl, { destroy: () => tables.removeView(view) })
    } else if (kind === 'checklist') {
      editors.set(sectionEl, bindChecklist(sectionEl))
    } else if (kind === 'milestones') {
      mountMilestones(sectionEl, { doc, origin: LOCAL, undoManager, editable })
      editors.set(sectionEl, { destroy () {} })
    }
  }

  function unmountSection (sectionEl) {
    editors.get(sectionEl)?.destroy()
    editors.delete(sectionEl)
  }

  const checklist = shared.checklist(doc)
  function bindChecklist (sectionEl) {
    const boxes = [...sectionEl.querySelectorAll('input[type="checkbox"][data-key]')]
    const refresh = () => {
      for (const box of boxes) box.checked = mapBool(checklist, box.dataset.key)
    }
    for (const box of boxes) {
      box.disabled = !editable
      box.addEventListener('change', () => {
        undoManager.stopCapturing()
        doc.transact(() => checklist.set(box.dataset.key, box.checked), LOCAL)
      })
    }
    checklist.observe(refresh)
    refresh()
    return { destroy: () => checklist.unobserve(refresh) }
  }

  let mounted = false
  function mountAll () {
    if (mounted) return
    mounted = true
    const t1 = performance.now()
    for (const sectionEl of planEl.querySelectorAll('section[data-section-kind]')) {
      if (sectionEl.dataset.targetGroup) continue
      mountSection(sectionEl)
    }
    const tg = data.target_groups
    if (tg) {
      const partEl = planEl.querySelector(`section[data-section-id="${CSS.escape(tg.part_id)}"]`)
      if (partEl) mountTargetGroups(partEl, { doc, origin: LOCAL, undoManager, editable, spec: tg, mountSection, unmountSection })
    }
    const t2 = performance.now()
    tables.renderAll()
    metrics.tiltakRenderMs = performance.now() - t2
    metrics.mountMs = performance.now() - t1
    metrics.readyMs = performance.now() - t0
    metrics.tiltakRows = tables.maps().length
    presence.render()
    liveCompleteness(doc, provider, data.plan_id)
    comments.attachTables(tables)
    comments.start({ side, layout: planEl.parentElement })
    document.documentElement.classList.add('editor-klar')
    resolveReady()
  }
  let resolveReady
  const ready = new Promise((resolve) => { resolveReady = resolve })

  // Mount once the document is known: from this browser's copy or from the server. Until then
  // the server-rendered page stays as it is.
  const hasDocument = () => shared.meta(doc).get(MetaKey.TEMPLATE) != null
  persistence.on('synced', () => { if (hasDocument()) mountAll() })
  provider.on('sync', (synced) => { if (synced) mountAll() })
  doc.on('update', () => { if (!mounted && hasDocument() && provider.synced) mountAll() })

  window.samskriv = {
    doc, provider, awareness, persistence, undoManager, ready, metrics, comments,
    schema: { nodes: NODE_NAMES, marks: MARK_NAMES },
    /** Tests: cut the live connection and keep it cut (edits stay local). */
    goOffline () { provider.disconnect() },
    goOnline () { provider.connect() }
  }
}

/** A small stable hash of a string (for a colour). */
function hash (text) {
  let x = 0
  for (const ch of text) x = (x * 31 + ch.codePointAt(0)) | 0
  return x
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()

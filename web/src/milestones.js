// The plan process's milestones, bound to the `milestones` Y.Array of Y.Map
// {id, title, date, responsible, done} (names in layout.js). Values are plain (last writer wins); a move deletes the
// map and inserts a copy, as for tiltak rows.

import * as Y from 'yjs'
import { h, uid, uuid, debounce, undoChord } from './util.js'
import { MilestoneKey as K, shared, mapText, mapBool } from './layout.js'

const FIELDS = [
  { key: K.TITLE, label: 'Milepæl', placeholder: '' },
  { key: K.DATE, label: 'Dato', placeholder: 'f.eks. 2026-03-01' },
  { key: K.RESPONSIBLE, label: 'Ansvarlig', placeholder: '', list: 'samskriv-enheter' }
]

export function mountMilestones (root, { doc, origin, undoManager, editable }) {
  const array = shared.milestones(doc)
  const rows = new Map() // Y.Map → row
  let pendingFocus = null
  const tbody = h('tbody')
  const table = h('table', { class: 'milepaeler redigerbar' },
    h('caption', { class: 'skjult' }, 'Milepæler'),
    h('thead', {}, h('tr', {},
      FIELDS.map((f) => h('th', { scope: 'col' }, f.label)),
      h('th', { scope: 'col' }, 'Ferdig'),
      h('th', { scope: 'col' }, 'Handlinger'))),
    tbody)
  const empty = h('p', { class: 'tomt' }, 'Ingen milepæler ennå.')
  const message = h('div', { class: 'tiltak-melding', role: 'status' })
  const add = editable
    ? h('button', { type: 'button', class: 'sekundaer legg-til', onclick: () => addMilestone() }, 'Legg til milepæl')
    : null
  const el = h('div', { class: 'milepael-editor' }, table, empty, add, message)
  for (const old of root.querySelectorAll(':scope > table, :scope > .tomt')) old.remove()
  root.append(el)
  el.addEventListener('keydown', (event) => {
    const chord = undoChord(event)
    if (chord && editable) {
      event.preventDefault()
      undoManager.stopCapturing()
      if (chord === 'undo') undoManager.undo()
      else undoManager.redo()
    }
  })

  const transact = (fn) => {
    undoManager.stopCapturing()
    doc.transact(fn, origin)
    undoManager.stopCapturing()
  }

  function addMilestone () {
    const map = new Y.Map()
    const id = uuid()
    map.set(K.ID, id)
    map.set(K.TITLE, '')
    map.set(K.DATE, '')
    map.set(K.RESPONSIBLE, '')
    map.set(K.DONE, false)
    pendingFocus = { id, ctl: K.TITLE }
    transact(() => array.push([map]))
  }

  function makeRow (map) {
    const id = mapText(map, K.ID)
    const nameId = uid('ms')
    const controls = []
    const inputs = []
    const tr = h('tr', { 'data-id': id })
    for (const f of FIELDS) {
      const input = h('input', { type: 'text', 'data-ctl': f.key, readonly: !editable, placeholder: f.placeholder || null, list: f.list || null, autocomplete: 'off' })
      if (f.key === K.TITLE) input.id = nameId
      inputs.push([input, f.label])
      let dirty = false
      const write = debounce(() => {
        if (mapText(map, f.key) !== input.value) transact(() => map.set(f.key, input.value))
      }, 300)
      input.addEventListener('input', () => { dirty = true; write() })
      input.addEventListener('blur', () => { write.flush(); dirty = false })
      controls.push({
        key: f.key,
        flush: () => write.flush(),
        refresh: () => {
          if (dirty && document.activeElement === input) return
          const v = mapText(map, f.key)
          if (input.value !== v) input.value = v
        }
      })
      tr.append(h('td', {}, input))
    }
    const done = h('input', { type: 'checkbox', 'data-ctl': K.DONE, disabled: !editable })
    inputs.push([done, 'Ferdig'])
    done.addEventListener('change', () => transact(() => map.set(K.DONE, done.checked)))
    controls.push({ key: K.DONE, refresh: () => { done.checked = mapBool(map, K.DONE) } })
    tr.append(h('td', { class: 'midt' }, done))
    const button = (ctl, glyph, spoken, fn) => {
      const bid = uid('knapp')
      return h('button', {
        type: 'button', id: bid, class: `handling handling-${ctl}`, 'data-ctl': ctl, title: spoken,
        'aria-labelledby': `${bid} ${nameId}`,
        onclick: (e) => { if (e.currentTarget.getAttribute('aria-disabled') !== 'true') fn() }
      }, h('span', { 'aria-hidden': 'true' }, glyph), h('span', { class: 'skjult' }, spoken))
    }
    const up = editable ? button('opp', '↑', 'Flytt opp', () => move(map, -1)) : null
    const down = editable ? button('ned', '↓', 'Flytt ned', () => move(map, 1)) : null
    const del = editable ? button('slett', 'Slett', 'Slett milepælen', () => remove(map)) : null
    tr.append(h('td', {}, h('div', { class: 'handlinger' }, up, down, del)))
    const row = {
      id, tr, up, down,
      /** Labels name the row: "Dato, milepæl 2". */
      setNumber: (n) => { for (const [el, label] of inputs) el.setAttribute('aria-label', `${label}, milepæl ${n}`) },
      refresh: (keys) => { for (const c of controls) if (!keys || keys.has(c.key)) c.refresh() },
      flush: () => { for (const c of controls) c.flush?.() }
    }
    row.refresh()
    return row
  }

  function move (map, dir) {
    const items = array.toArray()
    const from = items.indexOf(map)
    const to = from + dir
    if (from < 0 || to < 0 || to >= items.length) return
    rows.get(map)?.flush()
    const copy = new Y.Map()
    for (const [k, v] of map.entries()) copy.set(k, v instanceof Y.AbstractType ? v.toJSON() : v)
    pendingFocus = { id: mapText(map, K.ID), ctl: dir < 0 ? 'opp' : 'ned' }
    transact(() => { array.delete(from, 1); array.insert(to, [copy]) })
  }

  function remove (map) {
    const from = array.toArray().indexOf(map)
    if (from < 0) return
    const title = mapText(map, K.TITLE) || 'uten navn'
    transact(() => array.delete(from, 1))
    const undo = h('button', {
      type: 'button', class: 'sekundaer',
      onclick: () => { undoManager.undo(); message.replaceChildren('Milepælen er tilbake.') }
    }, 'Angre')
    message.replaceChildren(`Milepælen «${title}» er slettet. `, undo)
    undo.focus()
  }

  function render () {
    const maps = array.toArray().filter((m) => m instanceof Y.Map)
    const active = document.activeElement
    let focus = pendingFocus
    pendingFocus = null
    if (!focus && active && tbody.contains(active)) {
      focus = { id: active.closest('tr')?.dataset.id, ctl: active.dataset.ctl, lost: true }
    }
    const alive = new Set(maps)
    for (const [map, row] of rows) if (!alive.has(map)) { row.tr.remove(); rows.delete(map) }
    let cursor = tbody.firstChild
    maps.forEach((map, i) => {
      let row = rows.get(map)
      if (!row) { row = makeRow(map); rows.set(map, row) }
      row.setNumber(i + 1)
      if (row.up) {
        row.up.setAttribute('aria-disabled', String(i === 0))
        row.down.setAttribute('aria-disabled', String(i === maps.length - 1))
      }
      if (row.tr === cursor) cursor = cursor.nextSibling
      else tbody.insertBefore(row.tr, cursor)
    })
    while (cursor) { const next = cursor.nextSibling; cursor.remove(); cursor = next }
    table.hidden = maps.length === 0
    empty.hidden = maps.length > 0
    if (focus && !(focus.lost && tbody.contains(document.activeElement))) {
      const tr = [...tbody.children].find((r) => r.dataset.id === focus.id)
      tr?.querySelector(`[data-ctl="${focus.ctl}"]`)?.focus()
    }
  }

  array.observeDeep((events) => {
    let structural = false
    for (const event of events) {
      if (event.target === array) structural = true
      else if (event.target instanceof Y.Map) rows.get(event.target)?.refresh(event.keysChanged)
    }
    if (structural) render()
  })
  render()
}

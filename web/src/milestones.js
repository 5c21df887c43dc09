// The plan process's milestones, bound to the `milestones` Y.Array of Y.Map
// {id, title, date, responsible, done}. Values are plain (last writer wins); a move deletes the
// map and inserts a copy, as for tiltak rows.

import * as Y from 'yjs'
import { h, uid, uuid, debounce, undoChord } from './util.js'

const FIELDS = [
  { key: 'title', label: 'Milepæl', placeholder: '' },
  { key: 'date', label: 'Dato', placeholder: 'f.eks. 2026-03-01' },
  { key: 'responsible', label: 'Ansvarlig', placeholder: '', list: 'samskriv-enheter' }
]

const str = (map, key) => {
  const v = map.get(key)
  return v == null ? '' : v instanceof Y.AbstractType ? v.toString() : String(v)
}

export function mountMilestones (root, { doc, origin, undoManager, editable }) {
  const array = doc.getArray('milestones')
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
    map.set('id', id)
    map.set('title', '')
    map.set('date', '')
    map.set('responsible', '')
    map.set('done', false)
    pendingFocus = { id, ctl: 'title' }
    transact(() => array.push([map]))
  }

  function makeRow (map) {
    const id = str(map, 'id')
    const nameId = uid('ms')
    const controls = []
    const inputs = []
    const tr = h('tr', { 'data-id': id })
    for (const f of FIELDS) {
      const input = h('input', { type: 'text', 'data-ctl': f.key, readonly: !editable, placeholder: f.placeholder || null, list: f.list || null, autocomplete: 'off' })
      if (f.key === 'title') input.id = nameId
      inputs.push([input, f.label])
      let dirty = false
      const write = debounce(() => {
        if (str(map, f.key) !== input.value) transact(() => map.set(f.key, input.value))
      }, 300)
      input.addEventListener('input', () => { dirty = true; write() })
      input.addEventListener('blur', () => { write.flush(); dirty = false })
      controls.push({
        key: f.key,
        flush: () => write.flush(),
        refresh: () => {
          if (dirty && document.activeElement === input) return
          const v = str(map, f.key)
          if (input.value !== v) input.value = v
        }
      })
      tr.append(h('td', {}, input))
    }
    const done = h('input', { type: 'checkbox', 'data-ctl': 'done', disabled: !editable })
    inputs.push([done, 'Ferdig'])
    done.addEventListener('change', () => transact(() => map.set('done', done.checked)))
    controls.push({ key: 'done', refresh: () => { done.checked = map.get('done') === true || map.get('done') === 'true' } })
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
    pendingFocus = { id: str(map, 'id'), ctl: dir < 0 ? 'opp' : 'ned' }
    transact(() => { array.delete(from, 1); array.insert(to, [copy]) })
  }

  function remove (map) {
    const from = array.toArray().indexOf(map)
    if (from < 0) return
    const title = str(map, 'title') || 'uten navn'
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

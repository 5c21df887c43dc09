// A small live table over a Y.Array of flat Y.Maps: one row per map, a text field (or a
// checkbox) per column, rows added, moved and deleted with «Angre». The milestones and the key
// figures are such tables. Values are plain (last writer wins); a move deletes the map and
// inserts a copy, as for tiltak rows.

import * as Y from 'yjs'
import { h, uid, uuid, undoChord } from './util.js'
import { mapText, mapBool } from './layout.js'
import { transactStep, deleteWithUndo } from './undo.js'
import { bindInput, moveAmong } from './mapform.js'

/**
 * Mounts the table in `root`, replacing the server-rendered one.
 * @param {object} ctx   { doc, origin, undoManager, editable }
 * @param {object} spec  { array, idKey, titleKey, columns: [{key, label, bool?, placeholder?, inputmode?}],
 *   owns?(map), fill?(map) (keys of a new map besides id and empty columns), className,
 *   caption, addLabel, emptyText, noun (e.g. "milepæl", for labels "Dato, milepæl 2"),
 *   deleted(title), back, untitled }
 * Returns `{ destroy }`.
 */
export function mountMapTable (root, ctx, spec) {
  const { array, columns, idKey, titleKey } = spec
  const { editable } = ctx
  const owns = spec.owns || (() => true)
  const rows = new Map() // Y.Map → row
  let pendingFocus = null
  const tbody = h('tbody')
  const table = h('table', { class: `${spec.className} redigerbar map-tabell` },
    h('caption', { class: 'skjult' }, spec.caption),
    h('thead', {}, h('tr', {},
      columns.map((c) => h('th', { scope: 'col' }, c.label)),
      editable ? h('th', { scope: 'col' }, 'Handlinger') : null)),
    tbody)
  const empty = h('p', { class: 'tomt' }, spec.emptyText)
  const message = h('div', { class: 'tiltak-melding', role: 'status' })
  const add = editable
    ? h('button', { type: 'button', class: 'sekundaer legg-til', onclick: () => addRow() }, spec.addLabel)
    : null
  const el = h('div', { class: `${spec.className}-editor` }, table, empty, add, message)
  for (const old of root.querySelectorAll(':scope > table, :scope > .tomt')) old.remove()
  root.append(el)
  el.addEventListener('keydown', (event) => {
    const chord = undoChord(event)
    if (chord && editable) {
      event.preventDefault()
      ctx.undoManager.stopCapturing()
      if (chord === 'undo') ctx.undoManager.undo()
      else ctx.undoManager.redo()
    }
  })

  const mine = () => array.toArray().filter((m) => m instanceof Y.Map && owns(m))

  function addRow () {
    const map = new Y.Map()
    const id = uuid()
    map.set(idKey, id)
    for (const c of columns) map.set(c.key, c.bool ? false : '')
    spec.fill?.(map)
    pendingFocus = { id, ctl: columns[0].key }
    transactStep(ctx, () => array.push([map]))
  }

  function makeRow (map) {
    const id = mapText(map, idKey)
    const nameId = uid('rad')
    const controls = []
    const labelled = []
    const tr = h('tr', { 'data-id': id })
    for (const c of columns) {
      let input
      if (c.bool) {
        input = h('input', { type: 'checkbox', 'data-ctl': c.key, disabled: !editable })
        input.addEventListener('change', () => transactStep(ctx, () => map.set(c.key, input.checked)))
        controls.push({ key: c.key, refresh: () => { input.checked = mapBool(map, c.key) } })
        tr.append(h('td', { class: 'midt', 'data-label': c.label }, input))
      } else {
        input = h('input', {
          type: 'text', 'data-ctl': c.key, readonly: !editable, autocomplete: 'off',
          placeholder: c.placeholder || null, list: c.list || null, inputmode: c.inputmode || null
        })
        if (c.key === titleKey) input.id = nameId
        controls.push({ key: c.key, ...bindInput(input, map, c.key, ctx) })
        tr.append(h('td', { 'data-label': c.label }, input))
      }
      labelled.push([input, c.label])
    }
    const button = (ctl, glyph, spoken, fn) => {
      const bid = uid('knapp')
      return h('button', {
        type: 'button', id: bid, class: `handling handling-${ctl}`, 'data-ctl': ctl, title: spoken,
        'aria-labelledby': `${bid} ${nameId}`,
        onclick: (e) => { if (e.currentTarget.getAttribute('aria-disabled') !== 'true') fn() }
      }, h('span', { 'aria-hidden': 'true' }, glyph), h('span', { class: 'skjult' }, spoken))
    }
    const up = editable ? button('opp', '↑', 'Flytt opp', () => move(map, -1, 'opp')) : null
    const down = editable ? button('ned', '↓', 'Flytt ned', () => move(map, 1, 'ned')) : null
    const del = editable ? button('slett', 'Slett', 'Slett', () => remove(map)) : null
    if (editable) tr.append(h('td', { 'data-label': 'Handlinger' }, h('div', { class: 'handlinger' }, up, down, del)))
    const row = {
      id, tr, up, down,
      /** Labels name the row: "Dato, milepæl 2". */
      setNumber: (n) => { for (const [input, label] of labelled) input.setAttribute('aria-label', `${label}, ${spec.noun} ${n}`) },
      refresh: (keys) => { for (const c of controls) if (!keys || keys.has(c.key)) c.refresh() },
      flush: () => { for (const c of controls) c.flush?.() }
    }
    row.refresh()
    return row
  }

  function move (map, dir, ctl) {
    rows.get(map)?.flush()
    pendingFocus = { id: mapText(map, idKey), ctl }
    if (!moveAmong(ctx, array, map, mine(), dir)) pendingFocus = null
  }

  function remove (map) {
    rows.get(map)?.flush()
    const index = array.toArray().indexOf(map)
    if (index < 0) return
    const title = mapText(map, titleKey) || spec.untitled
    deleteWithUndo(ctx, {
      message,
      text: spec.deleted(title),
      back: spec.back,
      remove: () => array.delete(index, 1),
      after: () => focusRow({ id: mapText(map, idKey), ctl: 'slett' })
    })
  }

  function focusRow (focus) {
    const tr = [...tbody.children].find((r) => r.dataset.id === focus.id)
    tr?.querySelector(`[data-ctl="${focus.ctl}"]`)?.focus()
  }

  function render () {
    const maps = mine()
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
      row.up?.setAttribute('aria-disabled', String(i === 0))
      row.down?.setAttribute('aria-disabled', String(i === maps.length - 1))
      if (row.tr === cursor) cursor = cursor.nextSibling
      else tbody.insertBefore(row.tr, cursor)
    })
    while (cursor) { const next = cursor.nextSibling; cursor.remove(); cursor = next }
    table.hidden = maps.length === 0
    empty.hidden = maps.length > 0
    if (focus && !(focus.lost && tbody.contains(document.activeElement))) focusRow(focus)
  }

  const observer = (events) => {
    let structural = false
    for (const event of events) {
      if (event.target === array) structural = true
      else if (event.target instanceof Y.Map) rows.get(event.target)?.refresh(event.keysChanged)
    }
    if (structural) render()
  }
  array.observeDeep(observer)
  render()
  return { destroy: () => { array.unobserveDeep(observer); el.remove() } }
}

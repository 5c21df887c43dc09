// The tiltak table, bound to the plan's `tiltak` Y.Array of Y.Map rows.
//
// - Rows are grouped by `strategi` (see ROLE) in the template's order (as real plans print them), then in
//   array order. Each tiltak section of the page is a view on the rows whose `section` names it;
//   the template's own tiltak section also shows rows without a section, and the first view
//   shows rows whose section matches no view, so no row is ever invisible.
// - long_text fields are Y.Text, bound to textareas by minimal diffs: two people typing in one
//   cell both keep their text. Other fields are plain strings (last writer wins).
// - Reordering: a Y.Array cannot move an element, so a move deletes the row and inserts a new
//   Y.Map with the same id and values (long_text cells re-created as new Y.Text with the text).
//   Trade-off: someone typing in that row's long text cell at the very moment of the move loses
//   those keystrokes (they land in the deleted copy), and undo history inside the moved cells
//   restarts. Moves are rare and quick, so this is accepted over a fractional-index order field,
//   which would change the layout the server and the exports read.

import * as Y from 'yjs'
import { h, uid, uuid, debounce, undoChord } from './util.js'
import { bindYText } from './ytext-binding.js'
import { RowKey, shared, mapText } from './layout.js'

/**
 * The template fields this table gives a role of its own. The page data does not say which
 * fields are columns, or which one groups, filters or names a row, so these names of the KoRus
 * template's fields are the editor's one assumption about a template, all of them here; a
 * template without one of them only loses that role. Every other field comes from the schema in
 * the page data (`tiltak_fields`).
 */
const ROLE = Object.freeze({
  /**
   * Columns shown in the row itself (they fit a 1280-px screen beside the table of contents);
   * the other fields are under "Mer", in the template's order.
   */
  columns: Object.freeze(['tiltak', 'ansvarlig', 'frist', 'status']),
  /** Rows are grouped by this enum field's options, in the template's order. */
  group: 'strategi',
  /** Filtered by: the responsible unit, and the status. */
  responsible: 'ansvarlig',
  status: 'status',
  /** The row's text, in messages and comment quotes. */
  title: 'tiltak'
})
const NO_STRATEGI = 'Uten strategi'

/** A copy of a row map for a move: same id and values, long texts as new Y.Text. */
export function copyRow (map, fields) {
  const copy = new Y.Map()
  const texts = new Set() // keys copied as Y.Text (the copy itself cannot be read before it is in a doc)
  for (const [key, value] of map.entries()) {
    if (value instanceof Y.Text) {
      copy.set(key, new Y.Text(value.toString()))
      texts.add(key)
    } else if (value instanceof Y.AbstractType) {
      copy.set(key, value.toJSON())
    } else {
      copy.set(key, value)
    }
  }
  for (const field of fields) {
    if (field.type === 'long_text' && !texts.has(field.name)) {
      copy.set(field.name, new Y.Text(mapText(map, field.name)))
    }
  }
  return copy
}

export class TiltakTables {
  /**
   * @param {object} ctx  { doc, fields, origin, undoManager, editable }
   */
  constructor (ctx) {
    this.ctx = ctx
    this.array = shared.tiltak(ctx.doc)
    this.views = []
    this.commentCounts = new Map() // row id → open comment threads
    this.array.observeDeep((events, tr) => this.onEvents(events, tr))
  }

  /** Marks rows with open comment threads (`counts`: row id → number). */
  setCommentCounts (counts) {
    this.commentCounts = counts
    for (const view of this.views) {
      for (const row of view.rows.values()) row.setCommentCount(counts.get(row.id) || 0)
    }
  }

  /** The section id of the view that shows row `id`, or null. */
  sectionOfRow (id) {
    const map = this.maps().find((m) => mapText(m, RowKey.ID) === id)
    return map ? this.viewOf(map)?.sectionId || null : null
  }

  /** Puts focus on row `id` (clearing filters that hide it). */
  focusRow (id) {
    for (const view of this.views) {
      const row = [...view.rows.values()].find((r) => r.id === id)
      if (!row) continue
      if (row.tr.hidden) { view.clearFilters(); view.applyFilters() }
      const first = row.tr.querySelector('[data-ctl]')
      row.tr.scrollIntoView({ block: 'center' })
      first?.focus({ preventScroll: true })
      return
    }
  }

  addView (root, sectionId, isDefault) {
    const view = new TiltakView(this, root, sectionId, isDefault)
    this.views.push(view)
    return view
  }

  removeView (view) {
    this.views = this.views.filter((v) => v !== view)
    view.destroy()
    this.renderAll()
  }

  /** The view a row belongs to. */
  viewOf (map) {
    const section = mapText(map, RowKey.SECTION)
    if (section) {
      const view = this.views.find((v) => v.sectionId === section)
      if (view) return view
    } else {
      const view = this.views.find((v) => v.isDefault)
      if (view) return view
    }
    return this.views[0] || null
  }

  maps () {
    return this.array.toArray().filter((item) => item instanceof Y.Map)
  }

  renderAll () {
    const maps = this.maps()
    for (const view of this.views) view.render(maps)
  }

  onEvents (events) {
    let structural = false
    for (const event of events) {
      if (event.target === this.array) { structural = true; continue }
      if (event.target instanceof Y.Map) {
        const keys = event.keysChanged
        if (keys.has(ROLE.group) || keys.has(RowKey.SECTION)) { structural = true; continue }
        for (const view of this.views) view.rowChanged(event.target, keys)
      }
    }
    if (structural) this.renderAll()
  }
}

class TiltakView {
  constructor (tables, root, sectionId, isDefault) {
    this.tables = tables
    this.ctx = tables.ctx
    this.root = root
    this.sectionId = sectionId
    this.isDefault = isDefault
    this.rows = new Map() // Y.Map → Row
    this.expanded = new Set() // row ids with their extra fields open
    this.filters = { strategi: '', ansvarlig: '', status: '' }
    this.pendingFocus = null
    this.key = uid('tv')
    const fields = this.ctx.fields
    this.mainFields = ROLE.columns.map((n) => fields.find((f) => f.name === n)).filter(Boolean)
    this.extraFields = fields.filter((f) => !this.mainFields.includes(f))
    this.strategiField = fields.find((f) => f.name === ROLE.group)
    this.statusField = fields.find((f) => f.name === ROLE.status)
    this.build()
  }

  labelId (field) { return `${this.key}-felt-${field.name}` }

  build () {
    const ctx = this.ctx
    // Hidden column names, referenced by every control's aria-labelledby.
    const labels = h('div', { hidden: true },
      this.ctx.fields.map((f) => h('span', { id: this.labelId(f) }, f.label)))
    const filterStrategi = h('select', { id: `${this.key}-f-strategi` })
    const filterAnsvarlig = h('select', { id: `${this.key}-f-ansvarlig` })
    const filterStatus = h('select', { id: `${this.key}-f-status` })
    filterStrategi.append(h('option', { value: '' }, 'Alle'))
    for (const o of this.strategiField?.options || []) filterStrategi.append(h('option', { value: o.value }, o.short_label || o.label))
    filterStrategi.append(h('option', { value: '__ingen' }, NO_STRATEGI))
    filterStatus.append(h('option', { value: '' }, 'Alle'))
    for (const o of this.statusField?.options || []) filterStatus.append(h('option', { value: o.value }, o.short_label || o.label))
    filterAnsvarlig.append(h('option', { value: '' }, 'Alle'))
    this.filterAnsvarlig = filterAnsvarlig
    const onFilter = () => {
      this.filters = { strategi: filterStrategi.value, ansvarlig: filterAnsvarlig.value, status: filterStatus.value }
      this.applyFilters()
    }
    for (const s of [filterStrategi, filterAnsvarlig, filterStatus]) s.addEventListener('change', onFilter)
    this.count = h('p', { class: 'tiltak-antall', role: 'status' })
    this.undoButton = h('button', { type: 'button', class: 'sekundaer', onclick: () => this.undo('undo'), 'aria-keyshortcuts': 'Control+Z' }, 'Angre')
    this.redoButton = h('button', { type: 'button', class: 'sekundaer', onclick: () => this.undo('redo'), 'aria-keyshortcuts': 'Control+Shift+Z' }, 'Gjør om')
    const filterBar = h('div', { class: 'tiltak-filter', role: 'group', 'aria-label': 'Filtrer tiltak' },
      h('div', { class: 'felt' }, h('label', { for: filterStrategi.id }, 'Strategi'), filterStrategi),
      h('div', { class: 'felt' }, h('label', { for: filterAnsvarlig.id }, 'Ansvarlig'), filterAnsvarlig),
      h('div', { class: 'felt' }, h('label', { for: filterStatus.id }, 'Status'), filterStatus),
      ctx.editable ? h('div', { class: 'angre-knapper' }, this.undoButton, this.redoButton) : null)
    this.message = h('div', { class: 'tiltak-melding', role: 'status' })
    this.groupsEl = h('div', { class: 'tiltak-grupper' })
    this.el = h('div', { class: 'tiltak-editor', 'data-section-id': this.sectionId }, labels, filterBar, this.count, this.message, this.groupsEl)
    this.el.addEventListener('keydown', (event) => {
      const chord = undoChord(event)
      if (chord && ctx.editable) {
        event.preventDefault()
        this.undo(chord)
        return
      }
      // Alt+Shift+↑/↓ moves the row that has focus, and focus stays in the same control.
      if (ctx.editable && event.altKey && event.shiftKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
        const tr = event.target.closest?.('tr[data-row-id]')
        const row = tr && [...this.rows.values()].find((r) => r.id === tr.dataset.rowId)
        if (row) {
          event.preventDefault()
          this.move(row, event.key === 'ArrowUp' ? -1 : 1, event.target.dataset.ctl)
        }
      }
    })
    // Replace the server-rendered tables.
    for (const el of this.root.querySelectorAll(':scope > .tiltak-tabell, :scope > .tomt')) el.remove()
    this.root.append(this.el)
    this.groups = new Map()
    const groupDefs = (this.strategiField?.options || []).map((o) => ({ value: o.value, label: o.label, short: o.short_label || o.label }))
    // A template without strategies has one group of all rows.
    const single = groupDefs.length === 0
    groupDefs.push({ value: '__ingen', label: single ? 'Tiltak' : NO_STRATEGI, short: single ? 'nytt' : NO_STRATEGI, always: single })
    for (const def of groupDefs) this.groups.set(def.value, this.buildGroup(def))
    const refreshUndo = () => this.refreshUndo()
    ctx.undoManager.on('stack-item-added', refreshUndo)
    ctx.undoManager.on('stack-item-popped', refreshUndo)
    this.refreshUndo()
  }

  refreshUndo () {
    const um = this.ctx.undoManager
    this.undoButton.setAttribute('aria-disabled', String(um.undoStack.length === 0))
    this.redoButton.setAttribute('aria-disabled', String(um.redoStack.length === 0))
  }

  undo (which) {
    const um = this.ctx.undoManager
    for (const view of this.tables.views) view.flushAll()
    um.stopCapturing()
    if (which === 'undo') um.undo()
    else um.redo()
  }

  buildGroup (def) {
    const captionId = uid('tg')
    const count = h('span', { class: 'antall' })
    const thead = h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'nr' }, 'Nr.'),
      this.mainFields.map((f) => h('th', { scope: 'col', class: `kol-${f.name}` }, f.label)),
      h('th', { scope: 'col', class: 'kol-handlinger' }, 'Handlinger')))
    const tbody = h('tbody')
    const table = h('table', { class: 'tiltak-tabell redigerbar', 'aria-labelledby': captionId },
      h('caption', { id: captionId }, def.label, ' ', count), thead, tbody)
    const empty = h('p', { class: 'tomt' }, 'Ingen tiltak under denne strategien ennå.')
    const add = this.ctx.editable
      ? h('button', { type: 'button', class: 'sekundaer legg-til', onclick: () => this.addRow(def.value) },
        `Legg til tiltak: ${def.short}`)
      : null
    const el = h('div', { class: 'tiltak-gruppe', 'data-strategi': def.value },
      h('h5', { class: 'skjult' }, def.label), table, empty, add)
    this.groupsEl.append(el)
    return { def, el, table, tbody, empty, count, rows: [] }
  }

  groupKey (map) {
    const value = mapText(map, ROLE.group)
    return this.groups.has(value) && value !== '__ingen' ? value : '__ingen'
  }

  flushAll () {
    for (const row of this.rows.values()) row.flush()
  }

  /** Re-renders rows (keyed by their Y.Map), keeping focus where it was. */
  render (maps) {
    const mine = maps.filter((m) => this.tables.viewOf(m) === this)
    // Remember focus, to put it back if a row element is replaced (a move re-creates the map).
    const active = document.activeElement
    let focus = this.pendingFocus
    this.pendingFocus = null
    if (!focus && active && this.el.contains(active)) {
      const tr = active.closest('tr[data-row-id]')
      if (tr && active.dataset.ctl) {
        focus = { id: tr.dataset.rowId, ctl: active.dataset.ctl, start: active.selectionStart, end: active.selectionEnd, only: 'lost' }
      }
    }
    const alive = new Set(mine)
    for (const [map, row] of this.rows) {
      if (!alive.has(map)) { row.destroy(); this.rows.delete(map) }
    }
    for (const group of this.groups.values()) group.rows = []
    for (const map of mine) {
      let row = this.rows.get(map)
      if (!row) { row = new Row(this, map); this.rows.set(map, row) }
      this.groups.get(this.groupKey(map)).rows.push(row)
    }
    let number = 0
    for (const group of this.groups.values()) {
      const desired = []
      for (const row of group.rows) {
        number += 1
        row.setNumber(number)
        desired.push(row.tr)
        if (row.details) desired.push(row.details)
      }
      let cursor = group.tbody.firstChild
      for (const el of desired) {
        if (el === cursor) { cursor = cursor.nextSibling; continue }
        group.tbody.insertBefore(el, cursor)
      }
      while (cursor) { const next = cursor.nextSibling; cursor.remove(); cursor = next }
      group.rows.forEach((row, i) => row.setEnds(i === 0, i === group.rows.length - 1))
    }
    this.total = number
    this.refreshAnsvarligFilter()
    this.applyFilters()
    if (focus && !(focus.only === 'lost' && document.activeElement && document.activeElement !== document.body && this.el.contains(document.activeElement))) {
      this.focusControl(focus)
    }
  }

  focusControl ({ id, ctl, start, end }) {
    for (const row of this.rows.values()) {
      if (row.id !== id) continue
      if (ctl && (ctl.startsWith('extra:')) && !row.details) row.toggleDetails(true)
      const el = row.tr.querySelector(`[data-ctl="${ctl}"]`) || row.details?.querySelector(`[data-ctl="${ctl}"]`)
      if (el) {
        el.focus()
        if (start != null && typeof el.setSelectionRange === 'function') {
          try { el.setSelectionRange(start, end) } catch { /* not a text field */ }
        }
      }
      return
    }
  }

  refreshAnsvarligFilter () {
    const values = new Set()
    for (const row of this.rows.values()) {
      const v = mapText(row.map, ROLE.responsible).trim()
      if (v) values.add(v)
    }
    const sorted = [...values].sort((a, b) => a.localeCompare(b, 'nb'))
    const key = sorted.join('\u0000')
    if (key === this.ansvarligKey) return
    this.ansvarligKey = key
    const select = this.filterAnsvarlig
    const current = select.value
    select.replaceChildren(h('option', { value: '' }, 'Alle'), ...sorted.map((v) => h('option', { value: v }, v)))
    select.value = values.has(current) ? current : ''
    if (select.value !== current) this.filters.ansvarlig = select.value
  }

  matches (row) {
    const { strategi, ansvarlig, status } = this.filters
    if (strategi && this.groupKey(row.map) !== strategi) return false
    if (ansvarlig && mapText(row.map, ROLE.responsible).trim() !== ansvarlig) return false
    if (status && mapText(row.map, ROLE.status) !== status) return false
    return true
  }

  applyFilters () {
    let shown = 0
    const filtering = Object.values(this.filters).some(Boolean)
    for (const group of this.groups.values()) {
      let visible = 0
      for (const row of group.rows) {
        const match = this.matches(row)
        row.tr.hidden = !match
        if (row.details) row.details.hidden = !match || !this.expanded.has(row.id)
        if (match) visible += 1
      }
      shown += visible
      group.count.textContent = `(${filtering ? `${visible} av ${group.rows.length}` : group.rows.length})`
      group.table.hidden = visible === 0
      const isNone = group.def.value === '__ingen'
      // "Uten strategi" is shown only when it has rows; filtered-out groups disappear.
      const hideGroup = (isNone && group.rows.length === 0 && !group.def.always) ||
        (this.filters.strategi && this.filters.strategi !== group.def.value) ||
        (filtering && visible === 0 && group.rows.length > 0)
      group.el.hidden = !!hideGroup
      group.empty.hidden = group.rows.length > 0
    }
    this.count.textContent = filtering
      ? `Viser ${shown} av ${this.total} tiltak.`
      : `${this.total} tiltak.`
  }

  rowChanged (map, keys) {
    const row = this.rows.get(map)
    if (!row) return
    row.update(keys)
    if (keys.has(ROLE.responsible)) this.refreshAnsvarligFilter()
    if (keys.has(ROLE.responsible) || keys.has(ROLE.status)) this.applyFilters()
  }

  say (text) {
    this.message.replaceChildren(text)
  }

  transact (fn) {
    this.ctx.undoManager.stopCapturing()
    this.ctx.doc.transact(fn, this.ctx.origin)
    this.ctx.undoManager.stopCapturing()
  }

  addRow (strategi) {
    const id = uuid()
    const map = new Y.Map()
    map.set(RowKey.ID, id)
    if (!this.isDefault) map.set(RowKey.SECTION, this.sectionId)
    for (const field of this.ctx.fields) {
      if (field.type === 'long_text') map.set(field.name, new Y.Text(field.default || ''))
      else if (field.name === ROLE.group && strategi && strategi !== '__ingen') map.set(field.name, strategi)
      else if (field.default) map.set(field.name, field.default)
    }
    const first = this.mainFields.find((f) => f.type === 'long_text') || this.mainFields[0]
    this.pendingFocus = { id, ctl: first ? `main:${first.name}` : null }
    // A filter that would hide the new row is cleared.
    if (Object.values(this.filters).some(Boolean)) this.clearFilters()
    this.transact(() => this.tables.array.push([map]))
    this.say('Nytt tiltak lagt til.')
  }

  clearFilters () {
    this.filters = { strategi: '', ansvarlig: '', status: '' }
    for (const s of this.el.querySelectorAll('.tiltak-filter select')) s.value = ''
  }

  /** Moves a row past its visible neighbour in its group (-1 up, +1 down). */
  move (row, dir, focusCtl) {
    const group = this.groups.get(this.groupKey(row.map))
    const visible = group.rows.filter((r) => !r.tr.hidden)
    const at = visible.indexOf(row)
    const neighbour = visible[at + dir]
    if (!neighbour) return
    const items = this.tables.array.toArray()
    const from = items.indexOf(row.map)
    const to = items.indexOf(neighbour.map)
    if (from < 0 || to < 0) return
    row.flush()
    const copy = copyRow(row.map, this.ctx.fields)
    const active = document.activeElement
    this.pendingFocus = {
      id: row.id,
      ctl: focusCtl || (dir < 0 ? 'opp' : 'ned'),
      start: focusCtl ? active?.selectionStart : null,
      end: focusCtl ? active?.selectionEnd : null
    }
    this.transact(() => {
      this.tables.array.delete(from, 1)
      this.tables.array.insert(to, [copy])
    })
    this.say(dir < 0 ? 'Tiltaket er flyttet opp.' : 'Tiltaket er flyttet ned.')
  }

  delete (row) {
    const index = this.tables.array.toArray().indexOf(row.map)
    if (index < 0) return
    row.flush()
    const title = mapText(row.map, ROLE.title).trim().slice(0, 60) || 'uten tekst'
    const snapshot = copyRow(row.map, this.ctx.fields)
    const um = this.ctx.undoManager
    let item = null
    const capture = (event) => { item = event.stackItem }
    um.on('stack-item-added', capture)
    this.transact(() => this.tables.array.delete(index, 1))
    um.off('stack-item-added', capture)
    const undoButton = h('button', {
      type: 'button',
      class: 'sekundaer',
      onclick: () => {
        // The undo manager restores the very row when its deletion is still the last step;
        // otherwise a copy comes back in its old place.
        if (item && um.undoStack[um.undoStack.length - 1] === item) {
          um.undo()
        } else if (!this.tables.maps().some((m) => mapText(m, RowKey.ID) === row.id)) {
          this.transact(() => this.tables.array.insert(Math.min(index, this.tables.array.length), [copyRow(snapshot, this.ctx.fields)]))
        }
        this.message.replaceChildren('Tiltaket er tilbake.')
        this.pendingFocus = null
        this.focusControl({ id: row.id, ctl: 'slett' })
      }
    }, 'Angre sletting')
    this.message.replaceChildren(`Tiltaket «${title}» er slettet. `, undoButton)
    undoButton.focus()
  }
}

class Row {
  constructor (view, map) {
    this.view = view
    this.map = map
    this.id = mapText(map, RowKey.ID)
    this.controls = new Map() // field name → control
    this.details = null
    const editable = view.ctx.editable
    this.numId = uid('nr')
    this.numText = document.createTextNode('')
    this.tr = h('tr', { 'data-row-id': this.id },
      h('th', { scope: 'row', class: 'nr', id: this.numId }, h('span', { class: 'skjult' }, 'Tiltak '), this.numText))
    for (const field of view.mainFields) {
      const control = this.makeControl(field, 'main')
      control.el.setAttribute('aria-labelledby', `${view.labelId(field)} ${this.numId}`)
      this.tr.append(h('td', { class: `kol-${field.name}`, 'data-label': field.label }, control.el))
    }
    const detailsId = uid('detaljer')
    this.detailsId = detailsId
    this.moreButton = this.actionButton('mer', 'Mer', 'Mer', () => this.toggleDetails())
    this.moreButton.title = 'Vis eller skjul flere felt'
    this.moreButton.setAttribute('aria-expanded', 'false')
    this.moreButton.setAttribute('aria-controls', detailsId)
    const comments = view.ctx.comments
    if (comments?.canComment) {
      this.commentButton = this.actionButton('kommenter', 'Kommenter', 'Kommenter', () => {
        comments.composeRow(this.id, mapText(this.map, ROLE.title), this.commentButton)
      })
    }
    if (comments) {
      // Shown while the row has open comment threads; opens the first in the panel.
      this.commentCount = h('span', { class: 'skjult' })
      this.commentMark = h('span', { 'aria-hidden': 'true' })
      const markId = uid('knapp')
      this.commentMarker = h('button', {
        type: 'button', id: markId, class: 'handling kommentar-merke', 'data-ctl': 'kommentarer', hidden: true,
        'aria-labelledby': `${markId} ${this.numId}`,
        onclick: () => comments.showRow(this.id)
      }, this.commentMark, this.commentCount)
    }
    const actions = h('td', { class: 'kol-handlinger' }, h('div', { class: 'handlinger' }, this.commentMarker, this.moreButton,
      this.commentButton,
      editable ? [
        this.upButton = this.actionButton('opp', '↑', 'Flytt opp', () => view.move(this, -1), 'Alt+Shift+ArrowUp'),
        this.downButton = this.actionButton('ned', '↓', 'Flytt ned', () => view.move(this, 1), 'Alt+Shift+ArrowDown'),
        this.actionButton('slett', 'Slett', 'Slett', () => view.delete(this))
      ] : null))
    this.tr.append(actions)
    if (view.expanded.has(this.id)) this.toggleDetails(true)
    this.setCommentCount(view.tables.commentCounts.get(this.id) || 0)
  }

  setCommentCount (n) {
    if (!this.commentMarker || this.commentN === n) return
    this.commentN = n
    this.commentMarker.hidden = n === 0
    this.tr.classList.toggle('har-kommentar', n > 0)
    this.commentMark.textContent = String(n)
    this.commentCount.textContent = n === 1 ? '1 åpen kommentar til' : `${n} åpne kommentarer til`
  }

  actionButton (ctl, visible, spoken, onclick, shortcut) {
    const id = uid('knapp')
    const glyph = visible !== spoken
    return h('button', {
      type: 'button',
      id,
      class: `handling handling-${ctl}`,
      'data-ctl': ctl,
      'aria-labelledby': `${id} ${this.numId}`,
      'aria-keyshortcuts': shortcut || null,
      title: shortcut ? `${spoken} (${shortcut.replace('Arrow', '').replace('Up', '↑').replace('Down', '↓')})` : spoken,
      onclick: (event) => {
        if (event.currentTarget.getAttribute('aria-disabled') === 'true') return
        onclick()
      }
    }, glyph ? [h('span', { 'aria-hidden': 'true' }, visible), h('span', { class: 'skjult' }, spoken)] : visible)
  }

  setNumber (n) {
    const text = String(n)
    if (this.numText.data !== text) this.numText.data = text
  }

  setEnds (first, last) {
    if (!this.upButton) return
    this.upButton.setAttribute('aria-disabled', String(first))
    this.downButton.setAttribute('aria-disabled', String(last))
  }

  toggleDetails (force) {
    const open = force ?? !this.view.expanded.has(this.id)
    if (open) this.view.expanded.add(this.id)
    else this.view.expanded.delete(this.id)
    this.moreButton.setAttribute('aria-expanded', String(open))
    this.moreButton.textContent = open ? 'Mindre' : 'Mer'
    if (open && !this.details) {
      const cols = this.view.mainFields.length + 2
      const grid = h('div', { class: 'detaljer-felt' })
      for (const field of this.view.extraFields) {
        const control = this.makeControl(field, 'extra')
        control.el.id = uid('felt')
        control.el.setAttribute('aria-describedby', this.numId)
        grid.append(h('div', { class: `felt felt-${field.type}` }, h('label', { for: control.el.id }, field.label), control.el))
      }
      this.details = h('tr', { class: 'tiltak-detaljer', id: this.detailsId, 'data-row-id': this.id },
        h('td', { colspan: String(cols) }, grid))
      this.tr.after(this.details)
    }
    if (this.details) this.details.hidden = !open || this.tr.hidden
  }

  makeControl (field, place) {
    const editable = this.view.ctx.editable
    const ctl = `${place}:${field.name}`
    let control
    if (field.type === 'enum') {
      const select = h('select', { 'data-ctl': ctl, disabled: !editable })
      const empty = field.required ? 'Velg …' : '–'
      select.append(h('option', { value: '' }, empty))
      for (const o of field.options) select.append(h('option', { value: o.value, title: o.label }, o.short_label || o.label))
      select.addEventListener('change', () => this.set(field.name, select.value))
      control = { el: select, refresh: () => setSelect(select, mapText(this.map, field.name)) }
    } else if (field.type === 'long_text') {
      const area = h('textarea', { 'data-ctl': ctl, rows: place === 'main' ? '2' : '3', readonly: !editable })
      control = { el: area, binding: null }
      control.refresh = () => {
        const value = this.map.get(field.name)
        if (value instanceof Y.Text) {
          if (control.text !== value) {
            control.binding?.destroy()
            control.text = value
            control.binding = bindYText(area, value, this.view.ctx.origin)
          }
        } else {
          control.binding?.destroy()
          control.binding = null
          control.text = null
          area.value = mapText(this.map, field.name)
        }
      }
      // A cell that is not a Y.Text yet (written by another tool) becomes one on first input.
      area.addEventListener('input', () => {
        if (control.binding) return
        const text = new Y.Text(area.value)
        this.view.ctx.doc.transact(() => this.map.set(field.name, text), this.view.ctx.origin)
      })
    } else {
      const input = h('input', { type: 'text', 'data-ctl': ctl, readonly: !editable, autocomplete: 'off' })
      if (field.type === 'unit') input.setAttribute('list', 'samskriv-enheter')
      if (field.type === 'deadline') input.setAttribute('placeholder', 'f.eks. 2026')
      const write = debounce(() => this.set(field.name, input.value.trim() === '' ? '' : input.value), 300)
      input.addEventListener('input', () => { control.dirty = true; write() })
      input.addEventListener('change', () => { write.flush(); control.dirty = false })
      input.addEventListener('blur', () => { write.flush(); control.dirty = false })
      control = { el: input, write, dirty: false }
      control.refresh = () => {
        if (control.dirty && document.activeElement === input) return
        const value = mapText(this.map, field.name)
        if (input.value !== value) input.value = value
      }
      control.flush = () => write.flush()
    }
    this.controls.set(`${ctl}`, control)
    control.field = field
    control.refresh()
    return control
  }

  set (name, value) {
    const map = this.map
    if (mapText(map, name) === value) return
    this.view.transact(() => {
      if (value === '') map.delete(name)
      else map.set(name, value)
    })
  }

  flush () {
    for (const control of this.controls.values()) control.flush?.()
  }

  update (keys) {
    for (const control of this.controls.values()) {
      if (keys.has(control.field.name)) control.refresh()
    }
  }

  destroy () {
    for (const control of this.controls.values()) {
      control.binding?.destroy()
      if (control.write?.pending()) control.write.flush()
    }
    this.tr.remove()
    this.details?.remove()
  }
}

function setSelect (select, value) {
  if (![...select.options].some((o) => o.value === value)) {
    select.append(h('option', { value, 'data-ukjent': 'true' }, `${value} (ukjent verdi)`))
  }
  if (select.value !== value) select.value = value
}

// The tiltak table, bound to the plan's `tiltak` Y.Array of Y.Map rows, drawn from the
// template's schema in the page data (`tiltak_schema`): which fields are columns, which one groups
// the rows, which are filters, which names a row. No field name is spelled here; the logic that
// reads the schema is in tiltak-model.js.
//
// - Each tiltak section of the page is a view on the rows that name it (`section`, `sections`);
//   the template's own tiltak section also shows rows naming none, and the first view shows rows
//   whose sections are not on the page, so no row is ever invisible. A row in several views or
//   groups (multi_group "each") is one Y.Map drawn in each place, so it has one status.
// - long_text fields are Y.Text, bound to textareas by minimal diffs: two people typing in one
//   cell both keep their text. Other fields are plain values (last writer wins); list kinds
//   (multi_enum, goals, unit) are a new array of strings on each change.
// - Reordering: a Y.Array cannot move an element, so a move deletes the row and inserts a new
//   Y.Map with the same id and values (long_text cells re-created as new Y.Text with the text).
//   Trade-off: someone typing in that row's long text cell at the very moment of the move loses
//   those keystrokes (they land in the deleted copy), and undo history inside the moved cells
//   restarts. Moves are rare and quick, so this is accepted over a fractional-index order field,
//   which would change the layout the server and the exports read.

import * as Y from 'yjs'
import { h, uid, uuid, debounce, undoChord } from './util.js'
import { bindYText } from './ytext-binding.js'
import { RowKey, shared, mapText, mapList } from './layout.js'
import { transactStep, deleteWithUndo } from './undo.js'
import { readGoals } from './goals.js'
import {
  NONE, tableRoles, isListKind, fieldValues, fieldChoices, groupDefs, groupItems, rowSections,
  rowViews, validNumber, toggled, newRowValues, maxChars, columnWidths, charCount, counterState,
  counterMessage
} from './tiltak-model.js'

/** Width of the number and action columns together (editor.css), beside the fields' widths. */
const FIXED_COLUMNS = '13.5rem'

const ARROWS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'])

/** The rows' action buttons (their data-ctl) and the words that, with the row's number, name them. */
const ACTIONS = { apne: 'Åpne', opp: 'Flytt opp', ned: 'Flytt ned', kommenter: 'Kommenter', slett: 'Slett' }

/** The first control of a table cell that takes focus, or null. */
function focusableIn (cell) {
  return cell?.querySelector('[data-ctl]:not([hidden])') || null
}

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
   * @param {object} ctx  { doc, schema, units, origin, undoManager, editable, comments,
   *   targetSections: () => [{section, name}] (the target groups' tiltak sections, in order) }
   */
  constructor (ctx) {
    this.ctx = ctx
    this.roles = tableRoles(ctx.schema)
    this.array = shared.tiltak(ctx.doc)
    this.goalsArray = shared.goals(ctx.doc)
    this.goals = readGoals(this.goalsArray)
    this.views = []
    this.commentCounts = new Map() // row id → open comment threads
    this.suggestionCounts = new Map() // row id → open suggestions for its fields
    this.array.observeDeep((events) => this.onEvents(events))
    // Goals name groups (a goals group field) and choices (goals fields): redraw both.
    const goalsShape = [this.roles.groupField, ...this.roles.filterFields].some((f) => f?.type === 'goals')
    this.goalsArray.observeDeep(() => {
      this.goals = readGoals(this.goalsArray)
      this.eachRow((row) => row.refreshKind('goals'))
      if (goalsShape) this.renderAll()
    })
    shared.targetGroups(ctx.doc).observeDeep(() => this.eachRow((row) => row.refreshMembership()))
  }

  eachRow (fn) {
    for (const view of this.views) for (const row of view.allRows()) fn(row)
  }

  /** Marks rows with open comment threads (`counts`: row id → number). */
  setCommentCounts (counts) {
    this.commentCounts = counts
    this.eachRow((row) => row.setCommentCount(counts.get(row.id) || 0))
  }

  /** Marks rows with open suggestions (`counts`: row id → number). */
  setSuggestionCounts (counts) {
    this.suggestionCounts = counts
    this.eachRow((row) => row.setSuggestionCount(counts.get(row.id) || 0))
  }

  /** The row panel («Åpne»), made when first asked for. */
  panel () {
    this.rowPanel ||= new RowPanel()
    return this.rowPanel
  }

  panelIfMade () {
    return this.rowPanel || null
  }

  /** The section id of the first view that shows row `id`, or null. */
  sectionOfRow (id) {
    const view = this.views.find((v) => v.allRows().some((r) => r.id === id))
    return view?.sectionId || null
  }

  /** Puts focus on row `id` (clearing filters that hide it). */
  focusRow (id) {
    for (const view of this.views) {
      const row = view.allRows().find((r) => r.id === id)
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

  maps () {
    return this.array.toArray().filter((item) => item instanceof Y.Map)
  }

  /** Every view with the rows it shows, `[{map, others}]` (`others`: other sections of the row). */
  renderAll () {
    // Page order decides which view is "first".
    this.views.sort((a, b) => (a.root.compareDocumentPosition(b.root) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))
    const ids = this.views.map((v) => v.sectionId)
    const defaultId = this.views.find((v) => v.isDefault)?.sectionId || null
    const shown = new Map(this.views.map((v) => [v.sectionId, []]))
    for (const map of this.maps()) {
      const sections = rowSections(map)
      for (const id of rowViews(sections, ids, defaultId, this.roles.multiGroup)) {
        shown.get(id).push({ map, others: sections.filter((s) => s !== id && ids.includes(s)) })
      }
    }
    for (const view of this.views) view.render(shown.get(view.sectionId))
  }

  onEvents (events) {
    const groupName = this.roles.groupField?.name
    let structural = false
    for (const event of events) {
      if (event.target === this.array) { structural = true; continue }
      if (event.target instanceof Y.Map) {
        const keys = event.keysChanged
        if (keys.has(groupName) || keys.has(RowKey.SECTION) || keys.has(RowKey.SECTIONS)) structural = true
        for (const view of this.views) view.rowChanged(event.target, keys)
      }
    }
    if (structural) this.renderAll()
  }

  /** The name of a view's section for "Også i: …" (a target group's name), else its id. */
  sectionName (sectionId) {
    return this.ctx.targetSections?.().find((s) => s.section === sectionId)?.name || sectionId
  }
}

class TiltakView {
  constructor (tables, root, sectionId, isDefault) {
    this.tables = tables
    this.ctx = tables.ctx
    this.roles = tables.roles
    this.root = root
    this.sectionId = sectionId
    this.isDefault = isDefault
    this.groups = new Map() // group key → group
    this.expanded = new Set() // row ids with their extra fields open
    this.filters = new Map() // field name → chosen value ('' = all)
    this.pendingFocus = null
    this.total = 0
    this.key = uid('tv')
    this.rowsByTr = new WeakMap() // a row's <tr> (and its «Mer» row) → Row
    this.prototypeRow = null
    this.build()
  }

  /**
   * The <tr> every row of this view is cloned from: the number cell, one cell per column with
   * its control, and the action buttons, without ids, values or listeners.
   */
  rowPrototype () {
    if (this.prototypeRow) return this.prototypeRow
    const { ctx, roles } = this
    const editable = ctx.editable
    const comments = ctx.comments
    // A glyph (↑) is hidden from speech: the action's hidden name speaks for it.
    const action = (ctl, visible, name, shortcut) => h('button', {
      type: 'button',
      class: `handling handling-${ctl}`,
      'data-ctl': ctl,
      'aria-keyshortcuts': shortcut || null,
      title: shortcut ? `${name} (${shortcut.replace('Arrow', '').replace('Up', '↑').replace('Down', '↓')})` : name
    }, visible !== name ? h('span', { 'aria-hidden': 'true' }, visible) : visible)
    const open = action('apne', 'Åpne', ACTIONS.apne)
    open.setAttribute('aria-haspopup', 'dialog')
    open.title = 'Åpne tiltaket med alle feltene'
    const more = action('mer', 'Mer', 'Mer')
    more.title = 'Vis eller skjul flere felt'
    more.setAttribute('aria-expanded', 'false')
    this.prototypeRow = h('tr', {},
      h('th', { scope: 'row', class: 'nr' }, h('span', { class: 'skjult' }, 'Tiltak '), document.createTextNode('')),
      roles.mainFields.map((field, i) => h('td', { class: `kol-${field.name}`, 'data-label': field.label },
        controlElement(field, 'main', editable), i === 0 ? h('p', { class: 'ogsa-i', hidden: true }) : null)),
      // Two lines of buttons in a compact row: open, more, move; then comment, delete.
      h('td', { class: 'kol-handlinger' }, h('div', { class: 'handlinger' },
        open, more,
        editable ? [action('opp', '↑', ACTIONS.opp, 'Alt+Shift+ArrowUp'), action('ned', '↓', ACTIONS.ned, 'Alt+Shift+ArrowDown')] : null,
        comments?.canComment ? action('kommenter', 'Kommenter', ACTIONS.kommenter) : null,
        editable ? action('slett', 'Slett', ACTIONS.slett) : null)))
    return this.prototypeRow
  }

  labelId (field) { return `${this.key}-felt-${field.name}` }

  /** The id of an action's hidden name (ACTIONS), which with the row's number names its button. */
  actionLabelId (ctl) { return `${this.key}-handling-${ctl}` }

  allRows () {
    return [...this.groups.values()].flatMap((g) => [...g.rowsByMap.values()])
  }

  build () {
    const { ctx, roles } = this
    // Hidden field names, referenced by every control's aria-labelledby.
    const labels = h('div', { hidden: true }, roles.fields.map((f) => h('span', { id: this.labelId(f) }, f.label)),
      Object.entries(ACTIONS).map(([ctl, name]) => h('span', { id: this.actionLabelId(ctl) }, name)))
    this.filterSelects = roles.filterFields.map((field) => {
      const select = h('select', { id: `${this.key}-f-${field.name}`, 'data-field': field.name })
      select.addEventListener('change', () => { this.filters.set(field.name, select.value); this.applyFilters() })
      return { field, select, choicesKey: null }
    })
    this.count = h('p', { class: 'tiltak-antall', role: 'status' })
    this.undoButton = h('button', { type: 'button', class: 'sekundaer', onclick: () => this.undo('undo'), 'aria-keyshortcuts': 'Control+Z' }, 'Angre')
    this.redoButton = h('button', { type: 'button', class: 'sekundaer', onclick: () => this.undo('redo'), 'aria-keyshortcuts': 'Control+Shift+Z' }, 'Gjør om')
    // «Bred tabell»: the tables get the page's whole width (the side columns step aside).
    const layout = ctx.layout
    if (layout) {
      this.wideButton = h('button', {
        type: 'button', class: 'sekundaer bred-knapp', 'aria-pressed': String(layout.wide()),
        title: 'Gi tabellen hele sidens bredde: innholdsfortegnelsen og kommentarene legger seg utenfor',
        onclick: () => layout.setWide(!layout.wide())
      }, 'Bred tabell')
      this.onWide = (on) => this.wideButton.setAttribute('aria-pressed', String(on))
      layout.onChange(this.onWide)
    }
    const filterBar = h('div', { class: 'tiltak-filter', role: 'group', 'aria-label': 'Filtrer tiltak' },
      this.filterSelects.map(({ field, select }) => h('div', { class: 'felt' }, h('label', { for: select.id }, field.label), select)),
      h('div', { class: 'angre-knapper' }, this.wideButton, ctx.editable ? [this.undoButton, this.redoButton] : null))
    this.message = h('div', { class: 'tiltak-melding', role: 'status' })
    // Said once when a field's length counter reaches a new level, never on every keystroke.
    this.countLive = h('div', { class: 'skjult', 'aria-live': 'polite' })
    this.hintId = `${this.key}-hjelp`
    const hint = h('p', { class: 'skjult', id: this.hintId },
      'Tastatur: Alt + piltast flytter til cellen over, under, til venstre eller høyre. ' +
      (ctx.editable ? 'Alt + Shift + pil opp eller ned flytter tiltaket. ' : '') +
      '«Åpne» eller Alt + Enter viser alle feltene i tiltaket i et eget vindu; Esc lukker det.')
    this.groupsEl = h('div', { class: 'tiltak-grupper' })
    this.el = h('div', { class: 'tiltak-editor', 'data-section-id': this.sectionId }, labels, hint, filterBar, this.count, this.message, this.countLive, this.groupsEl)
    // Length counters: made when a text field first gets focus, updated as it is typed in.
    const counted = (event) => {
      const row = this.rowOf(event.target)
      const control = row?.controlOf(event.target)
      if (control) row.updateCounter(control, this.countLive)
    }
    this.el.addEventListener('focusin', counted)
    this.el.addEventListener('input', counted)
    // The rows' action buttons, all through one handler (see Row.act).
    this.el.addEventListener('click', (event) => {
      const button = event.target.closest?.('button.handling[data-ctl]')
      if (!button || button.getAttribute('aria-disabled') === 'true') return
      this.rowsByTr.get(button.closest('tr'))?.act(button.dataset.ctl)
    })
    this.el.addEventListener('keydown', (event) => {
      const chord = undoChord(event)
      if (chord && ctx.editable && !event.target.closest?.('.tiltak-melding')) {
        event.preventDefault()
        this.undo(chord)
        return
      }
      // Alt+Shift+↑/↓ moves the row that has focus, and focus stays in the same control.
      if (ctx.editable && event.altKey && event.shiftKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
        const row = this.rowOf(event.target)
        if (row) {
          event.preventDefault()
          this.move(row, event.key === 'ArrowUp' ? -1 : 1, event.target.dataset.ctl)
        }
        return
      }
      // Alt+Enter: the row's panel with all its fields, from any of its cells; Esc returns here.
      if (event.altKey && !event.shiftKey && !event.ctrlKey && !event.metaKey && event.key === 'Enter') {
        const row = this.rowOf(event.target)
        if (row) {
          event.preventDefault()
          this.tables.panel().open(row, event.target)
        }
        return
      }
      // Alt+arrow: to the neighbouring cell (another row: the same column).
      if (event.altKey && !event.shiftKey && !event.ctrlKey && !event.metaKey && ARROWS.has(event.key)) {
        if (this.moveFocus(event.target, event.key)) event.preventDefault()
      }
    })
    // Replace the server-rendered tables.
    for (const el of this.root.querySelectorAll(':scope > .tiltak-tabell, :scope > .tomt')) el.remove()
    this.root.append(this.el)
    this.refreshUndo = () => {
      const um = ctx.undoManager
      this.undoButton.setAttribute('aria-disabled', String(um.undoStack.length === 0))
      this.redoButton.setAttribute('aria-disabled', String(um.redoStack.length === 0))
    }
    ctx.undoManager.on('stack-item-added', this.refreshUndo)
    ctx.undoManager.on('stack-item-popped', this.refreshUndo)
    this.refreshUndo()
  }

  /** Moves focus from `el` to the cell the arrow `key` points at; false when there is none. */
  moveFocus (el, key) {
    const cell = el.closest?.('td, th')
    const tr = cell?.parentElement
    if (!tr || !tr.matches('tr[data-row-id]:not(.tiltak-detaljer)') || !this.el.contains(tr)) return false
    const cells = [...tr.children]
    const at = cells.indexOf(cell)
    const target = (row, i) => row.children[i]
    let next = null
    if (key === 'ArrowLeft' || key === 'ArrowRight') {
      const dir = key === 'ArrowLeft' ? -1 : 1
      for (let i = at + dir; i >= 0 && i < cells.length && !next; i += dir) next = focusableIn(cells[i])
    } else {
      const rows = [...this.el.querySelectorAll('tr[data-row-id]:not(.tiltak-detaljer):not([hidden])')]
      const other = rows[rows.indexOf(tr) + (key === 'ArrowUp' ? -1 : 1)]
      if (other) next = focusableIn(target(other, at)) || focusableIn(other)
    }
    if (!next) return false
    next.focus()
    next.scrollIntoView?.({ block: 'nearest', inline: 'nearest' })
    return true
  }

  destroy () {
    if (this.onWide) this.ctx.layout.offChange(this.onWide)
    this.ctx.undoManager.off('stack-item-added', this.refreshUndo)
    this.ctx.undoManager.off('stack-item-popped', this.refreshUndo)
    for (const row of this.allRows()) row.destroy()
    this.el.remove()
  }

  /** The row (in this view) of an element inside it. */
  rowOf (el) {
    const tr = el.closest?.('tr[data-row-id]')
    return (tr && this.rowsByTr.get(tr)) || null
  }

  undo (which) {
    const um = this.ctx.undoManager
    for (const view of this.tables.views) view.flushAll()
    um.stopCapturing()
    if (which === 'undo') um.undo()
    else um.redo()
  }

  /** The head of every table: the number, the editor's columns at their relative widths, actions. */
  buildGroup (def) {
    const captionId = uid('tg')
    const count = h('span', { class: 'antall' })
    const headCount = h('span', { class: 'antall' })
    const caption = h('span', {}, def.label)
    const widths = columnWidths(this.roles.mainFields, this.roles.titleField, FIXED_COLUMNS)
    const title = this.roles.titleField
    const thead = h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'nr' }, 'Nr.'),
      this.roles.mainFields.map((f) => h('th', {
        scope: 'col', class: `kol-${f.name}${f === title ? ' kol-tittel' : ''}`, style: `width: ${widths.get(f.name)}`
      }, f.label)),
      h('th', { scope: 'col', class: 'kol-handlinger' }, 'Handlinger')))
    const tbody = h('tbody')
    const table = h('table', { class: 'tiltak-tabell redigerbar', 'aria-labelledby': captionId, 'aria-describedby': this.hintId },
      h('caption', { id: captionId, class: 'skjult' }, caption, ' ', count), thead, tbody)
    const empty = h('p', { class: 'tomt' }, 'Ingen tiltak i denne gruppen ennå.')
    const addLabel = h('span')
    const add = this.ctx.editable
      ? h('button', { type: 'button', class: 'sekundaer legg-til', onclick: () => this.addRow(def.key) }, addLabel)
      : null
    // The group's heading, one level under the section's (sticky at the top of the scroll box).
    const headingText = h('span', {}, def.label)
    const heading = h(this.headingTag(), { class: 'tiltak-gruppe-tittel' }, headingText, ' ', headCount)
    const el = h('div', { class: 'tiltak-gruppe', 'data-group': def.key }, heading, table, empty, add)
    const group = { def, el, table, tbody, empty, count, headCount, heading, rowsByMap: new Map(), order: [] }
    // The column headings stick just under the group's heading, whatever its height.
    this.headObserver ||= typeof ResizeObserver === 'function'
      ? new ResizeObserver((entries) => {
        // The observer's own size, not offsetHeight: reading layout here would lay the whole
        // table out again for every heading.
        for (const e of entries) {
          const height = Math.round(e.borderBoxSize?.[0]?.blockSize ?? e.contentRect.height)
          const value = `${height}px`
          const style = e.target.parentElement?.style
          if (style && style.getPropertyValue('--gruppe-hode') !== value) style.setProperty('--gruppe-hode', value)
        }
      })
      : null
    this.headObserver?.observe(heading)
    group.setDef = (d) => {
      group.def = d
      caption.textContent = d.label
      headingText.textContent = d.label
      addLabel.textContent = `Legg til tiltak: ${d.short}`
    }
    group.setDef(def)
    return group
  }

  /** Makes the group tables match `defs` (goals come and go live), in their order. */
  syncGroups (defs) {
    const keys = new Set(defs.map((d) => d.key))
    for (const [key, group] of this.groups) {
      if (keys.has(key)) continue
      for (const row of group.rowsByMap.values()) row.destroy()
      this.headObserver?.unobserve(group.heading)
      group.el.remove()
      this.groups.delete(key)
    }
    const next = new Map()
    let cursor = this.groupsEl.firstChild
    for (const def of defs) {
      let group = this.groups.get(def.key)
      if (!group) group = this.buildGroup(def)
      else if (group.def.label !== def.label || group.def.short !== def.short) group.setDef(def)
      next.set(def.key, group)
      if (group.el === cursor) cursor = cursor.nextSibling
      else this.groupsEl.insertBefore(group.el, cursor)
    }
    this.groups = next
  }

  flushAll () {
    for (const row of this.allRows()) row.flush()
  }

  /** The tag of the groups' headings: one level under the section's heading. */
  headingTag () {
    const own = this.root.querySelector(':scope > h2, :scope > h3, :scope > h4, :scope > h5')
    const level = own ? Number(own.tagName.slice(1)) : 4
    return `h${Math.min(6, level + 1)}`
  }

  /** Re-renders rows (keyed by group and Y.Map), keeping focus where it was. */
  render (entries) {
    const { roles } = this
    // Remember focus, to put it back if a row element is replaced (a move re-creates the map).
    const active = document.activeElement
    let focus = this.pendingFocus
    this.pendingFocus = null
    if (!focus && active && this.el.contains(active)) {
      const row = this.rowOf(active)
      if (row && active.dataset.ctl) {
        focus = { id: row.id, group: row.group.def.key, ctl: active.dataset.ctl, start: active.selectionStart, end: active.selectionEnd, only: 'lost' }
      }
    }
    const defs = groupDefs(roles.groupField, this.tables.goals)
    this.syncGroups(defs)
    const labelOf = new Map(defs.map((d) => [d.key, d.short]))
    const placed = groupItems(entries, (e) => (roles.groupField ? fieldValues(e.map, roles.groupField) : []), defs, roles.multiGroup)
    let number = 0
    for (const group of this.groups.values()) {
      const mine = placed.get(group.def.key) || []
      const alive = new Set(mine.map((p) => p.item.map))
      for (const [map, row] of group.rowsByMap) {
        if (!alive.has(map)) { row.destroy(); group.rowsByMap.delete(map) }
      }
      const desired = []
      group.order = []
      for (const { item, others } of mine) {
        let row = group.rowsByMap.get(item.map)
        if (!row) { row = new Row(this, item.map, group); group.rowsByMap.set(item.map, row) }
        number += 1
        row.setNumber(number)
        // With "once", the row says where else it belongs.
        row.setAlso(roles.multiGroup === 'once'
          ? [...item.others.map((s) => this.tables.sectionName(s)), ...others.map((k) => labelOf.get(k))]
          : [])
        group.order.push(row)
        desired.push(row.tr)
        if (row.details) desired.push(row.details)
      }
      let cursor = group.tbody.firstChild
      for (const el of desired) {
        if (el === cursor) { cursor = cursor.nextSibling; continue }
        group.tbody.insertBefore(el, cursor)
      }
      while (cursor) { const next = cursor.nextSibling; cursor.remove(); cursor = next }
      group.order.forEach((row, i) => row.setEnds(i === 0, i === group.order.length - 1))
    }
    this.total = number
    this.refreshFilterChoices()
    this.applyFilters()
    if (focus && !(focus.only === 'lost' && document.activeElement && document.activeElement !== document.body && this.el.contains(document.activeElement))) {
      this.focusControl(focus)
    }
  }

  focusControl ({ id, group, ctl, start, end }) {
    const rows = this.allRows().filter((r) => r.id === id)
    const row = rows.find((r) => r.group.def.key === group) || rows[0]
    if (!row) return
    if (ctl && ctl.startsWith('extra:') && !row.details) row.toggleDetails(true)
    const el = row.tr.querySelector(`[data-ctl="${CSS.escape(ctl || '')}"]`) || row.details?.querySelector(`[data-ctl="${CSS.escape(ctl || '')}"]`)
    if (!el) return
    el.focus()
    if (start != null && typeof el.setSelectionRange === 'function') {
      try { el.setSelectionRange(start, end) } catch { /* not a text field */ }
    }
  }

  /**
   * The choices of each filter: an enum's options or the plan's goals; for other kinds the
   * values the rows of this view have (a unit field: the plan's units too).
   */
  refreshFilterChoices () {
    for (const filter of this.filterSelects) {
      const { field, select } = filter
      let choices = fieldChoices(field, this.tables.goals)
      if (choices.length === 0 && !['enum', 'multi_enum', 'goals'].includes(field.type)) {
        const values = new Set(field.type === 'unit' ? this.ctx.units || [] : [])
        for (const row of this.allRows()) for (const v of fieldValues(row.map, field)) values.add(v.trim())
        values.delete('')
        choices = [...values].sort((a, b) => a.localeCompare(b, 'nb')).map((v) => ({ value: v, short: v }))
      }
      const key = choices.map((c) => `${c.value}\u0001${c.short}`).join('\u0000')
      if (key === filter.choicesKey) continue
      filter.choicesKey = key
      const current = select.value
      select.replaceChildren(h('option', { value: '' }, 'Alle'),
        ...choices.map((c) => h('option', { value: c.value, title: c.label || null }, c.short)),
        h('option', { value: NONE }, `Uten ${field.label.toLowerCase()}`))
      select.value = [...select.options].some((o) => o.value === current) ? current : ''
      this.filters.set(field.name, select.value)
    }
  }

  matches (row) {
    for (const [name, value] of this.filters) {
      if (!value) continue
      const field = this.roles.fields.find((f) => f.name === name)
      const values = fieldValues(row.map, field).map((v) => v.trim())
      if (value === NONE ? values.length > 0 : !values.includes(value)) return false
    }
    return true
  }

  applyFilters () {
    let shown = 0
    const filtering = [...this.filters.values()].some(Boolean)
    for (const group of this.groups.values()) {
      let visible = 0
      for (const row of group.order) {
        const match = this.matches(row)
        row.tr.hidden = !match
        if (row.details) row.details.hidden = !match || !this.expanded.has(row.id)
        if (match) visible += 1
      }
      shown += visible
      const n = group.order.length
      group.count.textContent = `(${filtering ? `${visible} av ${n}` : n})`
      group.headCount.textContent = group.count.textContent
      group.table.hidden = visible === 0
      // «Uten …» is shown only when it has rows; while filtering, groups without matches go.
      group.el.hidden = (group.def.key === NONE && n === 0 && !group.def.always) || (filtering && visible === 0)
      group.empty.hidden = n > 0
    }
    this.count.textContent = filtering ? `Viser ${shown} av ${this.total} tiltak.` : `${this.total} tiltak.`
  }

  rowChanged (map, keys) {
    let filtered = false
    for (const group of this.groups.values()) {
      const row = group.rowsByMap.get(map)
      if (!row) continue
      row.update(keys)
      filtered = filtered || this.roles.filterFields.some((f) => keys.has(f.name))
    }
    if (filtered) { this.refreshFilterChoices(); this.applyFilters() }
  }

  say (text) {
    this.message.replaceChildren(text)
  }

  transact (fn) {
    transactStep(this.ctx, fn)
  }

  addRow (groupKey) {
    const id = uuid()
    const map = new Y.Map()
    map.set(RowKey.ID, id)
    if (!this.isDefault) map.set(RowKey.SECTION, this.sectionId)
    for (const field of this.roles.fields) {
      if (field.type === 'long_text') map.set(field.name, new Y.Text(field.default || ''))
    }
    for (const [name, value] of newRowValues(this.roles, groupKey)) map.set(name, value)
    const first = this.roles.mainFields.find((f) => f.type === 'long_text') || this.roles.mainFields[0]
    this.pendingFocus = { id, group: groupKey, ctl: first ? `main:${first.name}` : 'mer' }
    // A filter that would hide the new row is cleared.
    if ([...this.filters.values()].some(Boolean)) this.clearFilters()
    this.transact(() => this.tables.array.push([map]))
    this.say('Nytt tiltak lagt til.')
  }

  clearFilters () {
    for (const { field, select } of this.filterSelects) { select.value = ''; this.filters.set(field.name, '') }
  }

  /** Moves a row past its visible neighbour in its group (-1 up, +1 down). */
  move (row, dir, focusCtl) {
    const visible = row.group.order.filter((r) => !r.tr.hidden)
    const neighbour = visible[visible.indexOf(row) + dir]
    if (!neighbour) return
    const items = this.tables.array.toArray()
    const from = items.indexOf(row.map)
    const to = items.indexOf(neighbour.map)
    if (from < 0 || to < 0) return
    row.flush()
    const copy = copyRow(row.map, this.roles.fields)
    const active = document.activeElement
    this.pendingFocus = {
      id: row.id,
      group: row.group.def.key,
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
    const title = row.title().trim().slice(0, 60) || 'uten tekst'
    const snapshot = copyRow(row.map, this.roles.fields)
    const array = this.tables.array
    deleteWithUndo(this.ctx, {
      message: this.message,
      text: `Tiltaket «${title}» er slettet.`,
      label: 'Angre sletting',
      back: 'Tiltaket er tilbake.',
      remove: () => array.delete(index, 1),
      restore: () => {
        if (this.tables.maps().some((m) => mapText(m, RowKey.ID) === row.id)) return
        this.transact(() => array.insert(Math.min(index, array.length), [copyRow(snapshot, this.roles.fields)]))
      },
      after: () => { this.pendingFocus = null; this.focusControl({ id: row.id, group: row.group.def.key, ctl: 'slett' }) }
    })
  }
}

class Row {
  /**
   * A row is a clone of its view's row prototype (`TiltakView.rowPrototype`): one native copy
   * instead of a hundred elements made one by one, which is most of a 300-row table's first
   * render. What differs per row (ids, the labels that name the row, bindings) is set here; the
   * action buttons answer through the view's one click handler (`act`).
   */
  constructor (view, map, group) {
    this.view = view
    this.map = map
    this.group = group
    this.id = mapText(map, RowKey.ID)
    this.controls = new Map() // ctl → control
    this.details = null
    this.tr = view.rowPrototype().cloneNode(true)
    this.tr.dataset.rowId = this.id
    view.rowsByTr.set(this.tr, this)
    const parts = new Map()
    for (const el of this.tr.querySelectorAll('[data-ctl]')) parts.set(el.dataset.ctl, el)
    const number = this.tr.firstElementChild
    this.numId = uid('nr')
    number.id = this.numId
    this.numText = number.lastChild
    this.also = this.tr.querySelector('.ogsa-i')
    for (const field of view.roles.mainFields) {
      const ctl = `main:${field.name}`
      const part = parts.get(ctl)
      // A list's data-ctl is on its summary; the control is the <details> around it.
      const control = this.makeControl(field, 'main', isListKind(field) ? part.parentElement : part)
      control.labelWith(`${view.labelId(field)} ${this.numId}`)
    }
    // An action's button is named by the action and the row's number: «Slett Tiltak 5».
    const button = (ctl) => {
      const el = parts.get(ctl)
      el?.setAttribute('aria-labelledby', `${view.actionLabelId(ctl)} ${this.numId}`)
      return el
    }
    this.openButton = button('apne')
    // «Mer» says «Mindre» while open: its own words name it.
    this.moreButton = parts.get('mer')
    this.moreButton.id = uid('knapp')
    this.moreButton.setAttribute('aria-labelledby', `${this.moreButton.id} ${this.numId}`)
    this.detailsId = uid('detaljer')
    this.moreButton.setAttribute('aria-controls', this.detailsId)
    this.upButton = button('opp')
    this.downButton = button('ned')
    this.commentButton = button('kommenter')
    button('slett')
    if (view.ctx.comments) {
      // Shown while the row has open comment threads; opens the first in the panel.
      this.commentMarker = this.marker('kommentarer', 'kommentar-merke', 'har-kommentar',
        (n) => [String(n), n === 1 ? '1 åpen kommentar til' : `${n} åpne kommentarer til`], { markHidden: true })
      // Shown while the row has open suggestions; shows the first in the panel. The visible
      // words are the start of the button's name (WCAG 2.5.3).
      this.suggestionMarker = this.marker('forslag', 'forslag-merke', 'har-forslag',
        (n) => [`${n} forslag`, n === 1 ? ' som er åpent, til' : ' som er åpne, til'])
    }
    if (view.expanded.has(this.id)) this.toggleDetails(true)
    this.setCommentCount(view.tables.commentCounts.get(this.id) || 0)
    this.setSuggestionCount(view.tables.suggestionCounts.get(this.id) || 0)
  }

  /** What an action button of this row (`ctl`, from the prototype) does when pressed. */
  act (ctl) {
    const { view } = this
    const comments = view.ctx.comments
    if (ctl === 'apne') view.tables.panel().open(this, this.openButton)
    else if (ctl === 'mer') this.toggleDetails()
    else if (ctl === 'opp') view.move(this, -1)
    else if (ctl === 'ned') view.move(this, 1)
    else if (ctl === 'kommenter') comments?.composeRow(this.id, this.title(), this.commentButton)
    else if (ctl === 'slett') view.delete(this)
    else if (ctl === 'kommentarer') comments?.showRow(this.id)
    else if (ctl === 'forslag') comments?.suggestions?.showRow(this.id)
  }

  /** The control (of this row, in the table or the row panel) an element belongs to. */
  controlOf (el) {
    const ctl = el?.dataset?.ctl
    return ctl ? this.controls.get(ctl) || null : null
  }

  /**
   * The length counter under a text field («123 / 500 tegn», linked by aria-describedby): made
   * on first focus; over the limit the field is marked invalid. `live` hears, once per new level,
   * that the text nears, reaches or passes the limit.
   */
  updateCounter (control, live) {
    const el = control.el
    if (!(el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement)) return
    const length = charCount(el.value)
    const state = counterState(length, control.field)
    if (!control.counter) {
      if (!state.shown) return
      control.counter = h('span', { class: 'tegn', id: uid('tegn') })
      el.after(control.counter)
      const described = el.getAttribute('aria-describedby')
      el.setAttribute('aria-describedby', described ? `${described} ${control.counter.id}` : control.counter.id)
      control.level = 'ok'
    }
    if (control.counter.textContent !== state.text) control.counter.textContent = state.text
    control.counter.hidden = !state.shown
    control.counter.dataset.niva = state.level
    const over = state.level === 'over'
    if (over !== !!control.over) {
      control.over = over
      el.setAttribute('aria-invalid', String(over))
    }
    if (state.level !== control.level) {
      const message = state.level === 'ok' ? null : counterMessage(control.field.label, length, state.max, state.level)
      control.level = state.level
      if (message && live) { live.textContent = ''; setTimeout(() => { live.textContent = message }, 50) }
    }
  }

  /** The row's name in messages and comment quotes: the schema's title field. */
  title () {
    const field = this.view.roles.titleField
    return field ? fieldValues(this.map, field).join(', ') : ''
  }

  /** "Også i: …" under the first cell, for a row shown once but belonging to several groups. */
  setAlso (names) {
    const text = names.length ? `Også i: ${names.join(', ')}` : ''
    if (this.also.textContent !== text) this.also.textContent = text
    this.also.hidden = !text
  }

  /**
   * A button shown while the row has `n` open things (threads, suggestions), first among the
   * row's actions; made when first needed. `words(n)` gives its visible mark and the hidden words
   * that, with the row's number, make its name.
   */
  marker (ctl, cls, rowClass, words, { markHidden = false } = {}) {
    const marker = { el: null }
    let mark, spoken
    let shown = 0
    marker.set = (n) => {
      if (shown === n) return
      shown = n
      if (!marker.el) {
        mark = h('span', { 'aria-hidden': markHidden ? 'true' : null })
        spoken = h('span', { class: 'skjult' })
        const id = uid('knapp')
        marker.el = h('button', { type: 'button', id, class: `handling ${cls}`, 'data-ctl': ctl, 'aria-labelledby': `${id} ${this.numId}` }, mark, spoken)
        // Comment threads' marker first, then the suggestions', then «Åpne».
        if (ctl === 'kommentarer') this.openButton.parentElement.prepend(marker.el)
        else this.openButton.before(marker.el)
      }
      marker.el.hidden = n === 0
      this.tr.classList.toggle(rowClass, n > 0)
      const [visible, hidden] = words(n)
      mark.textContent = visible
      spoken.textContent = hidden
    }
    return marker
  }

  setCommentCount (n) { this.commentMarker?.set(n) }

  setSuggestionCount (n) { this.suggestionMarker?.set(n) }

  setNumber (n) {
    const text = String(n)
    if (this.numText.data !== text) this.numText.data = text
  }

  setEnds (first, last) {
    if (!this.upButton || (this.first === first && this.last === last)) return
    this.first = first
    this.last = last
    this.upButton.setAttribute('aria-disabled', String(first))
    this.downButton.setAttribute('aria-disabled', String(last))
  }

  toggleDetails (force) {
    const view = this.view
    const open = force ?? !view.expanded.has(this.id)
    if (open) view.expanded.add(this.id)
    else view.expanded.delete(this.id)
    this.moreButton.setAttribute('aria-expanded', String(open))
    this.moreButton.textContent = open ? 'Mindre' : 'Mer'
    if (open && !this.details) {
      const cols = view.roles.mainFields.length + 2
      const grid = h('div', { class: 'detaljer-felt' })
      for (const field of view.roles.extraFields) {
        const control = this.makeControl(field, 'extra')
        grid.append(control.labelled
          ? h('div', { class: `felt felt-${field.type}` }, control.caption, control.el)
          : h('div', { class: `felt felt-${field.type}` }, h('label', { for: control.el.id }, field.label), control.el))
        control.el.setAttribute('aria-describedby', this.numId)
      }
      this.membership = this.makeMembership()
      if (this.membership) grid.append(this.membership.el)
      this.details = h('tr', { class: 'tiltak-detaljer', id: this.detailsId, 'data-row-id': this.id },
        h('td', { colspan: String(cols) }, grid))
      view.rowsByTr.set(this.details, this)
      this.tr.after(this.details)
    }
    if (this.details) this.details.hidden = !open || this.tr.hidden
  }

  /**
   * The control of `field` in `place` ('main': the row in the table, 'extra': under «Mer»,
   * 'panel': the row panel), on `el` when the row's clone brought it, else on a new one.
   */
  makeControl (field, place, el = controlElement(field, place, this.view.ctx.editable)) {
    const ctl = `${place}:${field.name}`
    let control
    if (field.type === 'enum') control = this.enumControl(field, el)
    else if (field.type === 'long_text') control = this.textAreaControl(field, el)
    else if (isListKind(field)) control = this.listControl(field, el, place)
    else control = this.inputControl(field, el)
    if (!control.labelWith) control.labelWith = (ids) => control.el.setAttribute('aria-labelledby', ids)
    if (place !== 'main' && !control.el.id) control.el.id = uid('felt')
    this.controls.set(ctl, control)
    control.field = field
    control.refresh()
    return control
  }

  enumControl (field, select) {
    select.addEventListener('change', () => this.set(field.name, select.value))
    return { el: select, refresh: () => setSelect(select, mapText(this.map, field.name)) }
  }

  /** A long text: the row's Y.Text, bound to a textarea (see ytext-binding.js). */
  textAreaControl (field, area) {
    const { ctx } = this.view
    const control = { el: area, binding: null, text: null }
    control.refresh = () => {
      // A text longer than the limit (from another tool) is flagged; the counter says how much.
      if (control.counter || (this.map.get(field.name)?.length ?? 0) > maxChars(field)) {
        queueMicrotask(() => this.updateCounter(control, null))
      }
      const value = this.map.get(field.name)
      if (value instanceof Y.Text) {
        if (control.text !== value) {
          control.binding?.destroy()
          control.text = value
          control.binding = bindYText(area, value, ctx.origin)
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
      ctx.doc.transact(() => this.map.set(field.name, text), ctx.origin)
    })
    return control
  }

  /** text, deadline and number: an input written a moment after typing stops. */
  inputControl (field, input) {
    const number = field.type === 'number'
    const write = debounce(() => {
      const value = input.value.trim() === '' ? '' : input.value
      // A number that is not one is not stored; the field says so.
      const bad = number && value !== '' && !validNumber(value)
      input.setAttribute('aria-invalid', String(bad))
      input.title = bad ? 'Skriv et tall, for eksempel 1500 eller 2,5' : ''
      if (!bad) this.set(field.name, number ? value.trim() : value)
    }, 300)
    const control = { el: input, dirty: false }
    input.addEventListener('input', () => { control.dirty = true; write() })
    input.addEventListener('change', () => { write.flush(); control.dirty = false })
    input.addEventListener('blur', () => { write.flush(); control.dirty = false })
    control.refresh = () => {
      if (control.dirty && document.activeElement === input) return
      const value = mapText(this.map, field.name)
      if (input.value !== value) input.value = value
    }
    control.flush = () => write.flush()
    control.write = write
    return control
  }

  /**
   * multi_enum, goals and unit: a disclosure whose summary shows the chosen values, over a group
   * of checkboxes (and, for units, a text field for partners that are not units). Each change
   * stores a new array. The checkboxes are made when the list is first opened: a table of 300
   * rows would otherwise build thousands of them nobody looks at.
   */
  listControl (field, el, place) {
    const { ctx } = this.view
    const editable = ctx.editable
    const summary = el.firstElementChild
    const shown = summary.firstElementChild
    const valueId = uid('verdi')
    shown.id = valueId
    if (place === 'main') {
      // In a row the open list lies over the rows below: it closes when focus leaves it, or on Esc.
      el.addEventListener('focusout', (event) => { if (!el.contains(event.relatedTarget)) el.open = false })
      el.addEventListener('keydown', (event) => {
        if (event.key === 'Escape' && el.open) { event.preventDefault(); el.open = false; summary.focus() }
      })
    }
    const unit = field.type === 'unit'
    const choices = () => (unit ? (ctx.units || []).map((u) => ({ value: u, short: u, label: u })) : fieldChoices(field, this.view.tables.goals))
    let boxes = null
    let partners = null
    let key = null
    const write = () => {
      const known = choices().map((c) => c.value)
      const ticked = [...boxes.querySelectorAll('input:checked')].map((b) => b.value)
      const others = partners
        ? partners.value.split(/[,;]/).map((s) => s.trim()).filter((s) => s && !known.includes(s))
        : mapList(this.map, field.name).filter((v) => !known.includes(v)) // unknown values are kept
      this.setList(field.name, [...known.filter((v) => ticked.includes(v)), ...others])
    }
    /** The boxes (and partners field) under the summary, ticked as the row is. */
    const fillList = (list, all) => {
      const nextKey = all.map((c) => `${c.value}\u0001${c.short}`).join('\u0000')
      if (nextKey !== key) {
        key = nextKey
        boxes.replaceChildren(...all.map((c) => {
          const box = h('input', { type: 'checkbox', id: uid('valg'), value: c.value, disabled: !editable })
          box.addEventListener('change', write)
          return h('div', { class: 'avkrysning' }, box, h('label', { for: box.id, title: c.label !== c.short ? c.label : null }, c.short))
        }))
        if (all.length === 0) boxes.append(h('p', { class: 'tomt' }, field.type === 'goals' ? 'Planen har ingen mål ennå.' : 'Ingen valg.'))
      }
      for (const box of boxes.querySelectorAll('input')) box.checked = list.includes(box.value)
      if (partners && document.activeElement !== partners) {
        const known = all.map((c) => c.value)
        partners.value = list.filter((v) => !known.includes(v)).join(', ')
      }
    }
    const build = () => {
      if (boxes) return
      boxes = h('div', { class: 'avkrysninger' })
      // The field's name: the column heading in the row; a visible label above it under «Mer».
      const fieldset = h('fieldset', { class: 'valg-liste' }, h('legend', { class: 'skjult' }, field.label), boxes)
      if (unit) {
        partners = h('input', { type: 'text', id: uid('partnere'), readonly: !editable, autocomplete: 'off', maxlength: String(maxChars(field)) })
        fieldset.append(h('div', { class: 'felt' },
          h('label', { for: partners.id }, 'Andre (ikke enheter i planen), skilt med komma'), partners))
        partners.addEventListener('change', () => write())
      }
      el.append(fieldset)
      fillList(mapList(this.map, field.name), choices())
    }
    // A click on the summary comes before the list opens; `toggle` covers opening from script.
    summary.addEventListener('click', build)
    el.addEventListener('toggle', () => { if (el.open) build() })
    const control = { el, labelled: true }
    control.labelWith = (ids) => summary.setAttribute('aria-labelledby', `${ids} ${valueId}`)
    if (place !== 'main') {
      control.caption = h('span', { class: 'felt-navn', id: uid('navn') }, field.label)
      control.labelWith(`${control.caption.id} ${this.numId}`)
    }
    control.refresh = () => {
      const list = mapList(this.map, field.name)
      const all = choices()
      if (boxes) fillList(list, all)
      const names = list.map((v) => all.find((c) => c.value === v)?.short || v)
      shown.textContent = names.length ? names.join(', ') : (editable ? 'Velg …' : '–')
    }
    return control
  }

  /**
   * In a target group's tiltak section: which other target groups the row belongs to too
   * (`sections`, with the row's own `section` first).
   */
  makeMembership () {
    const view = this.view
    const all = view.ctx.targetSections?.() || []
    if (!all.some((s) => s.section === view.sectionId)) return null
    const legendId = uid('forklaring')
    const boxes = h('div', { class: 'avkrysninger' })
    const el = h('fieldset', { class: 'valg-liste felt-malgrupper', 'aria-describedby': this.numId },
      h('legend', { id: legendId }, 'Hører også til målgruppene'), boxes)
    let key = null
    const refresh = () => {
      const sections = view.ctx.targetSections()
      const others = sections.filter((s) => s.section !== view.sectionId)
      const nextKey = others.map((s) => `${s.section}\u0001${s.name}`).join('\u0000')
      if (nextKey !== key) {
        key = nextKey
        boxes.replaceChildren(...others.map((s) => {
          const box = h('input', { type: 'checkbox', id: uid('valg'), value: s.section, 'data-ctl': `gruppe:${s.section}`, disabled: !view.ctx.editable })
          box.addEventListener('change', () => this.setMembership(s.section, box.checked, sections.map((x) => x.section)))
          return h('div', { class: 'avkrysning' }, box, h('label', { for: box.id }, s.name))
        }))
        if (others.length === 0) boxes.append(h('p', { class: 'tomt' }, 'Planen har ingen andre målgrupper.'))
      }
      const mine = rowSections(this.map)
      for (const box of boxes.querySelectorAll('input')) box.checked = mine.includes(box.value)
    }
    refresh()
    return { el, refresh }
  }

  refreshMembership () {
    this.membership?.refresh()
    this.panelMembership?.refresh()
  }

  /** Re-reads every control of a field kind (e.g. goals, when the plan's goals change). */
  refreshKind (type) {
    for (const control of this.controls.values()) if (control.field.type === type) control.refresh()
  }

  setMembership (section, on, order) {
    const own = mapText(this.map, RowKey.SECTION) || this.view.sectionId
    const list = toggled(rowSections(this.map), section, on, order)
    const all = list.includes(own) ? [own, ...list.filter((s) => s !== own)] : [own, ...list]
    this.view.transact(() => {
      if (!mapText(this.map, RowKey.SECTION)) this.map.set(RowKey.SECTION, own)
      if (all.length > 1) this.map.set(RowKey.SECTIONS, all)
      else this.map.delete(RowKey.SECTIONS)
    })
  }

  set (name, value) {
    const map = this.map
    if (mapText(map, name) === value) return
    this.view.transact(() => {
      if (value === '') map.delete(name)
      else map.set(name, value)
    })
  }

  setList (name, list) {
    if (JSON.stringify(mapList(this.map, name)) === JSON.stringify(list)) return
    this.view.transact(() => {
      if (list.length === 0) this.map.delete(name)
      else this.map.set(name, list)
    })
  }

  flush () {
    for (const control of this.controls.values()) control.flush?.()
  }

  update (keys) {
    for (const control of this.controls.values()) {
      if (keys.has(control.field.name)) control.refresh()
    }
    if (keys.has(RowKey.SECTION) || keys.has(RowKey.SECTIONS)) this.refreshMembership()
  }

  destroy () {
    this.view.tables.panelIfMade()?.rowGone(this)
    for (const control of this.controls.values()) {
      control.binding?.destroy()
      if (control.write?.pending()) control.write.flush()
    }
    this.tr.remove()
    this.details?.remove()
  }
}

/**
 * The row panel: every field the template defines for a row, each with its label, editable, in
 * a modal <dialog> (focus stays inside; Esc or «Lukk» closes it and focus goes back to where it
 * was). One dialog for all tables, filled when opened and emptied when closed, so rows carry
 * nothing extra.
 */
class RowPanel {
  constructor () {
    const titleId = uid('panel')
    this.heading = h('h2', { id: titleId })
    this.where = h('p', { class: 'rad-panel-gruppe' })
    this.body = h('div', { class: 'rad-panel-felt' })
    this.live = h('div', { class: 'skjult', 'aria-live': 'polite' })
    const close = h('button', { type: 'button', class: 'sekundaer', onclick: () => this.close() }, 'Lukk')
    this.el = h('dialog', { class: 'samskriv-dialog rad-panel', 'aria-labelledby': titleId },
      h('div', { class: 'rad-panel-hode' }, this.heading, close), this.where, this.body, this.live)
    const counted = (event) => {
      const control = this.row?.controlOf(event.target)
      if (control) this.row.updateCounter(control, this.live)
    }
    this.el.addEventListener('input', counted)
    this.el.addEventListener('close', () => this.empty())
    document.body.append(this.el)
    this.row = null
    this.opener = null
  }

  open (row, opener) {
    if (this.row) this.close()
    this.row = row
    this.rowId = row.id
    this.opener = opener || document.activeElement
    const view = row.view
    this.heading.textContent = `Tiltak ${row.numText.data}`
    this.where.textContent = row.group.def.label
    let first = null
    for (const field of view.roles.fields) {
      const control = row.makeControl(field, 'panel')
      first ||= control.labelled ? control.el.querySelector('summary') : control.el
      this.body.append(control.labelled
        ? h('div', { class: `felt felt-${field.type}` }, control.caption, control.el)
        : h('div', { class: `felt felt-${field.type}` }, h('label', { for: control.el.id }, field.label), control.el))
      row.updateCounter(control, null)
    }
    row.panelMembership = row.makeMembership()
    if (row.panelMembership) this.body.append(row.panelMembership.el)
    this.el.showModal()
    const title = view.roles.titleField && row.controls.get(`panel:${view.roles.titleField.name}`)
    ;(title?.labelled ? title.el.querySelector('summary') : title?.el || first)?.focus()
  }

  /** The shown row went (deleted, or moved by someone and drawn anew): the panel closes. */
  rowGone (row) {
    if (this.row === row) this.close()
  }

  close () {
    if (this.el.open) this.el.close()
    this.empty()
  }

  empty () {
    const row = this.row
    if (!row) return
    for (const [ctl, control] of row.controls) {
      if (!ctl.startsWith('panel:')) continue
      control.write?.flush()
      control.binding?.destroy()
      row.controls.delete(ctl)
    }
    row.panelMembership = null
    this.body.replaceChildren()
    this.row = null
    // Back to where focus was; if that row was drawn anew, to its «Åpne» button.
    const back = this.opener?.isConnected
      ? this.opener
      : document.querySelector(`tr[data-row-id="${CSS.escape(this.rowId)}"] [data-ctl="apne"]`)
    this.opener = null
    back?.focus()
  }
}

/**
 * The element of a field's control, as every row has it: no ids, no listeners, no value (the
 * control sets those). Rows clone it from their view's prototype; «Mer» and the panel make it.
 */
function controlElement (field, place, editable) {
  const ctl = `${place}:${field.name}`
  if (field.type === 'enum') {
    return h('select', { 'data-ctl': ctl, disabled: !editable },
      h('option', { value: '' }, field.required ? 'Velg …' : '–'),
      fieldChoices(field).map((o) => h('option', { value: o.value, title: o.label }, o.short)))
  }
  if (field.type === 'long_text') {
    return h('textarea', {
      'data-ctl': ctl, rows: place === 'main' ? '2' : '3', readonly: !editable, maxlength: String(maxChars(field)),
      class: place === 'main' ? 'kompakt' : null
    })
  }
  if (isListKind(field)) {
    return h('details', { class: 'valg', 'data-field': field.name },
      h('summary', { 'data-ctl': ctl }, h('span', { class: 'valgt' })))
  }
  return h('input', {
    type: 'text', 'data-ctl': ctl, readonly: !editable, autocomplete: 'off',
    maxlength: String(maxChars(field)),
    inputmode: field.type === 'number' ? 'decimal' : null,
    placeholder: field.type === 'deadline' ? 'f.eks. 2026' : null
  })
}

/** Chooses `value`; a value the template does not know gets an option of its own, marked. */
function setSelect (select, value) {
  if (select.value === value) return
  select.value = value
  if (select.value !== value) {
    select.append(h('option', { value, 'data-ukjent': 'true' }, `${value} (ukjent verdi)`))
    select.value = value
  }
}

// One rich-text editor per prose section: ProseMirror bound to the section's Y.XmlFragment
// `section:<id>` by y-prosemirror, with remote cursors, per-person undo and a toolbar.

import { EditorState, TextSelection } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import { keymap } from 'prosemirror-keymap'
import { baseKeymap, toggleMark, setBlockType, wrapIn, lift, chainCommands, exitCode } from 'prosemirror-commands'
import { wrapInList, splitListItem, liftListItem, sinkListItem } from 'prosemirror-schema-list'
import { inputRules, wrappingInputRule, textblockTypeInputRule } from 'prosemirror-inputrules'
import { dropCursor } from 'prosemirror-dropcursor'
import { gapCursor } from 'prosemirror-gapcursor'
import {
  tableEditing, goToNextCell, addRowAfter, addColumnAfter, deleteRow, deleteColumn,
  deleteTable, isInTable
} from 'prosemirror-tables'
import { ySyncPlugin, yCursorPlugin, yUndoPlugin, undo, redo, yUndoPluginKey } from 'y-prosemirror'
import { schema, safeHref, HEADING_LEVELS } from './schema.js'
import { h } from './util.js'
import { NodeName, NodeAttr, MarkName, MarkAttr, shared } from './layout.js'
import { safeColour } from './presence.js'
import { cleanPastedHTML, parsePastedText } from './paste.js'

const S = schema.nodes
const M = schema.marks
const { LEVEL, ORDER } = NodeAttr
const { HREF } = MarkAttr

function markActive (state, type) {
  const { from, $from, to, empty } = state.selection
  if (empty) return !!type.isInSet(state.storedMarks || $from.marks())
  return state.doc.rangeHasMark(from, to, type)
}

function blockActive (state, type, attrs = {}) {
  const { $from } = state.selection
  for (let d = $from.depth; d > 0; d--) {
    const node = $from.node(d)
    if (node.type === type && Object.entries(attrs).every(([k, v]) => node.attrs[k] === v)) return true
  }
  return false
}

function toggleHeading (level) {
  return (state, dispatch) => {
    if (blockActive(state, S[NodeName.HEADING], { [LEVEL]: level })) return setBlockType(S[NodeName.PARAGRAPH])(state, dispatch)
    return setBlockType(S[NodeName.HEADING], { [LEVEL]: level })(state, dispatch)
  }
}

function toggleList (type) {
  return (state, dispatch) => {
    const { $from } = state.selection
    for (let d = $from.depth; d > 0; d--) {
      const node = $from.node(d)
      if (node.type === type) return liftListItem(S[NodeName.LIST_ITEM])(state, dispatch)
      if (node.type === S[NodeName.BULLET_LIST] || node.type === S[NodeName.ORDERED_LIST]) {
        if (!dispatch) return true
        const pos = $from.before(d)
        dispatch(state.tr.setNodeMarkup(pos, type, type === S[NodeName.ORDERED_LIST] ? { [ORDER]: 1 } : {}))
        return true
      }
    }
    return wrapInList(type)(state, dispatch)
  }
}

function toggleBlockquote (state, dispatch) {
  if (blockActive(state, S[NodeName.BLOCKQUOTE])) return lift(state, dispatch)
  return wrapIn(S[NodeName.BLOCKQUOTE])(state, dispatch)
}

function insertTable (state, dispatch) {
  if (isInTable(state)) return false
  const cell = (type) => type.createAndFill()
  const row = (type) => S[NodeName.TABLE_ROW].create(null, [cell(type), cell(type), cell(type)])
  const table = S[NodeName.TABLE].create(null, [row(S[NodeName.TABLE_HEADER]), row(S[NodeName.TABLE_CELL]), row(S[NodeName.TABLE_CELL])])
  if (dispatch) {
    const tr = state.tr.replaceSelectionWith(table)
    // Put the cursor in the first header cell.
    const start = tr.selection.from
    const $pos = tr.doc.resolve(Math.max(0, start - table.nodeSize + 3))
    tr.setSelection(TextSelection.near($pos))
    dispatch(tr.scrollIntoView())
  }
  return true
}

const hardBreak = chainCommands(exitCode, (state, dispatch) => {
  if (dispatch) dispatch(state.tr.replaceSelectionWith(S[NodeName.HARD_BREAK].create()).scrollIntoView())
  return true
})

const undoCommand = (state, dispatch) => {
  const um = yUndoPluginKey.getState(state)?.undoManager
  if (!um || um.undoStack.length === 0) return false
  if (dispatch) undo(state)
  return true
}
const redoCommand = (state, dispatch) => {
  const um = yUndoPluginKey.getState(state)?.undoManager
  if (!um || um.redoStack.length === 0) return false
  if (dispatch) redo(state)
  return true
}

function buildInputRules () {
  return inputRules({
    rules: [
      wrappingInputRule(/^\s*>\s$/, S[NodeName.BLOCKQUOTE]),
      wrappingInputRule(/^\s*([-+*])\s$/, S[NodeName.BULLET_LIST]),
      wrappingInputRule(/^(\d+)\.\s$/, S[NodeName.ORDERED_LIST], (m) => ({ [ORDER]: +m[1] }), (m, node) => node.childCount + node.attrs[ORDER] === +m[1]),
      // "### " is level 3, "#### " level 4, "##### " level 5.
      ...HEADING_LEVELS.map((level) => textblockTypeInputRule(new RegExp(`^#{${level}}\\s$`), S[NodeName.HEADING], { [LEVEL]: level }))
    ]
  })
}

/**
 * The link dialog, shared by all editors: a native <dialog> with a labelled field.
 * Resolves with the address, "" to remove the link, or null when cancelled.
 */
let linkDialog = null
function askForLink (current) {
  if (!linkDialog) {
    const input = h('input', { type: 'url', id: 'lenke-adresse', name: 'href', autocomplete: 'url', inputmode: 'url', placeholder: 'https://' })
    const error = h('p', { class: 'feil', id: 'lenke-feil', role: 'alert' })
    const form = h('form', { method: 'dialog' },
      h('h2', { id: 'lenke-tittel' }, 'Lenke'),
      h('div', { class: 'felt' },
        h('label', { for: 'lenke-adresse' }, 'Adresse (https://… eller mailto:…)'),
        input, error),
      h('div', { class: 'knapper' },
        h('button', { type: 'submit', value: 'ok' }, 'Bruk lenken'),
        h('button', { type: 'submit', value: 'fjern', class: 'sekundaer' }, 'Fjern lenken'),
        h('button', { type: 'submit', value: 'avbryt', class: 'sekundaer', formnovalidate: true }, 'Avbryt')))
    linkDialog = h('dialog', { class: 'samskriv-dialog', 'aria-labelledby': 'lenke-tittel' }, form)
    linkDialog.input = input
    linkDialog.error = error
    form.addEventListener('submit', (event) => {
      if (event.submitter?.value === 'ok' && !safeHref(input.value)) {
        event.preventDefault()
        error.textContent = 'Skriv en adresse som begynner med https://, http:// eller mailto:.'
        input.setAttribute('aria-invalid', 'true')
        input.setAttribute('aria-describedby', 'lenke-feil')
        input.focus()
      }
    })
    document.body.append(linkDialog)
  }
  const dialog = linkDialog
  dialog.input.value = current || ''
  dialog.error.textContent = ''
  dialog.input.removeAttribute('aria-invalid')
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const value = dialog.returnValue
      if (value === 'ok') resolve(safeHref(dialog.input.value))
      else if (value === 'fjern') resolve('')
      else resolve(null)
    }, { once: true })
    dialog.returnValue = ''
    dialog.showModal()
    dialog.input.focus()
  })
}

function linkCommand (view) {
  const { state } = view
  const { from, to, empty, $from } = state.selection
  const existing = M[MarkName.LINK].isInSet(empty ? $from.marks() : (state.doc.nodeAt(from)?.marks || []))
  // The range is taken now: focus moves to the dialog, and the selection may change meanwhile.
  const docAtOpen = state.doc
  askForLink(existing ? existing.attrs[HREF] : null).then((href) => {
    view.focus()
    if (href == null) return
    const st = view.state
    let a = from
    let b = to
    if (st.doc !== docAtOpen) ({ from: a, to: b } = st.selection)
    if (a === b) {
      // Extend over the link around the cursor, if any.
      const $pos = st.doc.resolve(a)
      const parent = $pos.parent
      let offset = 0
      for (let i = 0; i < parent.childCount; i++) {
        const child = parent.child(i)
        const start = $pos.start() + offset
        const end = start + child.nodeSize
        if (start <= a && a <= end && M[MarkName.LINK].isInSet(child.marks)) { a = start; b = end }
        offset += child.nodeSize
      }
    }
    const tr = st.tr
    if (a === b) {
      if (!href) return
      tr.insertText(href, a).addMark(a, a + href.length, M[MarkName.LINK].create({ [HREF]: href }))
    } else {
      tr.removeMark(a, b, M[MarkName.LINK])
      if (href) tr.addMark(a, b, M[MarkName.LINK].create({ [HREF]: href }))
      tr.setSelection(TextSelection.create(tr.doc, b))
    }
    view.dispatch(tr.scrollIntoView())
  })
  return true
}

const TOOLBAR = [
  { key: 'bold', label: 'Fet', shortcut: 'Control+B', cmd: () => toggleMark(M[MarkName.BOLD]), active: (s) => markActive(s, M[MarkName.BOLD]), cls: 'fet' },
  { key: 'italic', label: 'Kursiv', shortcut: 'Control+I', cmd: () => toggleMark(M[MarkName.ITALIC]), active: (s) => markActive(s, M[MarkName.ITALIC]), cls: 'kursiv' },
  { key: 'link', label: 'Lenke', shortcut: 'Control+K', view: linkCommand, active: (s) => markActive(s, M[MarkName.LINK]) },
  { sep: true },
  ...HEADING_LEVELS.map((level) => ({
    key: `h${level}`, label: `Overskrift ${level}`, shortcut: `Control+Alt+${level}`, cmd: () => toggleHeading(level), active: (s) => blockActive(s, S[NodeName.HEADING], { [LEVEL]: level })
  })),
  { key: 'ul', label: 'Punktliste', shortcut: 'Control+Shift+8', cmd: () => toggleList(S[NodeName.BULLET_LIST]), active: (s) => blockActive(s, S[NodeName.BULLET_LIST]) },
  { key: 'ol', label: 'Nummerert liste', shortcut: 'Control+Shift+7', cmd: () => toggleList(S[NodeName.ORDERED_LIST]), active: (s) => blockActive(s, S[NodeName.ORDERED_LIST]) },
  { key: 'quote', label: 'Sitat', shortcut: 'Control+Shift+9', cmd: () => toggleBlockquote, active: (s) => blockActive(s, S[NodeName.BLOCKQUOTE]) },
  { key: 'table', label: 'Tabell', cmd: () => insertTable, active: (s) => isInTable(s) },
  { sep: true },
  { key: 'undo', label: 'Angre', shortcut: 'Control+Z', cmd: () => undoCommand },
  { key: 'redo', label: 'Gjør om', shortcut: 'Control+Shift+Z', cmd: () => redoCommand },
  { sep: true, tableOnly: true },
  { key: 'row', label: 'Ny rad', cmd: () => addRowAfter, tableOnly: true },
  { key: 'col', label: 'Ny kolonne', cmd: () => addColumnAfter, tableOnly: true },
  { key: 'delrow', label: 'Slett rad', cmd: () => deleteRow, tableOnly: true },
  { key: 'delcol', label: 'Slett kolonne', cmd: () => deleteColumn, tableOnly: true },
  { key: 'deltable', label: 'Slett tabell', cmd: () => deleteTable, tableOnly: true }
]

/** A toolbar following the ARIA toolbar pattern: one tab stop, arrow keys move between buttons. */
function buildToolbar (getView, headingText) {
  const buttons = []
  const bar = h('div', { class: 'verktoylinje', role: 'toolbar', 'aria-label': `Formatering: ${headingText}` })
  for (const item of TOOLBAR) {
    if (item.sep) {
      bar.append(h('span', { class: `skille${item.tableOnly ? ' kun-tabell' : ''}`, 'aria-hidden': 'true' }))
      continue
    }
    const button = h('button', {
      type: 'button',
      class: `verktoy-${item.key}${item.cls ? ` ${item.cls}` : ''}${item.tableOnly ? ' kun-tabell' : ''}`,
      tabindex: buttons.length === 0 ? '0' : '-1',
      'aria-keyshortcuts': item.shortcut,
      title: item.shortcut ? `${item.label} (${item.shortcut.replace('Control', 'Ctrl')})` : item.label,
      'data-key': item.key
    }, item.label)
    if (item.active) button.setAttribute('aria-pressed', 'false')
    button.addEventListener('mousedown', (event) => event.preventDefault()) // keep the selection
    button.addEventListener('click', () => {
      const view = getView()
      if (!view || button.getAttribute('aria-disabled') === 'true') return
      if (item.view) item.view(view)
      else { item.cmd()(view.state, view.dispatch, view); view.focus() }
    })
    button.item = item
    buttons.push(button)
    bar.append(button)
  }
  bar.addEventListener('keydown', (event) => {
    const visible = buttons.filter((b) => !b.hidden)
    const index = visible.indexOf(document.activeElement)
    if (index < 0) return
    let next = null
    if (event.key === 'ArrowRight') next = visible[(index + 1) % visible.length]
    else if (event.key === 'ArrowLeft') next = visible[(index - 1 + visible.length) % visible.length]
    else if (event.key === 'Home') next = visible[0]
    else if (event.key === 'End') next = visible[visible.length - 1]
    if (next) {
      event.preventDefault()
      for (const b of buttons) b.tabIndex = -1
      next.tabIndex = 0
      next.focus()
    }
  })
  const update = (state, editable) => {
    const inTable = isInTable(state)
    for (const el of bar.querySelectorAll('.kun-tabell')) el.hidden = !inTable
    for (const button of buttons) {
      const item = button.item
      if (item.active) button.setAttribute('aria-pressed', String(!!item.active(state)))
      let enabled = editable
      if (enabled && item.cmd) enabled = !!item.cmd()(state, undefined)
      button.setAttribute('aria-disabled', String(!enabled))
    }
    // The tab stop never sits on a hidden button.
    if (buttons.every((b) => b.hidden || b.tabIndex !== 0)) {
      for (const b of buttons) b.tabIndex = -1
      buttons[0].tabIndex = 0
    }
  }
  return { bar, update }
}

function cursorBuilder (user) {
  const cursor = document.createElement('span')
  cursor.className = 'ProseMirror-yjs-cursor'
  cursor.setAttribute('aria-hidden', 'true')
  cursor.style.borderColor = safeColour(user.color)
  const label = document.createElement('span')
  label.className = 'ProseMirror-yjs-cursor-navn'
  label.style.backgroundColor = safeColour(user.color)
  label.textContent = user.name
  cursor.append(label)
  return cursor
}

function selectionBuilder (user) {
  return { style: `background-color: ${safeColour(user.color)}33`, class: 'ProseMirror-yjs-selection' }
}

/**
 * Mounts an editor in `container` (the server-rendered `.prosa` div) for `section:<sectionId>`.
 * Returns `{ view, destroy }`.
 */
export function mountProse (container, { doc, awareness, sectionId, headingId, headingText, editable, comments }) {
  const fragment = shared.section(doc, sectionId)
  let view = null
  const toolbar = buildToolbar(() => view, headingText)
  // Someone who may comment but not edit (an adviser) gets a caret, to select text with the
  // keyboard; every change to the text is refused (comments.js).
  const caret = !editable && !!comments?.canComment
  const commentControls = comments ? comments.sectionControls(sectionId, headingText, () => view) : null
  const mount = h('div', { class: 'prosa-flate' })
  // Read-only visitors get the text without the formatting toolbar.
  toolbar.bar.hidden = !editable
  container.replaceChildren(toolbar.bar, mount)
  container.classList.add('prosa-editor')

  const keys = {
    'Mod-b': toggleMark(M[MarkName.BOLD]),
    'Mod-B': toggleMark(M[MarkName.BOLD]),
    'Mod-i': toggleMark(M[MarkName.ITALIC]),
    'Mod-I': toggleMark(M[MarkName.ITALIC]),
    'Mod-k': (state, dispatch, v) => (dispatch ? linkCommand(v) : true),
    'Mod-z': undoCommand,
    'Mod-y': redoCommand,
    'Mod-Shift-z': redoCommand,
    'Mod-Shift-Z': redoCommand,
    ...Object.fromEntries(HEADING_LEVELS.map((level) => [`Mod-Alt-${level}`, toggleHeading(level)])),
    'Mod-Alt-0': setBlockType(S[NodeName.PARAGRAPH]),
    'Mod-Shift-8': toggleList(S[NodeName.BULLET_LIST]),
    'Mod-Shift-7': toggleList(S[NodeName.ORDERED_LIST]),
    'Mod-Shift-9': toggleBlockquote,
    'Shift-Enter': hardBreak,
    'Mod-Enter': hardBreak,
    Enter: splitListItem(S[NodeName.LIST_ITEM]),
    'Mod-[': liftListItem(S[NodeName.LIST_ITEM]),
    'Mod-]': sinkListItem(S[NodeName.LIST_ITEM]),
    // Tab moves between table cells; outside tables it leaves the editor as usual.
    Tab: goToNextCell(1),
    'Shift-Tab': goToNextCell(-1)
  }
  if (commentControls) {
    keys['Ctrl-Alt-m'] = commentControls.command
    keys['Mod-Alt-m'] = commentControls.command
  }

  const state = EditorState.create({
    schema,
    plugins: [
      ySyncPlugin(fragment),
      yCursorPlugin(awareness, { cursorBuilder, selectionBuilder }),
      yUndoPlugin(),
      buildInputRules(),
      keymap(keys),
      keymap(baseKeymap),
      dropCursor(),
      gapCursor(),
      tableEditing(),
      ...(comments ? comments.plugins(sectionId, { caret }) : [])
    ]
  })
  view = new EditorView(mount, {
    state,
    editable: () => editable || caret,
    // Lists and tables pasted from Word, LibreOffice and Google Docs become the schema's own
    // (paste.js); so do plain-text lines with bullets or numbers.
    transformPastedHTML: (html) => cleanPastedHTML(html),
    clipboardTextParser: (text, $context) => parsePastedText(text, schema, $context),
    attributes: {
      class: 'prosa-innhold',
      role: 'textbox',
      'aria-multiline': 'true',
      ...(caret ? { 'aria-readonly': 'true' } : {}),
      'aria-labelledby': headingId,
      'aria-describedby': `${headingId}-hjelp`,
      'data-section-id': sectionId,
      spellcheck: 'true',
      lang: 'nb'
    },
    dispatchTransaction (tr) {
      // y-prosemirror may still dispatch to a view just destroyed (its section left the page).
      if (this.isDestroyed) return
      const next = this.state.apply(tr)
      this.updateState(next)
      toolbar.update(next, editable)
      commentControls?.update(next)
    }
  })
  const commentHelp = commentControls ? ' Ctrl+Alt+M kommenterer markert tekst.' : ''
  const help = h('p', { id: `${headingId}-hjelp`, class: 'skjult' }, caret
    ? `Tekst du kan lese og kommentere, men ikke endre. Merk tekst med Shift og piltastene.${commentHelp}`
    : `Tekstfelt. Ctrl+B fet, Ctrl+I kursiv, Ctrl+K lenke, Ctrl+Z angre, Ctrl+Shift+Z gjør om.${commentHelp}`)
  container.append(help)
  if (commentControls) {
    container.after(commentControls.el)
    commentControls.update(view.state)
  }
  toolbar.update(view.state, editable)
  // Undo availability changes when the Y.UndoManager's stacks change.
  setTimeout(() => {
    const um = yUndoPluginKey.getState(view.state)?.undoManager
    if (um) {
      const refresh = () => toolbar.update(view.state, editable)
      um.on('stack-item-added', refresh)
      um.on('stack-item-popped', refresh)
    }
  }, 0)
  return {
    view,
    destroy () {
      view.destroy()
      commentControls?.el.remove()
    }
  }
}

// Comment threads in the editor: the «Kommentarer» panel, the «Kommenter» buttons of prose
// sections and tiltak rows, the highlights of anchored text, and the live list.
//
// - The panel lists the plan's threads (filters: status, section, the author's unit) with their
//   comments, a reply form, «Løs» / «Gjenåpne» and «Rediger» / «Slett» where allowed. The list
//   is loaded in full on every (re)connect of the event stream and kept current by its events.
// - Text threads are anchored by Yjs relative positions (threads.js); each prose editor has a
//   decoration plugin that draws the open threads' ranges from them, recomputed whenever the
//   section's document changes, and a click on a highlight selects its thread.
// - Advisers may comment but not edit: their editors get a caret (so text can be selected with
//   the keyboard) while every change to the text is refused.

import { Plugin, PluginKey, TextSelection } from 'prosemirror-state'
import { Decoration, DecorationSet } from 'prosemirror-view'
import { ySyncPluginKey } from 'y-prosemirror'
import { h, uid } from './util.js'
import {
  pageContext, ThreadStore, ThreadsApi, ApiError, textAnchor, decodePosition, rangeOf, clip,
  filterThreads, sortThreads, openRowCounts, unitsOf, sectionOf, canResolve, canChangeComment,
  newActivity, personLabel, formatTime, errorMessage, NO_UNIT
} from './threads.js'
import { RowKey, shared } from './layout.js'

export const KEY = new PluginKey('samskriv-kommentarer')
const OPEN_KEY = 'samskriv.kommentarer.apen'
const WIDE = '(min-width: 70rem)'

const STATUS_OPTIONS = [['open', 'Åpne'], ['resolved', 'Løste'], ['all', 'Alle']]

function headingTextOf (sectionEl) {
  const heading = sectionEl && sectionEl.querySelector(':scope > h2, :scope > h3, :scope > h4')
  if (!heading) return ''
  return [...heading.childNodes].map((n) => n.textContent.replace(/\s+/g, ' ').trim()).filter(Boolean).join(' ')
}

function sectionEl (sectionId) {
  return document.querySelector(`#plan section[data-section-id="${CSS.escape(sectionId)}"]`)
}

/** Whether the editor's selection holds text to comment on. */
export function selectionHasText (state) {
  const { from, to, empty } = state.selection
  return !empty && state.doc.textBetween(from, to, ' ', ' ').trim().length > 0
}

/** Refuses every change to the text except the ones the sync plugin brings from the document. */
function readOnlyCaretPlugin (onRefused) {
  return new Plugin({
    filterTransaction: (tr) => {
      if (!tr.docChanged || tr.getMeta(ySyncPluginKey) !== undefined) return true
      onRefused()
      return false
    },
    props: {
      handleTextInput: () => { onRefused(); return true },
      handlePaste: () => { onRefused(); return true },
      handleDrop: () => true,
      handleDOMEvents: {
        beforeinput: (view, event) => {
          if (event.cancelable) { event.preventDefault(); onRefused() }
          return true
        }
      }
    }
  })
}

export class Comments {
  /** @param {object} o { data: the page data, doc: the plan's Y.Doc } */
  constructor ({ data, doc }) {
    this.data = data
    this.doc = doc
    this.ctx = pageContext(data)
    this.canComment = this.ctx.canComment
    this.api = new ThreadsApi(data.plan_id, this.ctx)
    this.store = new ThreadStore((change) => this.changed(change))
    this.views = new Map() // section id → EditorView
    this.rels = new Map() // thread id → { start, end } decoded relative positions
    this.present = new Map() // thread id → whether its text is there, as the editor sees it
    this.positions = new Map() // thread id → ProseMirror position of its start
    this.current = new Map() // thread id → its anchored text as the editor shows it now
    this.threadViews = new Map() // thread id → ThreadView
    this.filters = { status: 'open', section: '', unit: '' }
    this.selected = null
    this.revealed = null // a resolved thread whose text was asked for
    this.pending = null // the new thread being written: { anchor, rel, label, returnTo }
    this.tables = null
    this.posting = 0
    this.panel = null
    this.source = null
    this.retry = 1000
    this.reloading = null // the full load under way
    this.reloadAgain = false
  }

  // ——— Hooks for the prose editors (prose.js) ———

  /** The ProseMirror plugins for one prose section: highlights and, for advisers, the caret. */
  plugins (sectionId, { caret }) {
    const plugins = [this.plugin(sectionId)]
    if (caret) plugins.push(readOnlyCaretPlugin(() => this.refusedEdit(sectionId)))
    return plugins
  }

  plugin (sectionId) {
    const comments = this
    return new Plugin({
      key: KEY,
      state: {
        init: () => DecorationSet.empty,
        apply (tr, set, _old, state) {
          // Remote changes (and the first render) come with the sync plugin's meta, when its
          // mapping of Yjs types to nodes is current; local ones are mapped now and recomputed
          // once the sync plugin has written them to the document (see the observer below).
          if (tr.getMeta(KEY) || tr.getMeta(ySyncPluginKey) !== undefined) return comments.decorations(sectionId, state)
          return set.map(tr.mapping, tr.doc)
        }
      },
      props: {
        decorations: (state) => KEY.getState(state),
        handleClick: (view, pos, event) => {
          const mark = event.target.closest?.('.kommentar-anker[data-thread-id]')
          if (mark) comments.selectThread(mark.dataset.threadId, { reveal: true })
          return false
        }
      },
      view (view) {
        comments.views.set(sectionId, view)
        const fragment = ySyncPluginKey.getState(view.state).type
        let queued = false
        const refresh = () => {
          if (queued) return
          queued = true
          queueMicrotask(() => {
            queued = false
            if (!view.isDestroyed) view.dispatch(view.state.tr.setMeta(KEY, true))
          })
        }
        const observer = (_events, tr) => { if (tr.origin === ySyncPluginKey) refresh() }
        fragment.observeDeep(observer)
        view.samskrivRefreshComments = refresh
        setTimeout(refresh, 0)
        return {
          destroy () {
            fragment.unobserveDeep(observer)
            if (comments.views.get(sectionId) === view) comments.views.delete(sectionId)
          }
        }
      }
    })
  }

  /** The highlights of one section for the editor state `state`. */
  decorations (sectionId, state) {
    const ys = ySyncPluginKey.getState(state)
    if (!ys || !ys.binding) return DecorationSet.empty
    const { doc: ydoc, type: fragment, binding } = ys
    const mapping = binding.mapping
    if (mapping.size === 0 && fragment.length > 0) return DecorationSet.empty // not rendered yet
    const max = state.doc.content.size
    const decos = []
    let changed = false
    for (const thread of this.store.list()) {
      const a = thread.anchor
      if (!a || a.kind !== 'text' || a.section !== sectionId) continue
      const rel = this.relOf(thread)
      const range = rangeOf(ydoc, fragment, rel.start, rel.end, mapping)
      const present = !!range && range.to <= max
      if (this.present.get(thread.id) !== present) { this.present.set(thread.id, present); changed = true }
      if (!present) { this.positions.delete(thread.id); this.current.delete(thread.id); continue }
      this.positions.set(thread.id, range.from)
      const now = state.doc.textBetween(range.from, range.to, ' ', ' ')
      if (this.current.get(thread.id) !== now) { this.current.set(thread.id, now); changed = true }
      const selected = this.selected === thread.id
      // Resolved threads are drawn only when asked for («Vis i teksten»).
      if (thread.status !== 'open' && this.revealed !== thread.id) continue
      decos.push(Decoration.inline(range.from, range.to,
        { class: `kommentar-anker${selected ? ' valgt' : ''}`, 'data-thread-id': thread.id },
        { threadId: thread.id, inclusiveStart: false, inclusiveEnd: true }))
    }
    const p = this.pending
    if (p && p.anchor.kind === 'text' && p.anchor.section === sectionId) {
      const range = rangeOf(ydoc, fragment, p.rel.start, p.rel.end, mapping)
      if (range && range.to <= max) {
        decos.push(Decoration.inline(range.from, range.to, { class: 'kommentar-ny' }, { inclusiveStart: false, inclusiveEnd: true }))
      }
    }
    if (changed) this.scheduleRender()
    return DecorationSet.create(state.doc, decos)
  }

  relOf (thread) {
    let rel = this.rels.get(thread.id)
    if (!rel || rel.startB64 !== thread.anchor.start || rel.endB64 !== thread.anchor.end) {
      rel = {
        startB64: thread.anchor.start,
        endB64: thread.anchor.end,
        start: decodePosition(thread.anchor.start),
        end: decodePosition(thread.anchor.end)
      }
      this.rels.set(thread.id, rel)
    }
    return rel
  }

  /**
   * Redraws the highlights of the editors of `threads`' sections (threads, anchors or ids; every
   * editor when none are given), after their threads, the selection or the form changed.
   */
  refreshHighlights (...threads) {
    const sections = new Set()
    for (const t of threads) {
      const a = typeof t === 'string' ? this.store.get(t)?.anchor : t?.anchor || t
      if (a?.kind === 'text') sections.add(a.section)
    }
    for (const [section, view] of this.views) {
      if (threads.length === 0 || sections.has(section)) view.samskrivRefreshComments?.()
    }
  }

  /** The «Kommenter» button and its hint under a prose editor, or null for readers. */
  sectionControls (sectionId, headingText, getView) {
    if (!this.canComment) return null
    const hintId = uid('kommenter-hjelp')
    const hint = h('span', { class: 'kommenter-hjelp', id: hintId, role: 'status' })
    const button = h('button', {
      type: 'button',
      class: 'sekundaer liten kommenter',
      'aria-disabled': 'true',
      'aria-keyshortcuts': 'Control+Alt+M',
      'aria-describedby': hintId,
      title: 'Kommenter markert tekst (Ctrl+Alt+M)',
      'data-section-id': sectionId
    }, 'Kommenter', h('span', { class: 'skjult' }, ` markert tekst i ${headingText}`))
    const idle = 'Merk tekst i feltet for å kommentere den (Ctrl+Alt+M).'
    hint.textContent = idle
    // Keep the editor's selection when the button is pressed.
    button.addEventListener('mousedown', (event) => event.preventDefault())
    button.addEventListener('click', () => {
      const view = getView()
      if (view && this.composeText(sectionId, view)) return
      hint.textContent = 'Merk først teksten du vil kommentere, og trykk så Kommenter.'
    })
    const el = h('div', { class: 'kommenter-linje' }, button, ' ', hint)
    return {
      el,
      hint,
      update: (state) => {
        const ok = selectionHasText(state)
        if (button.getAttribute('aria-disabled') !== String(!ok)) button.setAttribute('aria-disabled', String(!ok))
        if (ok && hint.textContent !== idle) hint.textContent = idle
      },
      command: (state, dispatch, view) => {
        if (!dispatch) return selectionHasText(state)
        if (!this.composeText(sectionId, view)) hint.textContent = 'Merk først teksten du vil kommentere.'
        return true
      }
    }
  }

  /** Someone who may only comment tried to change the text. */
  refusedEdit (sectionId) {
    const line = sectionEl(sectionId)?.querySelector('.kommenter-linje .kommenter-hjelp')
    const text = 'Du kan ikke endre teksten, bare kommentere den.'
    if (line && line.textContent !== text) line.textContent = text
  }

  /** Opens the new-thread form for the selection of a prose editor; false when nothing is selected. */
  composeText (sectionId, view) {
    const state = view.state
    if (!this.canComment || !selectionHasText(state)) return false
    const ys = ySyncPluginKey.getState(state)
    if (!ys || !ys.binding) return false
    const { from, to } = state.selection
    const anchor = textAnchor({
      section: sectionId,
      from,
      to,
      fragment: ys.type,
      mapping: ys.binding.mapping,
      text: state.doc.textBetween(from, to, '\n', ' ')
    })
    this.openComposer({
      anchor,
      rel: { start: decodePosition(anchor.start), end: decodePosition(anchor.end) },
      label: headingTextOf(sectionEl(sectionId)),
      returnTo: () => view.focus()
    })
    return true
  }

  /** Opens the new-thread form for a tiltak row. */
  composeRow (rowId, text, returnTo) {
    if (!this.canComment) return
    const quote = clip((text || '').replace(/\s+/g, ' ').trim()) || 'Tiltak uten tekst'
    const section = this.rowSection(rowId)
    this.openComposer({
      anchor: { kind: 'tiltak', row: rowId, quote },
      label: headingTextOf(section ? sectionEl(section) : null),
      returnTo: () => returnTo?.isConnected && returnTo.focus()
    })
  }

  // ——— Tiltak rows ———

  attachTables (tables) {
    this.tables = tables
    tables.setCommentCounts(openRowCounts(this.store.list()))
    shared.tiltak(this.doc).observe(() => this.scheduleRender())
  }

  rowSection (rowId) {
    return this.tables?.sectionOfRow(rowId) || (this.data.tiltak_sections || [])[0] || ''
  }

  rowExists (rowId) {
    return shared.tiltak(this.doc).toArray().some((m) => typeof m?.get === 'function' && m.get(RowKey.ID) === rowId)
  }

  /** The marker of a row with open threads was pressed: show its first thread. */
  showRow (rowId) {
    const threads = sortThreads(this.store.list().filter((t) => t.anchor?.kind === 'tiltak' && t.anchor.row === rowId && t.status === 'open'), [], null)
    if (threads[0]) this.selectThread(threads[0].id, { reveal: true, focus: true })
  }

  // ——— State ———

  /** Whether a thread's text or row is still there: the editor's live view, else the server's. */
  isPresent (thread) {
    const a = thread.anchor || {}
    if (a.kind === 'text' && this.views.has(a.section) && this.present.has(thread.id)) return this.present.get(thread.id)
    if (a.kind === 'tiltak' && this.tables) return this.rowExists(a.row)
    return thread.anchor_state !== 'deleted'
  }

  changed (change) {
    if (change.kind === 'thread' || change.kind === 'deleted') {
      const activity = newActivity(change, this.ctx.me)
      // Own threads and replies are not announced (anonymous visitors share one id: while this
      // page is posting, its own echo from the stream is not news).
      const me = this.ctx.me
      const maybeMine = this.posting > 0 && (!me || me.id === 'anonymous' || activity?.author?.id === me.id)
      if (activity && !maybeMine) this.announce(activity)
    }
    if (change.kind === 'deleted') {
      this.rels.delete(change.id)
      this.current.delete(change.id)
      this.present.delete(change.id)
      this.positions.delete(change.id)
      if (this.selected === change.id) this.selected = null
    }
    this.tables?.setCommentCounts(openRowCounts(this.store.list()))
    if (change.kind === 'reset') this.refreshHighlights()
    else this.refreshHighlights(change.thread, change.before)
    this.scheduleRender()
  }

  announce (activity) {
    if (!this.live) return
    const where = headingTextOf(sectionEl(sectionOf(activity.thread, (id) => this.rowSection(id))))
    const who = personLabel(activity.author)
    const what = activity.kind === 'thread' ? 'Ny kommentar' : 'Nytt svar'
    const body = activity.comment ? `: ${clip(activity.comment.body, 140)}` : ''
    this.say(`${what} fra ${who}${where ? ` i ${where}` : ''}${body}`)
  }

  /** Says `text` in the polite live region (again, when it is the same text). */
  say (text) {
    if (!this.live) return
    this.live.textContent = ''
    setTimeout(() => { this.live.textContent = text }, 50)
  }

  // ——— Start: the panel and the event stream ———

  start ({ side, layout }) {
    if (this.panel) return
    this.buildPanel(side, layout)
    this.connect()
    this.reload()
  }

  /**
   * Loads the full list. A reload asked for while one is under way runs once more after it
   * (events are buffered meanwhile), so a stale answer never replaces a newer one.
   */
  reload () {
    if (this.reloading) { this.reloadAgain = true; return this.reloading }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false
        this.store.beginLoad()
        try {
          const threads = await this.api.list()
          if (this.reloadAgain) continue
          this.store.reset(Array.isArray(threads) ? threads : [])
          this.loadError.textContent = ''
          this.loaded = true
        } catch (error) {
          this.store.abortLoad()
          this.loadError.textContent = error instanceof ApiError && error.status === 404
            ? 'Kommentarer er ikke tilgjengelige for denne planen.'
            : errorMessage(error.status || 0, error.serverText, 'Kommentarene kunne ikke hentes')
        }
      } while (this.reloadAgain)
      this.scheduleRender()
    })().finally(() => { this.reloading = null })
    return this.reloading
  }

  connect () {
    if (typeof EventSource === 'undefined') return
    const source = new EventSource(this.api.eventsUrl(), { withCredentials: true })
    this.source = source
    let everOpen = false
    source.addEventListener('open', () => {
      everOpen = true
      this.retry = 1000
      this.streamState.textContent = ''
      this.reload()
    })
    const parse = (event) => { try { return JSON.parse(event.data) } catch { return null } }
    source.addEventListener('thread', (event) => this.store.event('thread', parse(event)))
    source.addEventListener('thread_deleted', (event) => this.store.event('thread_deleted', parse(event)))
    source.addEventListener('error', () => {
      if (everOpen) this.streamState.textContent = 'Kommentarene oppdateres ikke direkte akkurat nå. Kobler til igjen …'
      // The browser reconnects by itself unless the server refused the stream: then retry here.
      if (source.readyState === 2) {
        source.close()
        if (this.source === source) {
          setTimeout(() => { if (this.source === source) this.connect() }, this.retry)
          this.retry = Math.min(this.retry * 2, 30000)
        }
      }
    })
  }

  // ——— The panel ———

  buildPanel (side, layout) {
    this.live = h('div', { class: 'skjult', 'aria-live': 'polite', 'aria-atomic': 'true', id: 'kommentar-varsel' })
    document.body.append(this.live)

    this.toggleCount = h('span', { class: 'antall' })
    this.toggle = h('button', {
      type: 'button',
      class: 'sekundaer kommentar-bryter',
      'aria-expanded': 'false',
      'aria-controls': 'kommentarer',
      onclick: () => this.setOpen(!this.open, true)
    }, 'Kommentarer ', this.toggleCount)
    const toggleBox = h('div', { class: 'kommentar-bryter-boks' }, this.toggle)
    if (side) side.prepend(toggleBox)
    else layout.before(toggleBox)

    const status = h('select', { id: 'kommentar-status' }, STATUS_OPTIONS.map(([v, l]) => h('option', { value: v }, l)))
    const section = h('select', { id: 'kommentar-del' }, h('option', { value: '' }, 'Alle deler'))
    const unit = h('select', { id: 'kommentar-enhet' }, h('option', { value: '' }, 'Alle'))
    this.statusSelect = status
    this.sectionSelect = section
    this.unitSelect = unit
    const onFilter = () => {
      this.filters = { status: status.value, section: section.value, unit: unit.value }
      this.render()
    }
    for (const s of [status, section, unit]) s.addEventListener('change', onFilter)

    this.composer = this.buildComposer()
    this.loadError = h('p', { class: 'feil', role: 'alert' })
    this.streamState = h('p', { class: 'kommentar-strom', role: 'status' })
    this.count = h('p', { class: 'kommentar-antall' })
    this.empty = h('p', { class: 'tomt', tabindex: '-1' })
    this.list = h('ol', { class: 'trader', 'aria-label': 'Kommentartråder' })
    const close = h('button', { type: 'button', class: 'sekundaer liten', onclick: () => this.setOpen(false, true) },
      'Skjul', h('span', { class: 'skjult' }, ' kommentarene'))
    this.heading = h('h2', { id: 'kommentarer-tittel', tabindex: '-1' }, 'Kommentarer')
    this.panel = h('aside', { id: 'kommentarer', class: 'kommentarpanel', 'aria-labelledby': 'kommentarer-tittel', hidden: true },
      h('div', { class: 'kommentarpanel-hode' }, this.heading, close),
      this.composer.el,
      h('div', { class: 'kommentar-filter', role: 'group', 'aria-label': 'Filtrer kommentarer' },
        h('div', { class: 'felt' }, h('label', { for: status.id }, 'Status'), status),
        h('div', { class: 'felt' }, h('label', { for: section.id }, 'Del av planen'), section),
        h('div', { class: 'felt' }, h('label', { for: unit.id }, 'Forfatterens enhet'), unit)),
      this.loadError, this.streamState, this.count, this.empty, this.list)
    layout.append(this.panel)

    let stored = null
    try { stored = localStorage.getItem(OPEN_KEY) } catch { /* no storage */ }
    this.setOpen(stored != null ? stored === 'true' : window.matchMedia(WIDE).matches, false)
    this.render()
  }

  setOpen (open, remember) {
    this.open = open
    this.panel.hidden = !open
    this.toggle.setAttribute('aria-expanded', String(open))
    document.documentElement.classList.toggle('kommentarer-apne', open)
    if (remember) {
      try { localStorage.setItem(OPEN_KEY, String(open)) } catch { /* no storage */ }
      if (open) this.heading.focus()
      else this.toggle.focus()
    }
  }

  buildComposer () {
    const textarea = h('textarea', { id: 'ny-kommentar-tekst', rows: '4', required: true, 'aria-describedby': 'ny-kommentar-sitat' })
    const error = h('p', { class: 'feil', id: 'ny-kommentar-feil', role: 'alert' })
    const place = h('p', { class: 'trad-sted' })
    const quote = h('blockquote', { class: 'sitat', id: 'ny-kommentar-sitat' })
    const submit = h('button', { type: 'submit' }, 'Send kommentar')
    const cancel = h('button', { type: 'button', class: 'sekundaer', onclick: () => this.closeComposer(true) }, 'Avbryt')
    const form = h('form', { class: 'ny-kommentar', 'aria-labelledby': 'ny-kommentar-tittel', hidden: true, novalidate: true },
      h('h3', { id: 'ny-kommentar-tittel' }, 'Ny kommentar'),
      place, quote,
      h('div', { class: 'felt' }, h('label', { for: textarea.id }, 'Kommentar'), textarea),
      error,
      h('div', { class: 'knapper' }, submit, cancel))
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') { event.preventDefault(); this.closeComposer(true) }
    })
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      this.submitComposer()
    })
    return { el: form, textarea, error, place, quote, submit }
  }

  openComposer (pending) {
    const previous = this.pending?.anchor
    this.pending = pending
    const c = this.composer
    const a = pending.anchor
    c.place.textContent = pending.label || ''
    c.quote.textContent = a.kind === 'tiltak' ? `Tiltak: ${a.quote}` : `«${a.quote}»`
    c.error.textContent = ''
    c.textarea.removeAttribute('aria-invalid')
    c.el.hidden = false
    this.setOpen(true, false)
    this.refreshHighlights(a, previous)
    c.textarea.focus()
    c.el.scrollIntoView?.({ block: 'nearest' })
  }

  closeComposer (returnFocus) {
    const pending = this.pending
    this.pending = null
    this.composer.el.hidden = true
    this.composer.textarea.value = ''
    this.composer.error.textContent = ''
    if (pending) this.refreshHighlights(pending.anchor)
    if (returnFocus && pending?.returnTo) pending.returnTo()
  }

  async submitComposer () {
    const c = this.composer
    const body = c.textarea.value.trim()
    if (!this.pending) return
    if (!body) {
      c.error.textContent = 'Skriv en kommentar.'
      c.textarea.setAttribute('aria-invalid', 'true')
      c.textarea.setAttribute('aria-describedby', 'ny-kommentar-feil ny-kommentar-sitat')
      c.textarea.focus()
      return
    }
    c.submit.setAttribute('aria-disabled', 'true')
    this.posting += 1
    try {
      const thread = await this.api.create(this.pending.anchor, body)
      this.store.upsert(thread)
      this.closeComposer(false)
      this.selectThread(thread.id, { reveal: true, focus: true })
      this.say('Kommentaren er lagret.')
    } catch (error) {
      c.error.textContent = errorMessage(error.status ?? 0, error.serverText, 'Kommentaren ble ikke lagret')
      c.textarea.focus()
    } finally {
      this.posting -= 1
      c.submit.removeAttribute('aria-disabled')
    }
  }

  /** Selects a thread: stronger highlight; `reveal` shows it in the panel, `focus` moves there. */
  selectThread (id, { reveal = false, focus = false } = {}) {
    const thread = this.store.get(id)
    if (!thread) return
    if (this.selected !== id) {
      const previous = this.selected
      this.selected = id
      this.revealed = null
      this.threadViews.get(previous)?.setSelected(false)
      this.threadViews.get(id)?.setSelected(true)
      this.refreshHighlights(id, previous)
    }
    if (!reveal && !focus) return
    if (!this.open) this.setOpen(true, false)
    // A thread hidden by the filters is shown by widening them.
    const visible = filterThreads([thread], this.filters, (r) => this.rowSection(r)).length > 0
    if (!visible) {
      if (this.filters.status !== 'all' && thread.status !== this.filters.status) this.filters.status = 'all'
      this.filters.section = ''
      this.filters.unit = ''
      this.statusSelect.value = this.filters.status
      this.sectionSelect.value = ''
      this.unitSelect.value = ''
    }
    this.render()
    const view = this.threadViews.get(id)
    if (!view) return
    view.el.scrollIntoView?.({ block: 'nearest' })
    if (focus) view.el.focus({ preventScroll: true })
  }

  /** Shows a thread's text in its editor, or its tiltak row. */
  showInText (thread) {
    this.selectThread(thread.id)
    if (this.revealed !== thread.id) {
      this.revealed = thread.id
      this.refreshHighlights(thread)
    }
    const a = thread.anchor
    if (a.kind === 'tiltak') { this.tables?.focusRow(a.row); return }
    const view = this.views.get(a.section)
    const from = this.positions.get(thread.id)
    if (!view || from == null) return
    if (view.editable) {
      view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, from)).scrollIntoView())
      view.focus()
    } else {
      const { node } = view.domAtPos(from)
      const el = node.nodeType === 1 ? node : node.parentElement
      el?.scrollIntoView({ block: 'center' })
    }
  }

  scheduleRender () {
    if (this.renderQueued || !this.panel) return
    this.renderQueued = true
    requestAnimationFrame(() => { this.renderQueued = false; this.render() })
  }

  sectionOrder () {
    return [...document.querySelectorAll('#plan section[data-section-id]')].map((el) => el.dataset.sectionId)
  }

  render () {
    if (!this.panel) return
    const rowSection = (id) => this.rowSection(id)
    const all = this.store.list()
    const order = this.sectionOrder()
    this.refreshFilters(all, order, rowSection)
    const shown = sortThreads(filterThreads(all, this.filters, rowSection), order, rowSection, (t) => this.positions.get(t.id) ?? null)

    // Focus inside a thread that leaves the list goes to its neighbour (or the panel heading).
    const active = document.activeElement
    const activeThread = active && this.list.contains(active) ? active.closest('.trad')?.dataset.threadId : null
    const oldIds = [...this.list.children].map((li) => li.dataset.threadId)

    for (const [id, view] of this.threadViews) {
      if (!this.store.get(id)) { view.li.remove(); this.threadViews.delete(id) }
    }
    const desired = shown.map((t) => {
      let view = this.threadViews.get(t.id)
      if (!view) { view = new ThreadView(this, t); this.threadViews.set(t.id, view) } else view.update(t)
      return view.li
    })
    let cursor = this.list.firstChild
    for (const li of desired) {
      if (li === cursor) { cursor = cursor.nextSibling; continue }
      this.list.insertBefore(li, cursor)
    }
    while (cursor) { const next = cursor.nextSibling; cursor.remove(); cursor = next }

    const open = all.filter((t) => t.status === 'open').length
    this.toggleCount.textContent = `(${open} ${open === 1 ? 'åpen' : 'åpne'})`
    const filtering = this.filters.section || this.filters.unit
    const noun = this.filters.status === 'open' ? 'åpne ' : this.filters.status === 'resolved' ? 'løste ' : ''
    this.empty.hidden = shown.length > 0 || !this.loaded
    this.empty.textContent = all.length === 0
      ? 'Ingen kommentarer ennå.'
      : `Ingen ${noun}kommentarer${filtering ? ' som passer filteret' : ''}.`
    this.count.textContent = shown.length > 0 ? `Viser ${shown.length} av ${all.length} ${all.length === 1 ? 'tråd' : 'tråder'}.` : ''

    // Focus that was in a removed element goes to its thread, else a neighbour, else the panel.
    if (activeThread && !active.isConnected) {
      const listed = (id) => shown.some((t) => t.id === id)
      const at = oldIds.indexOf(activeThread)
      const nextId = [activeThread, ...oldIds.slice(at + 1), ...oldIds.slice(0, at).reverse()].find(listed)
      if (nextId) this.threadViews.get(nextId).el.focus()
      else if (!this.empty.hidden) this.empty.focus()
      else this.heading.focus()
    }
  }

  refreshFilters (all, order, rowSection) {
    // Status options with their counts.
    const counts = { open: 0, resolved: 0, all: all.length }
    for (const t of all) counts[t.status] = (counts[t.status] || 0) + 1
    STATUS_OPTIONS.forEach(([value, label], i) => {
      const text = `${label} (${counts[value] || 0})`
      const option = this.statusSelect.options[i]
      if (option.textContent !== text) option.textContent = text
    })
    // Sections that have threads, in page order (the chosen one stays).
    const sections = new Set(all.map((t) => sectionOf(t, rowSection)).filter(Boolean))
    if (this.filters.section) sections.add(this.filters.section)
    const sorted = [...sections].sort((a, b) => {
      const i = order.indexOf(a)
      const j = order.indexOf(b)
      return (i < 0 ? Infinity : i) - (j < 0 ? Infinity : j)
    })
    const sectionKey = sorted.join('\n')
    if (sectionKey !== this.sectionKey) {
      this.sectionKey = sectionKey
      this.sectionSelect.replaceChildren(h('option', { value: '' }, 'Alle deler'),
        ...sorted.map((id) => h('option', { value: id }, headingTextOf(sectionEl(id)) || id)))
      this.sectionSelect.value = this.filters.section
    }
    const units = unitsOf(all)
    if (this.filters.unit && this.filters.unit !== NO_UNIT && !units.includes(this.filters.unit)) units.push(this.filters.unit)
    const withoutUnit = all.some((t) => !t.author?.unit) || this.filters.unit === NO_UNIT
    const unitKey = `${units.join('\n')}|${withoutUnit}`
    if (unitKey !== this.unitKey) {
      this.unitKey = unitKey
      fill(this.unitSelect, h('option', { value: '' }, 'Alle'),
        ...units.map((u) => h('option', { value: u }, u)),
        withoutUnit ? h('option', { value: NO_UNIT }, 'Uten enhet') : null)
      this.unitSelect.value = this.filters.unit
    }
  }

  /** Runs an API call for a thread view: errors go to `errorEl`; the answer updates the store. */
  async act (errorEl, action, fn) {
    errorEl.textContent = ''
    this.posting += 1
    try {
      return await fn()
    } catch (error) {
      errorEl.textContent = errorMessage(error.status ?? 0, error.serverText, action)
      return undefined
    } finally {
      this.posting -= 1
    }
  }
}

/** One thread in the panel. The reply draft and open edit forms survive updates. */
class ThreadView {
  constructor (comments, thread) {
    this.c = comments
    this.id = thread.id
    const base = `trad-${thread.id}`
    this.titleId = `${base}-tittel`
    this.title = h('h3', { id: this.titleId, class: 'trad-tittel' })
    this.place = h('p', { class: 'trad-sted' })
    this.deletedNote = h('p', { class: 'trad-slettet' }, 'Teksten er slettet')
    this.changedNote = h('p', { class: 'trad-endret' })
    this.meta = h('p', { class: 'trad-meta' })
    this.statusLine = h('p', { class: 'trad-status' })
    this.list = h('ol', { class: 'trad-kommentarer', 'aria-label': 'Kommentarer i tråden' })
    this.commentViews = new Map()
    this.error = h('p', { class: 'feil', role: 'alert' })
    this.showButton = h('button', { type: 'button', class: 'sekundaer liten', onclick: () => this.c.showInText(this.thread) })
    this.resolveButton = h('button', { type: 'button', class: 'sekundaer liten', onclick: () => this.toggleResolved() })
    this.buttons = h('div', { class: 'trad-knapper' }, this.showButton, this.resolveButton)

    const replyId = `${base}-svar`
    this.replyText = h('textarea', { id: replyId, rows: '2', 'aria-describedby': this.titleId })
    this.replyError = h('p', { class: 'feil', role: 'alert' })
    this.replySubmit = h('button', { type: 'submit', class: 'liten' }, 'Send svar')
    this.replyForm = h('form', { class: 'svar', novalidate: true },
      h('label', { for: replyId }, 'Svar'), this.replyText, this.replyError,
      h('div', { class: 'knapper' }, this.replySubmit))
    this.replyForm.addEventListener('submit', (event) => { event.preventDefault(); this.reply() })

    this.el = h('article', { class: 'trad', id: base, 'data-thread-id': thread.id, tabindex: '-1', 'aria-labelledby': this.titleId },
      h('div', { class: 'trad-hode' }, this.title, this.place, this.deletedNote, this.changedNote, this.meta, this.statusLine),
      this.list, this.replyForm, this.buttons, this.error)
    this.el.addEventListener('focusin', () => this.c.selectThread(this.id))
    this.el.addEventListener('click', (event) => {
      if (!event.target.closest('button, textarea, input, select, a')) this.c.selectThread(this.id)
    })
    this.li = h('li', { 'data-thread-id': thread.id }, this.el)
    this.update(thread)
    this.setSelected(this.c.selected === this.id)
  }

  setSelected (on) {
    this.el.classList.toggle('valgt', on)
    if (on) this.el.setAttribute('aria-current', 'true')
    else this.el.removeAttribute('aria-current')
  }

  update (thread) {
    this.thread = thread
    const c = this.c
    const a = thread.anchor || {}
    const open = thread.status === 'open'
    const present = c.isPresent(thread)
    const title = a.kind === 'tiltak' ? `Tiltak: ${a.quote || ''}` : `«${a.quote || ''}»`
    if (this.title.textContent !== title) this.title.textContent = title
    const place = headingTextOf(sectionEl(sectionOf(thread, (id) => c.rowSection(id))))
    if (this.place.textContent !== place) this.place.textContent = place
    this.place.hidden = !place
    this.deletedNote.hidden = present
    this.deletedNote.textContent = a.kind === 'tiltak' ? 'Tiltaket er slettet' : 'Teksten er slettet'
    // The anchored text as it reads now, when it differs from the quote.
    const now = present ? (c.current.get(thread.id) ?? thread.current_text) : null
    const squash = (text) => (text || '').replace(/\s+/g, ' ').trim()
    const changed = now != null && squash(now) !== squash(a.quote)
    const nowText = changed ? `Teksten nå: «${clip(squash(now), 300)}»` : ''
    if (this.changedNote.textContent !== nowText) this.changedNote.textContent = nowText
    this.changedNote.hidden = !changed
    fill(this.meta, 'Startet av ', personLabel(thread.author), ', ', timeEl(thread.created_at))
    this.el.dataset.status = thread.status
    if (open) fill(this.statusLine, h('span', { class: 'merke apen' }, 'Åpen'))
    else {
      fill(this.statusLine, h('span', { class: 'merke lost' }, 'Løst'),
        thread.resolved_by ? ` av ${personLabel(thread.resolved_by)}` : '',
        thread.resolved_at ? [', ', timeEl(thread.resolved_at)] : '')
    }

    // Comments, keyed by id.
    const seen = new Set()
    let cursor = this.list.firstChild
    for (const comment of thread.comments || []) {
      seen.add(comment.id)
      let view = this.commentViews.get(comment.id)
      if (!view) { view = new CommentView(this, comment); this.commentViews.set(comment.id, view) } else view.update(comment)
      if (view.li === cursor) { cursor = cursor.nextSibling; continue }
      this.list.insertBefore(view.li, cursor)
    }
    for (const [id, view] of this.commentViews) {
      if (!seen.has(id)) { view.li.remove(); this.commentViews.delete(id) }
    }

    this.replyForm.hidden = !(c.canComment && open)
    this.showButton.hidden = !present
    this.showButton.textContent = a.kind === 'tiltak' ? 'Vis tiltaket' : 'Vis i teksten'
    const may = canResolve(thread, c.ctx)
    this.resolveButton.hidden = !may
    const label = open ? 'Løs' : 'Gjenåpne'
    if (this.resolveButton.textContent !== label) this.resolveButton.textContent = label
    this.buttons.hidden = this.showButton.hidden && this.resolveButton.hidden
  }

  async reply () {
    const body = this.replyText.value.trim()
    if (!body) {
      this.replyError.textContent = 'Skriv et svar.'
      this.replyText.focus()
      return
    }
    this.replySubmit.setAttribute('aria-disabled', 'true')
    const comment = await this.c.act(this.replyError, 'Svaret ble ikke lagret', () => this.c.api.reply(this.id, body))
    this.replySubmit.removeAttribute('aria-disabled')
    if (!comment) { this.replyText.focus(); return }
    this.replyText.value = ''
    this.c.store.addComment(this.id, comment)
    this.c.say('Svaret er lagret.')
  }

  async toggleResolved () {
    const open = this.thread.status === 'open'
    const thread = await this.c.act(this.error, open ? 'Tråden ble ikke løst' : 'Tråden ble ikke gjenåpnet',
      () => (open ? this.c.api.resolve(this.id) : this.c.api.reopen(this.id)))
    if (!thread) return
    this.c.store.upsert(thread)
    this.c.say(open ? 'Tråden er løst.' : 'Tråden er åpnet igjen.')
    if (this.el.isConnected && this.el.contains(document.activeElement) === false) this.resolveButton.focus()
  }
}

/** Replaces an element's children (nested arrays flattened; null and false left out). */
function fill (el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false && c !== ''))
}

function timeEl (iso) {
  return h('time', { datetime: iso || '' }, formatTime(iso))
}

/** One comment: its text, and for its author «Rediger» and «Slett». */
class CommentView {
  constructor (thread, comment) {
    this.t = thread
    this.c = thread.c
    this.id = comment.id
    this.head = h('p', { class: 'kommentar-hode' })
    this.body = h('p', { class: 'kommentar-tekst' })
    this.tools = h('div', { class: 'kommentar-knapper' })
    this.error = h('p', { class: 'feil', role: 'alert' })
    this.li = h('li', { class: 'kommentar', 'data-comment-id': comment.id }, this.head, this.body, this.tools, this.error)
    this.mode = 'view'
    this.update(comment)
  }

  update (comment) {
    const same = this.comment && JSON.stringify(this.comment) === JSON.stringify(comment)
    this.comment = comment
    if (same) return
    fill(this.head,
      h('span', { class: 'navn' }, comment.author?.name || 'Ukjent'),
      comment.author?.unit ? h('span', { class: 'enhet' }, ` (${comment.author.unit})`) : null,
      ' · ', timeEl(comment.created_at),
      comment.edited_at ? h('span', { class: 'redigert' }, ' · redigert') : null)
    this.body.textContent = comment.body
    if (this.mode === 'view') this.showTools()
  }

  own () { return canChangeComment(this.comment, this.c.ctx) }

  /** Back to reading: «Rediger» and «Slett» for the author (the same buttons, so focus stays). */
  showTools () {
    this.mode = 'view'
    this.body.hidden = false
    if (!this.own()) { this.tools.replaceChildren(); return }
    if (!this.editButton) {
      const context = ` din kommentar fra ${formatTime(this.comment.created_at)}`
      this.editButton = h('button', { type: 'button', class: 'sekundaer liten', onclick: () => this.edit() }, 'Rediger', h('span', { class: 'skjult' }, context))
      this.deleteButton = h('button', { type: 'button', class: 'sekundaer liten slett', onclick: () => this.confirmDelete() }, 'Slett', h('span', { class: 'skjult' }, context))
    }
    if (this.tools.firstChild !== this.editButton || this.tools.childNodes.length !== 2) this.tools.replaceChildren(this.editButton, this.deleteButton)
  }

  edit () {
    this.mode = 'edit'
    const id = uid('rediger')
    const area = h('textarea', { id, rows: '3' })
    area.value = this.comment.body
    const save = h('button', { type: 'submit', class: 'liten' }, 'Lagre')
    const cancel = h('button', { type: 'button', class: 'sekundaer liten', onclick: () => { this.showTools(); this.editButton.focus() } }, 'Avbryt')
    const form = h('form', { class: 'rediger', novalidate: true },
      h('label', { for: id }, 'Rediger kommentaren'), area, h('div', { class: 'knapper' }, save, cancel))
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') { event.preventDefault(); this.showTools(); this.editButton.focus() }
    })
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      const body = area.value.trim()
      if (!body) { this.error.textContent = 'Kommentaren kan ikke være tom. Slett den i stedet.'; area.focus(); return }
      const comment = await this.c.act(this.error, 'Endringen ble ikke lagret', () => this.c.api.edit(this.t.id, this.id, body))
      if (!comment) { area.focus(); return }
      this.showTools()
      this.c.store.replaceComment(this.t.id, comment)
      this.editButton.focus()
      this.c.say('Kommentaren er endret.')
    })
    this.body.hidden = true
    this.tools.replaceChildren(form)
    area.focus()
  }

  confirmDelete () {
    this.mode = 'confirm'
    const yes = h('button', { type: 'button', class: 'liten slett-bekreft' }, 'Ja, slett')
    const no = h('button', { type: 'button', class: 'sekundaer liten', onclick: () => { this.showTools(); this.deleteButton.focus() } }, 'Avbryt')
    const last = (this.t.thread.comments || []).length === 1
    yes.addEventListener('click', async () => {
      const ok = await this.c.act(this.error, 'Kommentaren ble ikke slettet', () => this.c.api.remove(this.t.id, this.id).then(() => true))
      if (!ok) return
      this.c.store.dropComment(this.t.id, this.id)
      this.c.say(last ? 'Kommentaren og tråden er slettet.' : 'Kommentaren er slettet.')
      if (!last && this.t.el.isConnected) this.t.el.focus()
    })
    this.tools.replaceChildren(h('p', { class: 'bekreft' }, last ? 'Slette kommentaren? Tråden slettes også.' : 'Slette kommentaren?'), yes, ' ', no)
    yes.focus()
  }
}

// Comment threads in the editor. This class holds what the parts share (the visitor's rights,
// the thread store, the selected thread) and wires them together:
//
// - comment-feed.js: the threads from the server, the full list and the event stream;
// - comment-highlights.js: the highlights of anchored text in the prose editors, and the
//   read-only caret of those who may comment but not edit;
// - comment-composer.js: the «Kommenter» buttons and the new-thread form;
// - comment-panel.js (with comment-filters.js and comment-views.js): the «Kommentarer» panel.
//
// The DOM-free logic (anchors, filters, order, permissions, the store, the HTTP client) is in
// threads.js.

import { pageContext, ThreadStore, ThreadsApi, sortThreads, openRowCounts, newActivity, errorMessage } from './threads.js'
import { Highlights } from './comment-highlights.js'
import { Composer } from './comment-composer.js'
import { ThreadFeed } from './comment-feed.js'
import { CommentPanel } from './comment-panel.js'
import { RowKey, shared } from './layout.js'
import { Suggestions } from './suggestions.js'

export class Comments {
  /** @param {object} o { data: the page data, doc: the plan's Y.Doc } */
  constructor ({ data, doc }) {
    this.data = data
    this.doc = doc
    this.ctx = pageContext(data)
    this.canComment = this.ctx.canComment
    this.api = new ThreadsApi(data.plan_id, this.ctx)
    this.store = new ThreadStore((change) => this.changed(change))
    this.highlights = new Highlights(this)
    this.composer = new Composer(this)
    this.suggestions = new Suggestions(this)
    this.feed = null // the threads from the server, once started
    this.panel = null // the «Kommentarer» panel, once started
    this.selected = null
    this.revealed = null // a resolved thread whose text was asked for
    this.tables = null
    this.posting = 0
    this.numbersTimer = null
  }

  /** The prose editors with highlights, by section id. */
  get views () { return this.highlights.views }
  /** Whether each text thread's text is there, as its editor sees it. */
  get present () { return this.highlights.present }

  // ——— Hooks for the prose editors (prose.js) and the tiltak table (tiltak.js) ———

  /** The ProseMirror plugins for one prose section: highlights and, for advisers, the caret. */
  plugins (sectionId, { caret }) {
    return [
      ...this.highlights.plugins(sectionId, { caret, onRefused: () => this.refusedEdit(sectionId) }),
      ...this.suggestions.plugins(sectionId)
    ]
  }

  /** The «Kommenter» button and its hint under a prose editor, or null for readers. */
  sectionControls (sectionId, headingText, getView) {
    const controls = this.composer.sectionControls(sectionId, headingText, getView)
    this.suggestions.addButton(controls, sectionId, getView)
    return controls
  }

  /** Someone who may only comment tried to change the text. */
  refusedEdit (sectionId) {
    this.composer.refusedEdit(sectionId)
  }

  /** Opens the new-thread form for a tiltak row. */
  composeRow (rowId, text, returnTo) {
    this.composer.composeRow(rowId, text, returnTo)
  }

  attachTables (tables) {
    this.tables = tables
    tables.setCommentCounts(openRowCounts(this.store.list()))
    tables.setSuggestionCounts(this.suggestions.rowCounts())
    shared.tiltak(this.doc).observe(() => {
      this.scheduleRender()
      this.refreshNumbers()
    })
  }

  /**
   * Rows added, removed or moved renumber the tiltak: once the table has been still for a
   * moment, the threads are fetched again for the numbers (the server numbers rows, as the
   * plan prints them). Only when some thread is on a row.
   */
  refreshNumbers () {
    if (!this.store.list().some((t) => t.anchor?.kind === 'tiltak')) return
    clearTimeout(this.numbersTimer)
    this.numbersTimer = setTimeout(() => this.feed?.reload(), 2000)
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
    const inEditor = this.highlights.presentInEditor(thread)
    if (inEditor !== undefined) return inEditor
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
      if (activity && !maybeMine) this.panel?.announce(activity)
    }
    if (change.kind === 'deleted') {
      this.highlights.forget(change.id)
      if (this.selected === change.id) this.selected = null
    }
    this.tables?.setCommentCounts(openRowCounts(this.store.list()))
    if (change.kind === 'reset') this.highlights.refresh()
    else this.highlights.refresh(change.thread, change.before)
    this.scheduleRender()
  }

  // ——— Start: the panel and the event stream ———

  start ({ side, layout }) {
    if (this.panel) return
    this.feed = new ThreadFeed(this.api, this.store, {
      loadError: (text) => { this.panel.loadError.textContent = text },
      streamState: (text) => { this.panel.streamState.textContent = text },
      settled: () => this.scheduleRender(),
      suggestion: (suggestion) => this.suggestions.event(suggestion),
      opened: () => this.suggestions.load()
    })
    this.panel = new CommentPanel(this, { side, layout })
    this.suggestions.mount(this.panel)
    this.feed.start()
  }

  /** Selects a thread: stronger highlight; `reveal` shows it in the panel, `focus` moves there. */
  selectThread (id, { reveal = false, focus = false } = {}) {
    const thread = this.store.get(id)
    if (!thread) return
    if (this.selected !== id) {
      const previous = this.selected
      this.selected = id
      this.revealed = null
      this.panel?.markSelected(previous, id)
      this.highlights.refresh(id, previous)
    }
    if (!reveal && !focus) return
    this.panel.reveal(thread, focus)
  }

  /** Shows a thread's text in its editor, or its tiltak row. */
  showInText (thread) {
    this.selectThread(thread.id)
    if (this.revealed !== thread.id) {
      this.revealed = thread.id
      this.highlights.refresh(thread)
    }
    if (thread.anchor.kind === 'tiltak') this.tables?.focusRow(thread.anchor.row)
    else this.highlights.showInEditor(thread)
  }

  scheduleRender () {
    this.panel?.scheduleRender()
  }

  /** Says `text` in the panel's polite live region. */
  say (text) {
    this.panel?.say(text)
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

// The highlights of commented text in the prose editors. Text threads are anchored by Yjs
// relative positions (threads.js); each prose editor has a decoration plugin that draws the open
// threads' ranges from them, recomputed whenever the section's document changes, and a click on
// a highlight selects its thread. Advisers may comment but not edit: their editors get a caret
// (so text can be selected with the keyboard) while every change to the text is refused.

import { Plugin, PluginKey, TextSelection } from 'prosemirror-state'
import { Decoration, DecorationSet } from 'prosemirror-view'
import { ySyncPluginKey } from 'y-prosemirror'
import { decodePosition, rangeOf } from './threads.js'

export const KEY = new PluginKey('samskriv-kommentarer')

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

/**
 * What the prose editors show of the threads, and what they know of them: whether a thread's
 * text is there, where it starts, and how it reads now.
 */
export class Highlights {
  /**
   * @param {object} comments the Comments it draws for: its `store`, `selected` and `revealed`
   *   threads, the new thread being written (`composer.pending`), `selectThread` and
   *   `scheduleRender` (the panel shows what the editors learn)
   */
  constructor (comments) {
    this.c = comments
    this.views = new Map() // section id → EditorView
    this.rels = new Map() // thread id → { start, end } decoded relative positions
    this.present = new Map() // thread id → whether its text is there, as the editor sees it
    this.positions = new Map() // thread id → ProseMirror position of its start
    this.current = new Map() // thread id → its anchored text as the editor shows it now
  }

  /** The ProseMirror plugins for one prose section: highlights and, for advisers, the caret. */
  plugins (sectionId, { caret, onRefused }) {
    const plugins = [this.plugin(sectionId)]
    if (caret) plugins.push(readOnlyCaretPlugin(onRefused))
    return plugins
  }

  plugin (sectionId) {
    const highlights = this
    return new Plugin({
      key: KEY,
      state: {
        init: () => DecorationSet.empty,
        apply (tr, set, _old, state) {
          // Remote changes (and the first render) come with the sync plugin's meta, when its
          // mapping of Yjs types to nodes is current; local ones are mapped now and recomputed
          // once the sync plugin has written them to the document (see the observer below).
          if (tr.getMeta(KEY) || tr.getMeta(ySyncPluginKey) !== undefined) return highlights.decorations(sectionId, state)
          return set.map(tr.mapping, tr.doc)
        }
      },
      props: {
        decorations: (state) => KEY.getState(state),
        handleClick: (view, pos, event) => {
          const mark = event.target.closest?.('.kommentar-anker[data-thread-id]')
          if (mark) highlights.c.selectThread(mark.dataset.threadId, { reveal: true })
          return false
        }
      },
      view (view) {
        highlights.views.set(sectionId, view)
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
            if (highlights.views.get(sectionId) === view) highlights.views.delete(sectionId)
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
    const c = this.c
    const max = state.doc.content.size
    const decos = []
    let changed = false
    for (const thread of c.store.list()) {
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
      const selected = c.selected === thread.id
      // Resolved threads are drawn only when asked for («Vis i teksten»).
      if (thread.status !== 'open' && c.revealed !== thread.id) continue
      decos.push(Decoration.inline(range.from, range.to,
        { class: `kommentar-anker${selected ? ' valgt' : ''}`, 'data-thread-id': thread.id },
        { threadId: thread.id, inclusiveStart: false, inclusiveEnd: true }))
    }
    const p = c.composer.pending
    if (p && p.anchor.kind === 'text' && p.anchor.section === sectionId) {
      const range = rangeOf(ydoc, fragment, p.rel.start, p.rel.end, mapping)
      if (range && range.to <= max) {
        decos.push(Decoration.inline(range.from, range.to, { class: 'kommentar-ny' }, { inclusiveStart: false, inclusiveEnd: true }))
      }
    }
    if (changed) c.scheduleRender()
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
  refresh (...threads) {
    const sections = new Set()
    for (const t of threads) {
      const a = typeof t === 'string' ? this.c.store.get(t)?.anchor : t?.anchor || t
      if (a?.kind === 'text') sections.add(a.section)
    }
    for (const [section, view] of this.views) {
      if (threads.length === 0 || sections.has(section)) view.samskrivRefreshComments?.()
    }
  }

  /** A deleted thread: nothing more to know of it. */
  forget (id) {
    this.rels.delete(id)
    this.current.delete(id)
    this.present.delete(id)
    this.positions.delete(id)
  }

  /** Whether a text thread's text is there as its editor sees it; undefined when no editor knows. */
  presentInEditor (thread) {
    const a = thread.anchor || {}
    if (a.kind === 'text' && this.views.has(a.section) && this.present.has(thread.id)) return this.present.get(thread.id)
    return undefined
  }

  /** Puts the caret at a text thread's start (or, read-only, scrolls there). */
  showInEditor (thread) {
    const view = this.views.get(thread.anchor.section)
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
}

// The «Kommentarer» panel: its toggle, the new-thread form, the filters, the list of threads in
// reading order, and the polite live region that announces others' new comments.

import { h, planSection, sectionHeadingText } from './util.js'
import { sortThreads, sectionOf, personLabel, clip } from './threads.js'
import { ThreadFilters } from './comment-filters.js'
import { ThreadView } from './comment-views.js'

const OPEN_KEY = 'samskriv.kommentarer.apen'
const WIDE = '(min-width: 70rem)'

/** Section ids of the plan, in page order. */
function sectionOrder () {
  return [...document.querySelectorAll('#plan section[data-section-id]')].map((el) => el.dataset.sectionId)
}

export class CommentPanel {
  /**
   * Builds the panel in `layout`, its toggle at the top of `side` (else before `layout`).
   * @param {object} comments the Comments it shows: `store`, `feed`, `composer`, `highlights`,
   *   `selected`, `rowSection`, and what the thread views use
   */
  constructor (comments, { side, layout }) {
    this.c = comments
    this.threadViews = new Map() // thread id → ThreadView
    this.filters = new ThreadFilters(() => this.render())
    this.renderQueued = false

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

    const filterEl = this.filters.build()
    const composerEl = comments.composer.build()
    this.loadError = h('p', { class: 'feil', role: 'alert' })
    this.streamState = h('p', { class: 'kommentar-strom', role: 'status' })
    this.count = h('p', { class: 'kommentar-antall' })
    this.empty = h('p', { class: 'tomt', tabindex: '-1' })
    this.list = h('ol', { class: 'trader', 'aria-label': 'Kommentartråder' })
    const close = h('button', { type: 'button', class: 'sekundaer liten', onclick: () => this.setOpen(false, true) },
      'Skjul', h('span', { class: 'skjult' }, ' kommentarene'))
    this.heading = h('h2', { id: 'kommentarer-tittel', tabindex: '-1' }, 'Kommentarer')
    this.el = h('aside', { id: 'kommentarer', class: 'kommentarpanel', 'aria-labelledby': 'kommentarer-tittel', hidden: true },
      h('div', { class: 'kommentarpanel-hode' }, this.heading, close),
      composerEl, filterEl,
      this.loadError, this.streamState, this.count, this.empty, this.list)
    layout.append(this.el)

    let stored = null
    try { stored = localStorage.getItem(OPEN_KEY) } catch { /* no storage */ }
    this.setOpen(stored != null ? stored === 'true' : window.matchMedia(WIDE).matches, false)
    this.render()
  }

  setOpen (open, remember) {
    this.open = open
    this.el.hidden = !open
    this.toggle.setAttribute('aria-expanded', String(open))
    document.documentElement.classList.toggle('kommentarer-apne', open)
    if (remember) {
      try { localStorage.setItem(OPEN_KEY, String(open)) } catch { /* no storage */ }
      if (open) this.heading.focus()
      else this.toggle.focus()
    }
  }

  /** Says `text` in the polite live region (again, when it is the same text). */
  say (text) {
    this.live.textContent = ''
    setTimeout(() => { this.live.textContent = text }, 50)
  }

  /** Announces a new thread or reply by someone else. */
  announce (activity) {
    const where = sectionHeadingText(planSection(sectionOf(activity.thread, (id) => this.c.rowSection(id))))
    const who = personLabel(activity.author)
    const what = activity.kind === 'thread' ? 'Ny kommentar' : 'Nytt svar'
    const body = activity.comment ? `: ${clip(activity.comment.body, 140)}` : ''
    this.say(`${what} fra ${who}${where ? ` i ${where}` : ''}${body}`)
  }

  /** The selection moved from thread `previous` to `id`. */
  markSelected (previous, id) {
    this.threadViews.get(previous)?.setSelected(false)
    this.threadViews.get(id)?.setSelected(true)
  }

  /** Shows thread `thread` in the panel (opened, filters widened); `focus` moves there. */
  reveal (thread, focus) {
    if (!this.open) this.setOpen(true, false)
    this.filters.widenFor(thread, (r) => this.c.rowSection(r))
    this.render()
    const view = this.threadViews.get(thread.id)
    if (!view) return
    view.el.scrollIntoView?.({ block: 'nearest' })
    if (focus) view.el.focus({ preventScroll: true })
  }

  scheduleRender () {
    if (this.renderQueued) return
    this.renderQueued = true
    requestAnimationFrame(() => { this.renderQueued = false; this.render() })
  }

  render () {
    const c = this.c
    const rowSection = (id) => c.rowSection(id)
    const all = c.store.list()
    const order = sectionOrder()
    this.filters.refresh(all, order, rowSection)
    const shown = sortThreads(this.filters.apply(all, rowSection), order, rowSection, (t) => c.highlights.positions.get(t.id) ?? null)

    // Focus inside a thread that leaves the list goes to its neighbour (or the panel heading).
    const active = document.activeElement
    const activeThread = active && this.list.contains(active) ? active.closest('.trad')?.dataset.threadId : null
    const oldIds = [...this.list.children].map((li) => li.dataset.threadId)

    for (const [id, view] of this.threadViews) {
      if (!c.store.get(id)) { view.li.remove(); this.threadViews.delete(id) }
    }
    const desired = shown.map((t) => {
      let view = this.threadViews.get(t.id)
      if (!view) { view = new ThreadView(c, t); this.threadViews.set(t.id, view) } else view.update(t)
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
    const filtering = this.filters.narrowed()
    const status = this.filters.value.status
    const noun = status === 'open' ? 'åpne ' : status === 'resolved' ? 'løste ' : ''
    this.empty.hidden = shown.length > 0 || !c.feed.loaded
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
}

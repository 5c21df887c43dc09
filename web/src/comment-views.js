// The threads in the comment panel: one view per thread (its comments, reply form, «Løs» /
// «Gjenåpne», «Vis i teksten») and per comment («Rediger» / «Slett» for its author). Views are
// kept across updates, so a reply draft or an open edit form survives what others do.

import { h, uid, fill, planSection, sectionHeadingText } from './util.js'
import { clip, sectionOf, canResolve, canChangeComment, personLabel, formatTime, anchorLabel } from './threads.js'

/** One thread in the panel. The reply draft and open edit forms survive updates. */
export class ThreadView {
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
    const title = anchorLabel(thread)
    if (this.title.textContent !== title) this.title.textContent = title
    const place = sectionHeadingText(planSection(sectionOf(thread, (id) => c.rowSection(id))))
    if (this.place.textContent !== place) this.place.textContent = place
    this.place.hidden = !place
    this.deletedNote.hidden = present
    this.deletedNote.textContent = a.kind === 'tiltak' ? 'Tiltaket er slettet' : 'Teksten er slettet'
    // The anchored text as it reads now, when it differs from the quote.
    const now = present ? (c.highlights.current.get(thread.id) ?? thread.current_text) : null
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

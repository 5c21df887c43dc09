// Starting a comment thread: the «Kommenter» button and its hint under each prose editor (and
// Ctrl+Alt+M), the «Kommenter» button of tiltak rows, and the «Ny kommentar» form in the panel.

import { ySyncPluginKey } from 'y-prosemirror'
import { h, uid, planSection, sectionHeadingText } from './util.js'
import { textAnchor, decodePosition, clip, errorMessage } from './threads.js'
import { selectionHasText } from './comment-highlights.js'

export class Composer {
  /**
   * @param {object} comments the Comments it starts threads for: `canComment`, `api`, `store`,
   *   `highlights`, `panel`, `rowSection`, `selectThread`, `say`, `posting`
   */
  constructor (comments) {
    this.c = comments
    this.pending = null // the new thread being written: { anchor, rel, label, returnTo }
    this.form = null
  }

  /** The «Kommenter» button and its hint under a prose editor, or null for readers. */
  sectionControls (sectionId, headingText, getView) {
    if (!this.c.canComment) return null
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

  /** Someone who may only comment tried to change the text: the section's hint says so. */
  refusedEdit (sectionId) {
    const line = planSection(sectionId)?.querySelector('.kommenter-linje .kommenter-hjelp')
    const text = 'Du kan ikke endre teksten, bare kommentere den.'
    if (line && line.textContent !== text) line.textContent = text
  }

  /** Opens the new-thread form for the selection of a prose editor; false when nothing is selected. */
  composeText (sectionId, view) {
    const state = view.state
    if (!this.c.canComment || !selectionHasText(state)) return false
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
    this.open({
      anchor,
      rel: { start: decodePosition(anchor.start), end: decodePosition(anchor.end) },
      label: sectionHeadingText(planSection(sectionId)),
      returnTo: () => view.focus()
    })
    return true
  }

  /** Opens the new-thread form for a tiltak row. */
  composeRow (rowId, text, returnTo) {
    if (!this.c.canComment) return
    const quote = clip((text || '').replace(/\s+/g, ' ').trim()) || 'Tiltak uten tekst'
    const section = this.c.rowSection(rowId)
    this.open({
      anchor: { kind: 'tiltak', row: rowId, quote },
      label: sectionHeadingText(section ? planSection(section) : null),
      returnTo: () => returnTo?.isConnected && returnTo.focus()
    })
  }

  /** The «Ny kommentar» form (hidden until a thread is started), for the panel. */
  build () {
    const textarea = h('textarea', { id: 'ny-kommentar-tekst', rows: '4', required: true, 'aria-describedby': 'ny-kommentar-sitat' })
    const error = h('p', { class: 'feil', id: 'ny-kommentar-feil', role: 'alert' })
    const place = h('p', { class: 'trad-sted' })
    const quote = h('blockquote', { class: 'sitat', id: 'ny-kommentar-sitat' })
    const submit = h('button', { type: 'submit' }, 'Send kommentar')
    const cancel = h('button', { type: 'button', class: 'sekundaer', onclick: () => this.close(true) }, 'Avbryt')
    const form = h('form', { class: 'ny-kommentar', 'aria-labelledby': 'ny-kommentar-tittel', hidden: true, novalidate: true },
      h('h3', { id: 'ny-kommentar-tittel' }, 'Ny kommentar'),
      place, quote,
      h('div', { class: 'felt' }, h('label', { for: textarea.id }, 'Kommentar'), textarea),
      error,
      h('div', { class: 'knapper' }, submit, cancel))
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') { event.preventDefault(); this.close(true) }
    })
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      this.submit()
    })
    this.form = { el: form, textarea, error, place, quote, submit }
    return form
  }

  open (pending) {
    const previous = this.pending?.anchor
    this.pending = pending
    const f = this.form
    const a = pending.anchor
    f.place.textContent = pending.label || ''
    f.quote.textContent = a.kind === 'tiltak' ? `Tiltak: ${a.quote}` : `«${a.quote}»`
    f.error.textContent = ''
    f.textarea.removeAttribute('aria-invalid')
    f.el.hidden = false
    this.c.panel.setOpen(true, false)
    this.c.highlights.refresh(a, previous)
    f.textarea.focus()
    f.el.scrollIntoView?.({ block: 'nearest' })
  }

  close (returnFocus) {
    const pending = this.pending
    this.pending = null
    this.form.el.hidden = true
    this.form.textarea.value = ''
    this.form.error.textContent = ''
    if (pending) this.c.highlights.refresh(pending.anchor)
    if (returnFocus && pending?.returnTo) pending.returnTo()
  }

  async submit () {
    const c = this.c
    const f = this.form
    const body = f.textarea.value.trim()
    if (!this.pending) return
    if (!body) {
      f.error.textContent = 'Skriv en kommentar.'
      f.textarea.setAttribute('aria-invalid', 'true')
      f.textarea.setAttribute('aria-describedby', 'ny-kommentar-feil ny-kommentar-sitat')
      f.textarea.focus()
      return
    }
    f.submit.setAttribute('aria-disabled', 'true')
    c.posting += 1
    try {
      const thread = await c.api.create(this.pending.anchor, body)
      c.store.upsert(thread)
      this.close(false)
      c.selectThread(thread.id, { reveal: true, focus: true })
      c.say('Kommentaren er lagret.')
    } catch (error) {
      f.error.textContent = errorMessage(error.status ?? 0, error.serverText, 'Kommentaren ble ikke lagret')
      f.textarea.focus()
    } finally {
      c.posting -= 1
      f.submit.removeAttribute('aria-disabled')
    }
  }
}

// Suggestions: proposed wording that an editor of the section's unit or the coordinator accepts
// or rejects (the server applies an accepted one as the accepter's edit).
//
// - In each prose editor, an open suggestion shows inline: the words it would replace struck
//   through (<del>) and the proposed words after them (<ins>), each with a hidden «Forslag:»
//   so it is never told by colour alone.
// - «Foreslå endring» under each prose editor (beside «Kommenter») proposes new words for the
//   selection (an empty selection proposes an insertion, empty new words a deletion).
//   Advisers always suggest; editors and coordinators switch «Foreslå endringer» on, which keeps
//   their typing from changing the text.
// - The comments panel lists the open suggestions with their author and unit; those who may
//   edit accept («Godta») or reject («Avvis», with an optional reason) there. An out-of-date
//   one shows the words as they are now and is accepted only after confirming.
//
// Suggestions arrive live on the comments' event stream (`suggestion` events, comment-feed.js).

import { Plugin, PluginKey } from 'prosemirror-state'
import { Decoration, DecorationSet } from 'prosemirror-view'
import { ySyncPluginKey } from 'y-prosemirror'
import { h, uid, planSection, sectionHeadingText } from './util.js'
import { RowKey, shared } from './layout.js'
import { ThreadsApi, absolute, decodePosition, textAnchor, personLabel, formatTime, errorMessage, clip } from './threads.js'
import { fieldChoices, isListKind } from './tiltak-model.js'
import { readGoals } from './goals.js'

export const KEY = new PluginKey('samskriv-forslag')

/** The suggestions API of one plan (the threads API's requests on another path). */
export class SuggestionsApi extends ThreadsApi {
  constructor (planId, ctx, fetchFn) {
    super(planId, ctx, fetchFn)
    this.base = `/api/plans/${encodeURIComponent(planId)}/suggestions`
  }

  create (body) { return this.request('POST', '', body) }
  /** A proposed new row: `fields` as the API's rows are written (field name → text or list). */
  createRow (fields) { return this.create({ new_row: fields }) }
  accept (id, confirmStale) { return this.request('POST', `/${encodeURIComponent(id)}/accept`, { confirm_stale: !!confirmStale }) }
  reject (id, reason) { return this.request('POST', `/${encodeURIComponent(id)}/reject`, reason ? { reason } : {}) }
}

/** A field's values as the table shows them: option (and goal) labels for codes, lists joined. */
function shownValue (field, value, goals) {
  const items = Array.isArray(value) ? value : (value == null || value === '' ? [] : [String(value)])
  const choices = field ? fieldChoices(field, goals) : []
  return items.map((item) => choices.find((o) => o.value === item)?.label || item).join(', ')
}

/**
 * What a suggestion proposes, in words; `schema` is the page's tiltak schema (for labels),
 * `goals` the plan's goals (`[{id, title}]`, for a goals field's titles).
 */
export function describe (s, schema, goals = []) {
  if (s.kind === 'text') {
    const before = clip(s.original || '', 300)
    const after = clip(s.text || '', 300)
    if (!before) return `Sett inn «${after}»`
    if (!after) return `Slett «${before}»`
    return `Erstatt «${before}» med «${after}»`
  }
  const fields = schema?.fields || []
  if (s.kind === 'field') {
    const field = fields.find((f) => f.name === s.field)
    const before = shownValue(field, s.original, goals)
    const after = shownValue(field, s.value, goals)
    const label = field?.label || s.field
    if (!after) return `${label}: tøm «${clip(before, 300)}»`
    return before ? `${label}: «${clip(before, 300)}» blir «${clip(after, 300)}»` : `${label}: «${clip(after, 300)}»`
  }
  const row = s.new_row || {}
  const parts = fields.filter((f) => row[f.name] != null && row[f.name] !== '' && !(Array.isArray(row[f.name]) && !row[f.name].length))
    .map((f) => `${f.label}: ${clip(shownValue(f, row[f.name], goals), 300)}`)
  return `Nytt tiltak – ${parts.join('; ') || 'uten innhold'}`
}

/**
 * A proposed new row from its form's controls (`[{field, read}]`): only the fields given, text
 * trimmed, lists of the chosen values; nothing for a field left empty.
 */
export function proposedRow (controls) {
  const row = {}
  for (const { field, read } of controls) {
    const value = read()
    if (Array.isArray(value) ? value.length > 0 : typeof value === 'string' && value.trim() !== '') {
      row[field.name] = Array.isArray(value) ? value : value.trim()
    }
  }
  return row
}

/**
 * A refused new row in bokmål: the server names the field in its (English) check messages,
 * e.g. "rows[0]: field `frist` is 101 characters long; the limit is 100". Returns the message
 * and the field's name (its control takes focus), or no field when none is named.
 */
export function rowError (status, serverText, fields = []) {
  const action = 'Forslaget ble ikke lagret'
  const text = serverText || ''
  if (status === 0 || status === 401 || status === 403 || status === 413 || status >= 500) {
    return { message: errorMessage(status, text, action), field: null }
  }
  if (status === 404) return { message: `${action}: planen finnes ikke lenger.`, field: null }
  const name = /(?:field|for) `+([^`]+)`+/.exec(text)?.[1]
  const field = fields.find((f) => f.name === name)
  if (field) {
    const label = `«${field.label}»`
    const max = /the limit is (\d+)/.exec(text)?.[1]
    const why = max ? `${label} er for langt: høyst ${max} tegn.`
      : /must be a number/.test(text) ? `${label} må være et tall.`
        : /not allowed|allowed values/.test(text) ? `${label} har en verdi som ikke kan velges. Velg på nytt.`
          : /needs a value|is empty/.test(text) ? `${label} må fylles ut.`
            : `${label} ble ikke godtatt. Sjekk verdien.`
    return { message: `${action}. ${why}`, field: field.name }
  }
  // The server's own bokmål messages («Feltet … er for langt») come after the input's name.
  const norwegian = /[«»æøåÆØÅ]/.test(text) ? text.replace(/^[a-z_]+: /, '') : ''
  return { message: errorMessage(status, norwegian, action), field: null }
}

export class Suggestions {
  /** @param {object} comments the Comments it lives beside: `data`, `ctx`, `views`, `say` */
  constructor (comments) {
    this.c = comments
    this.ctx = comments.ctx
    this.api = new SuggestionsApi(comments.data.plan_id, this.ctx)
    this.items = new Map() // id → suggestion
    this.views = new Map() // section id → EditorView
    this.canPropose = this.ctx.canComment
    this.canDecide = this.ctx.role === 'editor' || this.ctx.role === 'coordinator'
    this.suggesting = false // «Foreslå endringer» is on (editors and coordinators)
    this.pending = null // the suggestion being written: { anchor, label, returnTo }
    this.el = null
  }

  // ——— Data ———

  async load () {
    try {
      const all = await this.api.list()
      this.items = new Map((Array.isArray(all) ? all : []).map((s) => [s.id, s]))
      this.refresh()
    } catch { /* the comments' load error says the server cannot be reached */ }
  }

  event (s) {
    if (!s || typeof s.id !== 'string') return
    const before = this.items.get(s.id)
    this.items.set(s.id, s)
    if (before && before.status === 'open' && s.status !== 'open') {
      this.c.say(s.status === 'accepted' ? 'Et forslag ble godtatt.' : 'Et forslag ble avvist.')
    }
    this.refresh()
  }

  open () { return [...this.items.values()].filter((s) => s.status === 'open') }

  /** Open suggestions for a row's fields, per row id: the table marks those rows. */
  rowCounts () {
    const counts = new Map()
    for (const s of this.open()) if (s.kind === 'field' && s.row) counts.set(s.row, (counts.get(s.row) || 0) + 1)
    return counts
  }

  /** A row's marker was pressed: the panel opens at the row's first open suggestion. */
  showRow (rowId) {
    const first = this.open().find((s) => s.kind === 'field' && s.row === rowId)
    const li = first && this.itemViews?.get(first.id)
    if (!li) return
    const panel = this.c.panel
    if (panel && !panel.open) panel.setOpen(true, false)
    li.scrollIntoView?.({ block: 'nearest' })
    li.focus({ preventScroll: true })
  }

  refresh () {
    this.c.tables?.setSuggestionCounts(this.rowCounts())
    for (const view of this.views.values()) {
      if (!view.isDestroyed) view.dispatch(view.state.tr.setMeta(KEY, true))
    }
    this.render()
  }

  // ——— The prose editors ———

  plugins (sectionId) {
    const self = this
    return [new Plugin({
      key: KEY,
      state: {
        init: () => DecorationSet.empty,
        apply (tr, set, _old, state) {
          if (tr.getMeta(KEY) || tr.getMeta(ySyncPluginKey) !== undefined) return self.decorations(sectionId, state)
          return set.map(tr.mapping, tr.doc)
        }
      },
      // «Foreslå endringer»: one's own typing does not change the text.
      filterTransaction: (tr) => {
        if (!self.suggesting || !tr.docChanged || tr.getMeta(ySyncPluginKey) !== undefined) return true
        self.hint(sectionId, 'Du foreslår endringer: merk teksten og trykk «Foreslå endring».')
        return false
      },
      props: { decorations: (state) => KEY.getState(state) },
      view (view) {
        self.views.set(sectionId, view)
        setTimeout(() => { if (!view.isDestroyed) view.dispatch(view.state.tr.setMeta(KEY, true)) }, 0)
        return { destroy () { if (self.views.get(sectionId) === view) self.views.delete(sectionId) } }
      }
    })]
  }

  decorations (sectionId, state) {
    const ys = ySyncPluginKey.getState(state)
    if (!ys || !ys.binding) return DecorationSet.empty
    const { doc: ydoc, type: fragment, binding } = ys
    const decorations = []
    for (const s of this.open()) {
      if (s.kind !== 'text' || s.anchor?.section !== sectionId) continue
      const from = absolute(ydoc, fragment, decodePosition(s.anchor.start), binding.mapping)
      const to = absolute(ydoc, fragment, decodePosition(s.anchor.end), binding.mapping)
      if (from == null || to == null || to < from) continue
      const who = personLabel(s.author)
      if (to > from) {
        decorations.push(Decoration.widget(from, () => h('span', { class: 'skjult' }, `Forslag fra ${who}, slettes: `), { side: -1, key: `d${s.id}` }))
        decorations.push(Decoration.inline(from, to, { nodeName: 'del', class: 'forslag-slettet', 'data-suggestion-id': s.id }))
      }
      if (s.text) {
        decorations.push(Decoration.widget(to, () => h('ins', { class: 'forslag-innsatt', 'data-suggestion-id': s.id, contenteditable: 'false' },
          h('span', { class: 'skjult' }, `Forslag fra ${who}, settes inn: `), s.text), { side: 1, key: `i${s.id}:${s.text}` }))
      }
    }
    return DecorationSet.create(state.doc, decorations)
  }

  hint (sectionId, text) {
    const line = planSection(sectionId)?.querySelector('.kommenter-linje .kommenter-hjelp')
    if (line && line.textContent !== text) line.textContent = text
  }

  /** Adds «Foreslå endring» to a prose editor's comment controls. */
  addButton (controls, sectionId, getView) {
    if (!this.canPropose || !controls) return
    const button = h('button', {
      type: 'button',
      class: 'sekundaer liten foresla',
      title: 'Foreslå ny tekst for det som er markert',
      'data-section-id': sectionId
    }, 'Foreslå endring', h('span', { class: 'skjult' }, ` i ${sectionHeadingText(planSection(sectionId))}`))
    button.addEventListener('mousedown', (event) => event.preventDefault())
    button.addEventListener('click', () => {
      const view = getView()
      if (!view || !this.compose(sectionId, view)) this.hint(sectionId, 'Sett markøren i teksten, eller merk ordene du vil endre, og trykk så Foreslå endring.')
    })
    controls.el.insertBefore(button, controls.el.children[1] || null)
    controls.el.insertBefore(document.createTextNode(' '), button)
  }

  compose (sectionId, view) {
    const ys = ySyncPluginKey.getState(view.state)
    if (!ys || !ys.binding) return false
    const { from, to } = view.state.selection
    const $from = view.state.doc.resolve(from)
    if (!$from.parent.isTextblock || !$from.sameParent(view.state.doc.resolve(to))) return false
    const text = view.state.doc.textBetween(from, to, '\n', ' ')
    const anchor = textAnchor({ section: sectionId, from, to, fragment: ys.type, mapping: ys.binding.mapping, text })
    anchor.quote = clip(text)
    this.pending = { anchor, label: sectionHeadingText(planSection(sectionId)), returnTo: () => view.focus() }
    const f = this.form
    f.place.textContent = this.pending.label
    f.quote.textContent = text ? `Nå: «${clip(text, 300)}»` : 'Ny tekst settes inn der markøren står.'
    f.textarea.value = text
    f.error.textContent = ''
    f.el.hidden = false
    this.c.panel?.setOpen(true, false)
    f.textarea.focus()
    return true
  }

  close (returnFocus) {
    const pending = this.pending
    this.pending = null
    this.form.el.hidden = true
    this.form.error.textContent = ''
    if (returnFocus) pending?.returnTo()
  }

  async submit () {
    if (!this.pending) return
    const f = this.form
    f.submit.setAttribute('aria-disabled', 'true')
    try {
      const s = await this.api.create({ anchor: this.pending.anchor, text: f.textarea.value })
      this.items.set(s.id, s)
      this.close(false)
      this.refresh()
      this.c.say('Forslaget er lagret.')
      this.itemViews.get(s.id)?.focus()
    } catch (error) {
      f.error.textContent = errorMessage(error.status ?? 0, error.serverText, 'Forslaget ble ikke lagret')
      f.textarea.focus()
    } finally {
      f.submit.removeAttribute('aria-disabled')
    }
  }

  // ——— The panel ———

  /** Builds the «Forslag» part of the comments panel. */
  mount (panel) {
    const textarea = h('textarea', { id: 'nytt-forslag-tekst', rows: '3', 'aria-describedby': 'nytt-forslag-sitat' })
    const error = h('p', { class: 'feil', role: 'alert' })
    const place = h('p', { class: 'trad-sted' })
    const quote = h('p', { class: 'sitat', id: 'nytt-forslag-sitat' })
    const submit = h('button', { type: 'submit' }, 'Send forslag')
    const form = h('form', { class: 'nytt-forslag', 'aria-labelledby': 'nytt-forslag-tittel', hidden: true, novalidate: true },
      h('h3', { id: 'nytt-forslag-tittel' }, 'Nytt forslag'), place, quote,
      h('div', { class: 'felt' }, h('label', { for: textarea.id }, 'Ny tekst'), textarea),
      error,
      h('div', { class: 'knapper' }, submit, h('button', { type: 'button', class: 'sekundaer', onclick: () => this.close(true) }, 'Avbryt')))
    form.addEventListener('submit', (event) => { event.preventDefault(); this.submit() })
    form.addEventListener('keydown', (event) => { if (event.key === 'Escape') { event.preventDefault(); this.close(true) } })
    this.form = { el: form, textarea, error, place, quote, submit }

    const rowForm = this.canPropose ? this.rowForm() : null
    const newRowForm = this.canPropose ? this.newRowForm() : null

    this.list = h('ol', { class: 'trader forslag-liste', 'aria-labelledby': 'forslag-tittel' })
    this.empty = h('p', { class: 'tomt' }, 'Ingen åpne forslag.')
    this.itemViews = new Map()
    const mode = this.canDecide
      ? h('button', { type: 'button', class: 'sekundaer liten', 'aria-pressed': 'false', onclick: (event) => this.setSuggesting(event.currentTarget) }, 'Foreslå endringer')
      : null
    this.el = h('section', { class: 'forslag', 'aria-labelledby': 'forslag-tittel' },
      h('h3', { id: 'forslag-tittel' }, 'Forslag'), mode, form, rowForm, newRowForm, this.empty, this.list)
    panel.el.insertBefore(this.el, panel.list)
    this.load()
  }

  /** Fields a value can be proposed for here: those with one value (text, choice, date, number). */
  singleFields () {
    return (this.c.data.tiltak_schema?.fields || []).filter((f) => ['text', 'long_text', 'enum', 'deadline', 'number'].includes(f.type))
  }

  /** The plan's rows now: id and title (the schema's title field, else the first text). */
  rows () {
    const fields = this.singleFields()
    const titleField = this.c.data.tiltak_schema?.title_field || fields.find((f) => f.type === 'long_text')?.name
    return shared.tiltak(this.c.doc).toArray()
      .filter((m) => typeof m?.get === 'function' && typeof m.get(RowKey.ID) === 'string')
      .map((m, i) => {
        const title = m.get(titleField)
        return { id: m.get(RowKey.ID), title: `${i + 1}. ${clip(String(title ?? '').trim() || 'Tiltak uten tekst', 80)}` }
      })
  }

  /** «Foreslå endring i et tiltak»: a row, one of its fields and the new value. */
  rowForm () {
    const row = h('select', { id: 'tiltak-forslag-rad' })
    const field = h('select', { id: 'tiltak-forslag-felt' })
    const valueBox = h('div', { class: 'felt' })
    const error = h('p', { class: 'feil', role: 'alert' })
    const submit = h('button', { type: 'submit' }, 'Send forslag', h('span', { class: 'skjult' }, ' om tiltaket'))
    let input = null
    const fields = () => this.singleFields()
    const showValue = () => {
      const f = fields().find((x) => x.name === field.value)
      input = f?.type === 'enum'
        ? h('select', { id: 'tiltak-forslag-verdi' }, h('option', { value: '' }, '(tom)'), ...(f.options || []).map((o) => h('option', { value: o.value }, o.label)))
        : f?.type === 'long_text'
          ? h('textarea', { id: 'tiltak-forslag-verdi', rows: '3' })
          : h('input', { id: 'tiltak-forslag-verdi', type: 'text' })
      const m = shared.tiltak(this.c.doc).toArray().find((x) => typeof x?.get === 'function' && x.get(RowKey.ID) === row.value)
      const now = m?.get(field.value)
      input.value = now == null ? '' : String(now)
      valueBox.replaceChildren(h('label', { for: input.id }, 'Ny verdi'), input)
    }
    const fill = () => {
      row.replaceChildren(...this.rows().map((r) => h('option', { value: r.id }, r.title)))
      field.replaceChildren(...fields().map((f) => h('option', { value: f.name }, f.label)))
      showValue()
    }
    row.addEventListener('change', showValue)
    field.addEventListener('change', showValue)
    const form = h('form', { class: 'tiltak-forslag', novalidate: true },
      h('div', { class: 'felt' }, h('label', { for: row.id }, 'Tiltaket det gjelder'), row),
      h('div', { class: 'felt' }, h('label', { for: field.id }, 'Felt'), field),
      valueBox, error, h('div', { class: 'knapper' }, submit))
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      error.textContent = ''
      if (!row.value || !field.value || !input) { error.textContent = 'Velg et tiltak og et felt.'; return }
      submit.setAttribute('aria-disabled', 'true')
      try {
        const s = await this.api.create({ row: row.value, field: field.value, value: input.value })
        this.event(s)
        this.c.say('Forslaget er lagret.')
        details.open = false
        this.itemViews.get(s.id)?.focus()
      } catch (e) {
        error.textContent = errorMessage(e.status ?? 0, e.serverText, 'Forslaget ble ikke lagret')
      } finally {
        submit.removeAttribute('aria-disabled')
      }
    })
    const details = h('details', { class: 'tiltak-forslag-boks' }, h('summary', {}, 'Foreslå endring i et tiltak'), form)
    details.addEventListener('toggle', () => { if (details.open) fill() })
    return details
  }

  /** The plan's goals now, `[{id, title}]`. */
  goals () {
    return this.c.doc ? readGoals(shared.goals(this.c.doc)) : []
  }

  /**
   * One field's control in «Foreslå nytt tiltak», empty: `{field, box, focus, read, mark}`.
   * Choices are a select with their labels; list kinds a group of labelled checkboxes (units:
   * the plan's units; goals: the plan's goals); long text a textarea; the rest a text input.
   */
  newRowControl (field) {
    const id = uid('nytt-tiltak-felt')
    if (isListKind(field)) {
      const choices = field.type === 'unit'
        ? (this.c.data.units || []).map((u) => (typeof u === 'string' ? u : u?.name)).filter(Boolean).map((name) => ({ value: name, label: name }))
        : fieldChoices(field, this.goals())
      const boxes = choices.map((choice, i) => h('input', { type: 'checkbox', id: `${id}-${i}`, value: choice.value }))
      const box = h('fieldset', { class: 'valg-liste', id },
        h('legend', {}, field.label),
        boxes.length
          ? h('div', { class: 'avkrysninger' }, ...boxes.map((input, i) => h('div', { class: 'avkrysning' }, input, h('label', { for: input.id }, choices[i].label))))
          : h('p', { class: 'tomt' }, field.type === 'goals' ? 'Planen har ingen mål ennå.' : 'Ingen valg.'))
      return {
        field,
        box,
        focus: () => (boxes[0] || box).focus(),
        read: () => boxes.filter((b) => b.checked).map((b) => b.value),
        mark: () => {} // the message names the field; focus goes to its first box
      }
    }
    const control = field.type === 'enum'
      ? h('select', { id }, h('option', { value: '' }, '(ikke valgt)'), ...fieldChoices(field).map((o) => h('option', { value: o.value }, o.label)))
      : field.type === 'long_text'
        ? h('textarea', { id, rows: '2' })
        : h('input', { id, type: 'text', inputmode: field.type === 'number' ? 'decimal' : null, autocomplete: 'off' })
    return {
      field,
      box: h('div', { class: 'felt' }, h('label', { for: id }, field.label), control),
      focus: () => control.focus(),
      read: () => control.value,
      mark: (bad) => { if (bad) control.setAttribute('aria-invalid', 'true'); else control.removeAttribute('aria-invalid') }
    }
  }

  /** «Foreslå nytt tiltak»: a control per field of the schema; only what is filled in is sent. */
  newRowForm () {
    const fields = () => this.c.data.tiltak_schema?.fields || []
    const body = h('div', { class: 'nytt-tiltak-felter' })
    const error = h('p', { class: 'feil', role: 'alert' })
    const submit = h('button', { type: 'submit' }, 'Send forslag', h('span', { class: 'skjult' }, ' om nytt tiltak'))
    let controls = []
    const build = () => {
      controls = fields().map((f) => this.newRowControl(f))
      body.replaceChildren(...controls.map((c) => c.box))
      error.textContent = ''
    }
    const form = h('form', { class: 'nytt-tiltak-forslag', novalidate: true },
      h('p', { class: 'hjelp' }, 'Fyll ut det du vil foreslå. Tomme felt sendes ikke.'),
      body, error, h('div', { class: 'knapper' }, submit))
    const summary = h('summary', {}, 'Foreslå nytt tiltak')
    const details = h('details', { class: 'nytt-tiltak-boks' }, summary, form)
    // Built when opened (the plan's units and goals as they are then), kept while filled in.
    details.addEventListener('toggle', () => {
      if (details.open && (!controls.length || !Object.keys(proposedRow(controls)).length)) build()
    })
    details.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || !details.open) return
      event.preventDefault()
      details.open = false
      summary.focus()
    })
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      if (submit.getAttribute('aria-disabled') === 'true') return
      error.textContent = ''
      for (const c of controls) c.mark(false)
      const row = proposedRow(controls)
      if (!Object.keys(row).length) {
        error.textContent = 'Fyll ut minst ett felt i det nye tiltaket.'
        controls[0]?.focus()
        return
      }
      submit.setAttribute('aria-disabled', 'true')
      try {
        const s = await this.api.createRow(row)
        this.event(s)
        this.c.say('Forslaget om nytt tiltak er lagret.')
        build()
        details.open = false
        const item = this.itemViews.get(s.id)
        if (item) item.focus()
        else summary.focus()
      } catch (e) {
        const { message, field } = rowError(e.status ?? 0, e.serverText, fields())
        error.textContent = message
        const bad = controls.find((c) => c.field.name === field)
        bad?.mark(true)
        bad?.focus()
      } finally {
        submit.removeAttribute('aria-disabled')
      }
    })
    return details
  }

  setSuggesting (button) {
    this.suggesting = !this.suggesting
    button.setAttribute('aria-pressed', String(this.suggesting))
    this.c.say(this.suggesting
      ? 'Foreslå endringer er på: det du skriver endrer ikke teksten. Merk ord og trykk Foreslå endring.'
      : 'Foreslå endringer er av: du endrer teksten direkte.')
  }

  render () {
    if (!this.el) return
    const open = this.open()
    this.empty.hidden = open.length > 0
    for (const [id, li] of this.itemViews) {
      if (!open.some((s) => s.id === id)) { li.remove(); this.itemViews.delete(id) }
    }
    for (const s of open) {
      const old = this.itemViews.get(s.id)
      const li = this.item(s)
      if (old) {
        if (old.contains(document.activeElement)) continue // do not pull the form from under someone
        old.replaceWith(li)
      } else this.list.append(li)
      this.itemViews.set(s.id, li)
    }
  }

  item (s) {
    const id = uid('forslag')
    const where = s.kind === 'text'
      ? sectionHeadingText(planSection(s.section))
      : s.tiltak_number ? `Tiltak ${s.tiltak_number}` : 'Tiltak'
    const error = h('p', { class: 'feil', role: 'alert' })
    const li = h('li', { class: 'trad forslag-trad', tabindex: '-1', 'aria-labelledby': `${id}-hva`, 'data-suggestion-id': s.id },
      h('p', { class: 'trad-sted' }, where),
      h('p', { id: `${id}-hva` }, describe(s, this.c.data.tiltak_schema, this.goals())),
      h('p', { class: 'trad-meta' }, `Forslag fra ${personLabel(s.author)}, ${formatTime(s.created_at)}`))
    let confirm = null
    if (s.gone) li.append(h('p', { class: 'advarsel' }, 'Teksten forslaget gjelder, finnes ikke lenger. Forslaget kan bare avvises.'))
    else if (s.stale) {
      const now = Array.isArray(s.current) ? s.current.join(', ') : (s.current ?? '')
      confirm = h('input', { type: 'checkbox', id: `${id}-bekreft` })
      li.append(h('p', { class: 'advarsel' }, `Teksten er endret siden forslaget ble gitt. Nå står det: «${clip(now, 300)}».`),
        h('div', { class: 'felt avkrysning' }, confirm, h('label', { for: confirm.id }, 'Jeg har sett endringen og vil godta forslaget likevel')))
    }
    if (this.canDecide) {
      const reason = h('input', { type: 'text', id: `${id}-grunn`, maxlength: '2000' })
      const act = async (button, run, action) => {
        error.textContent = ''
        button.setAttribute('aria-disabled', 'true')
        try {
          const done = await run()
          if (done) this.event(done)
        } catch (e) {
          error.textContent = errorMessage(e.status ?? 0, e.serverText, action)
        } finally {
          button.removeAttribute('aria-disabled')
        }
      }
      const accept = h('button', { type: 'button' }, 'Godta', h('span', { class: 'skjult' }, ` forslaget fra ${personLabel(s.author)}`))
      accept.addEventListener('click', () => act(accept, () => this.api.accept(s.id, confirm?.checked), 'Forslaget ble ikke godtatt'))
      const reject = h('button', { type: 'button', class: 'sekundaer' }, 'Avvis', h('span', { class: 'skjult' }, ` forslaget fra ${personLabel(s.author)}`))
      reject.addEventListener('click', () => act(reject, () => this.api.reject(s.id, reason.value.trim()), 'Forslaget ble ikke avvist'))
      li.append(h('div', { class: 'felt' }, h('label', { for: reason.id }, 'Begrunnelse hvis du avviser (valgfritt)'), reason),
        h('div', { class: 'knapper' }, s.gone ? null : accept, reject))
    }
    // Discussing it: a comment thread on the same words (or row), in the same panel.
    const anchor = s.kind === 'text' && s.anchor
      ? { kind: 'text', section: s.anchor.section, start: s.anchor.start, end: s.anchor.end, quote: clip(s.original || s.text || '') }
      : s.kind === 'field' ? { kind: 'tiltak', row: s.row, quote: clip(s.row_title || '') } : null
    if (anchor && this.canPropose) {
      const discuss = h('button', { type: 'button', class: 'sekundaer liten' }, 'Diskuter', h('span', { class: 'skjult' }, ` forslaget fra ${personLabel(s.author)} i en kommentar`))
      discuss.addEventListener('click', () => this.c.composer.open({
        anchor,
        rel: anchor.kind === 'text' ? { start: decodePosition(anchor.start), end: decodePosition(anchor.end) } : null,
        label: where,
        returnTo: () => discuss.isConnected && discuss.focus()
      }))
      li.append(h('div', { class: 'knapper' }, discuss))
    }
    li.append(error)
    return li
  }
}

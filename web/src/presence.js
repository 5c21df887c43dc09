// Who is on the plan: a name and unit asked once (remembered in localStorage until accounts
// exist), shared through Yjs awareness as `user: {name, unit, color}` and `section`, shown as a
// list and beside each section; y-prosemirror draws the remote cursors from the same `user`.

import { h } from './util.js'
import { COLOURS } from './colours.js'

const STORAGE_KEY = 'samskriv.person'

/**
 * A colour another client announced, safe to put in a style attribute: one of the palette, or
 * the first colour. The server relays no other, but a page never trusts what others send.
 */
export function safeColour (colour) {
  return COLOURS.includes(colour) ? colour : COLOURS[0]
}

/**
 * The colour for someone joining when `taken` (a Set) are the colours of the others present: the
 * colour they had, if nobody else has it, else the first of the palette nobody has (with 12
 * colours, 12 people present are told apart), else the colour they had.
 */
export function pickColour (taken, current) {
  if (COLOURS.includes(current) && !taken.has(current)) return current
  return COLOURS.find((c) => !taken.has(c)) ?? (COLOURS.includes(current) ? current : COLOURS[0])
}

/**
 * Whether this client must change colour: another client present has the same one and came
 * first (the lower client id keeps it), so two people who joined together end up apart.
 */
export function mustChangeColour (states, ownId) {
  const own = states.get(ownId)?.user?.color
  if (!own) return false
  for (const [id, state] of states) {
    if (id !== ownId && id < ownId && state?.user?.color === own) return true
  }
  return false
}

/** The colours of the others present. */
function othersColours (awareness) {
  const taken = new Set()
  for (const [id, state] of awareness.getStates()) {
    if (id !== awareness.clientID && state?.user?.color) taken.add(state.user.color)
  }
  return taken
}

function loadPerson () {
  try {
    const person = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null')
    if (person && typeof person.name === 'string' && person.name.trim()) {
      if (!COLOURS.includes(person.color)) person.color = null
      return person
    }
  } catch { /* storage unavailable or corrupt: ask again */ }
  return null
}

function savePerson (person) {
  try { localStorage.setItem(STORAGE_KEY, JSON.stringify(person)) } catch { /* private mode */ }
}

/** Asks for name and unit in an accessible modal dialog; resolves with the person. */
function askPerson (units, current) {
  return new Promise((resolve) => {
    const name = h('input', { type: 'text', id: 'person-navn', name: 'navn', required: true, autocomplete: 'name', value: current?.name || '' })
    const unit = h('input', { type: 'text', id: 'person-enhet', name: 'enhet', list: 'samskriv-enheter', autocomplete: 'organization', value: current?.unit || '' })
    const error = h('p', { class: 'feil', id: 'person-feil', role: 'alert' })
    const form = h('form', { method: 'dialog' },
      h('h2', { id: 'person-tittel' }, 'Hvem er du?'),
      h('p', { id: 'person-forklaring' }, 'Navnet og enheten din vises for de andre som skriver i planen. Du blir bare spurt én gang i denne nettleseren.'),
      h('div', { class: 'felt' }, h('label', { for: 'person-navn' }, 'Navn'), name),
      h('div', { class: 'felt' }, h('label', { for: 'person-enhet' }, 'Enhet (for eksempel NAV eller Utekontakten)'), unit),
      error,
      h('div', { class: 'knapper' }, h('button', { type: 'submit', value: 'ok' }, 'Fortsett')))
    const dialog = h('dialog', { class: 'samskriv-dialog', id: 'hvem-er-du', 'aria-labelledby': 'person-tittel', 'aria-describedby': 'person-forklaring' }, form)
    form.addEventListener('submit', (event) => {
      if (!name.value.trim()) {
        event.preventDefault()
        error.textContent = 'Skriv navnet ditt.'
        name.setAttribute('aria-invalid', 'true')
        name.setAttribute('aria-describedby', 'person-feil')
        name.focus()
      }
    })
    dialog.addEventListener('close', () => {
      const given = name.value.trim()
      let person
      if (given) {
        person = { name: given.slice(0, 80), unit: unit.value.trim().slice(0, 80), color: current?.color || null }
        savePerson(person)
      } else {
        // Closed with Escape: a guest for this visit only; asked again next time.
        person = current || { name: 'Gjest', unit: '', color: null }
      }
      dialog.remove()
      resolve(person)
    })
    document.body.append(dialog)
    dialog.showModal()
    name.focus()
  })
}

/**
 * Joins the plan as this visitor and shows who is here in `bar`. Someone signed in (`me`) is
 * known by name and unit; until then a visitor is asked once. Returns the presence panel.
 */
export function joinPresence (bar, awareness, { me, units }) {
  const signedIn = !!(me && me.id && me.id !== 'anonymous' && me.name)
  let person = loadPerson()
  if (signedIn) person = { name: me.name, unit: me.unit || '', color: person?.color || null }
  // The first colour nobody else present has (kept while nobody else takes it).
  let colour = null
  const setUser = (p) => {
    colour = pickColour(othersColours(awareness), p.color || colour)
    awareness.setLocalStateField('user', { name: p.name, unit: p.unit || '', color: colour })
  }
  awareness.on('change', () => {
    const own = awareness.getLocalState()?.user
    if (own && mustChangeColour(awareness.getStates(), awareness.clientID)) {
      colour = pickColour(othersColours(awareness), null)
      if (colour !== own.color) awareness.setLocalStateField('user', { ...own, color: colour })
    }
  })
  const presence = mountPresence(bar, awareness, {
    onChangePerson: signedIn ? null : () => askPerson(units, person).then((p) => { person = p; setUser(p) })
  })
  if (person) {
    setUser(person)
  } else {
    // Until the person has answered, others see a guest (never a nameless cursor).
    setUser({ name: 'Gjest', unit: '', color: null })
    askPerson(units, null).then((p) => { person = p; setUser(p) })
  }
  return presence
}

/** The section heading of a section id, as shown on the page ("2.1 Nåsituasjon"). */
function sectionLabel (sectionId) {
  if (!sectionId) return ''
  const el = document.querySelector(`section[data-section-id="${CSS.escape(sectionId)}"]`)
  const heading = el && el.querySelector('h2, h3, h4')
  if (!heading) return ''
  return [...heading.childNodes].map((n) => n.textContent.replace(/\s+/g, ' ').trim()).filter(Boolean).join(' ')
}

/**
 * The presence panel and the per-section chips. Tracks which section has focus and publishes it
 * as the awareness field `section`.
 */
function mountPresence (bar, awareness, { onChangePerson }) {
  const count = h('span', { class: 'antall' })
  const list = h('ul', { class: 'tilstede-liste' })
  const me = h('span', { class: 'meg' })
  const change = onChangePerson ? h('button', { type: 'button', class: 'sekundaer liten', onclick: onChangePerson }, 'Endre navn') : null
  const panel = h('section', { class: 'tilstede', 'aria-labelledby': 'tilstede-tittel' },
    h('h2', { id: 'tilstede-tittel' }, 'Til stede ', count),
    list,
    h('p', { class: 'meg-linje' }, 'Du er ', me, change ? ' ' : null, change))
  bar.append(panel)

  const render = () => {
    const states = [...awareness.getStates().entries()]
      .filter(([, s]) => s && s.user && s.user.name)
      .sort(([a], [b]) => (a === awareness.clientID ? -1 : b === awareness.clientID ? 1 : a - b))
    count.textContent = `(${states.length})`
    list.replaceChildren(...states.map(([id, s]) => {
      const where = sectionLabel(s.section)
      return h('li', { 'data-client': String(id) },
        h('span', { class: 'farge', style: `background-color: ${safeColour(s.user.color)}`, 'aria-hidden': 'true' }),
        h('span', { class: 'navn' }, s.user.name),
        s.user.unit ? h('span', { class: 'enhet' }, ` (${s.user.unit})`) : null,
        id === awareness.clientID ? h('span', { class: 'deg' }, ' – deg') : null,
        where ? h('span', { class: 'hvor' }, ` i ${where}`) : null)
    }))
    const own = awareness.getLocalState()?.user
    me.textContent = own ? `${own.name}${own.unit ? ` (${own.unit})` : ''}` : ''
    // Chips beside each section: who else is there.
    const bySection = new Map()
    for (const [id, s] of states) {
      if (id === awareness.clientID || !s.section) continue
      if (!bySection.has(s.section)) bySection.set(s.section, [])
      bySection.get(s.section).push(s.user)
    }
    for (const chip of document.querySelectorAll('.her-naa')) {
      if (!bySection.has(chip.dataset.for)) chip.remove()
    }
    for (const [sectionId, users] of bySection) {
      const section = document.querySelector(`section[data-section-id="${CSS.escape(sectionId)}"]`)
      if (!section) continue
      let chip = section.querySelector(':scope > .her-naa')
      if (!chip) {
        chip = h('p', { class: 'her-naa', 'data-for': sectionId })
        section.querySelector(':scope > h2, :scope > h3, :scope > h4')?.after(chip)
      }
      chip.replaceChildren('Her nå: ', ...users.flatMap((u, i) => [
        ...(i > 0 ? [', '] : []),
        h('span', { class: 'person' }, h('span', { class: 'farge', style: `background-color: ${safeColour(u.color)}`, 'aria-hidden': 'true' }), u.name)
      ]))
    }
  }
  awareness.on('change', render)
  render()

  document.addEventListener('focusin', (event) => {
    const section = event.target.closest?.('section[data-section-id]')
    const id = section ? section.dataset.sectionId : null
    if (id && awareness.getLocalState()?.section !== id) awareness.setLocalStateField('section', id)
  })
  return { render }
}

// «Planens mål»: the plan's own goals, the `mal` Y.Array of Y.Map {id, title, description,
// strategi}. The coordinator adds, edits, links to the city's strategies (the options of the
// tiltak schema's `strategy_field`), reorders and deletes them (with «Angre»); everyone else
// reads them. Tiltak link to goals by id (a `goals` field), so a goal's id never changes.

import * as Y from 'yjs'
import { h, uid, uuid } from './util.js'
import { GoalKey as K, shared, mapText, mapList } from './layout.js'
import { transactStep, deleteWithUndo } from './undo.js'
import { bindInput, moveAmong } from './mapform.js'
import { fieldChoices, toggled } from './tiltak-model.js'

/** The plan's goals as plain objects, in the plan's order (maps without an id are skipped). */
export function readGoals (array) {
  return array.toArray()
    .filter((m) => m instanceof Y.Map && mapText(m, K.ID))
    .map((m) => ({
      id: mapText(m, K.ID),
      title: mapText(m, K.TITLE).trim(),
      description: mapText(m, K.DESCRIPTION),
      strategi: mapList(m, K.STRATEGI)
    }))
}

/**
 * Builds the panel (an element to place on the page). `ctx`: {doc, origin, undoManager,
 * canEdit (the coordinator), strategyField (or null)}.
 */
export function goalsPanel (ctx) {
  const { doc, canEdit, strategyField } = ctx
  const array = shared.goals(doc)
  const strategies = fieldChoices(strategyField)
  const rows = new Map() // Y.Map → row
  let pendingFocus = null

  const list = h('ol', { class: 'mal-liste' })
  const empty = h('p', { class: 'tomt' }, 'Planen har ingen egne mål ennå.')
  const message = h('div', { class: 'tiltak-melding', role: 'status' })
  const newTitle = h('input', { type: 'text', id: uid('nytt-mal'), autocomplete: 'off' })
  const error = h('p', { class: 'feil', role: 'alert' })
  const form = h('form', { class: 'nytt-mal' },
    h('div', { class: 'felt' }, h('label', { for: newTitle.id }, 'Nytt mål'), newTitle),
    h('button', { type: 'submit' }, 'Legg til mål'), error)
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const title = newTitle.value.trim()
    if (!title) { error.textContent = 'Skriv målet.'; newTitle.focus(); return }
    error.textContent = ''
    const map = new Y.Map()
    const id = uuid()
    map.set(K.ID, id)
    map.set(K.TITLE, title)
    map.set(K.DESCRIPTION, '')
    map.set(K.STRATEGI, [])
    newTitle.value = ''
    transactStep(ctx, () => array.push([map]))
    message.replaceChildren(`Målet «${title}» er lagt til.`)
  })
  const panel = h('section', { class: 'planens-mal', id: 'planens-mal', 'aria-labelledby': 'planens-mal-tittel' },
    h('h3', { id: 'planens-mal-tittel' }, 'Planens mål'),
    h('p', { class: 'hjelp' }, canEdit
      ? 'Bydelens egne mål for planperioden. Tiltak kan knyttes til målene, og målene til byens strategier.'
      : 'Bydelens egne mål for planperioden. Koordinatoren endrer dem.'),
    list, empty, canEdit ? form : null, message)

  function makeRow (map) {
    const id = mapText(map, K.ID)
    const li = h('li', { 'data-goal-id': id })
    if (!canEdit) {
      const title = h('h4', { class: 'mal-tittel' })
      const description = h('p', { class: 'mal-beskrivelse' })
      const linked = h('p', { class: 'mal-strategier' })
      li.append(title, description, linked)
      return {
        li,
        setNumber () {},
        refresh () {
          title.textContent = mapText(map, K.TITLE) || 'Uten tittel'
          description.textContent = mapText(map, K.DESCRIPTION)
          description.hidden = !description.textContent
          const names = mapList(map, K.STRATEGI).map((v) => strategies.find((s) => s.value === v)?.short || v)
          linked.textContent = names.length ? `Strategier: ${names.join(', ')}` : ''
          linked.hidden = !names.length
        },
        flush () {}
      }
    }
    const titleInput = h('input', { type: 'text', id: uid('mal'), 'data-ctl': 'title', autocomplete: 'off' })
    const titleLabel = h('label', { for: titleInput.id })
    const descInput = h('textarea', { id: uid('mal-beskrivelse'), 'data-ctl': 'description', rows: '2' })
    const title = bindInput(titleInput, map, K.TITLE, ctx)
    const desc = bindInput(descInput, map, K.DESCRIPTION, ctx)
    const boxes = strategies.map((s) => {
      const box = h('input', { type: 'checkbox', id: uid('strategi'), value: s.value, 'data-ctl': `strategi:${s.value}` })
      box.addEventListener('change', () => {
        const next = toggled(mapList(map, K.STRATEGI), s.value, box.checked, strategies.map((x) => x.value))
        transactStep(ctx, () => map.set(K.STRATEGI, next))
      })
      return h('div', { class: 'avkrysning' }, box, h('label', { for: box.id, title: s.label }, s.short))
    })
    const button = (ctl, glyph, spoken, fn) => {
      const bid = uid('knapp')
      return h('button', {
        type: 'button', id: bid, class: `handling handling-${ctl}`, 'data-ctl': ctl, title: spoken,
        'aria-labelledby': `${bid} ${titleInput.id}`,
        onclick: (e) => { if (e.currentTarget.getAttribute('aria-disabled') !== 'true') fn() }
      }, h('span', { 'aria-hidden': 'true' }, glyph), h('span', { class: 'skjult' }, spoken))
    }
    const up = button('opp', '↑', 'Flytt opp', () => move(map, -1, 'opp'))
    const down = button('ned', '↓', 'Flytt ned', () => move(map, 1, 'ned'))
    const del = button('slett', 'Slett', 'Slett målet', () => remove(map))
    li.append(
      h('div', { class: 'felt' }, titleLabel, titleInput),
      h('div', { class: 'felt' }, h('label', { for: descInput.id }, 'Beskrivelse'), descInput),
      strategies.length ? h('fieldset', { class: 'valg-liste' }, h('legend', {}, `${strategyField.label}: målet følger opp`), boxes) : null,
      h('div', { class: 'handlinger' }, up, down, del))
    return {
      li,
      setNumber (n, count) {
        titleLabel.textContent = `Mål ${n}`
        up.setAttribute('aria-disabled', String(n === 1))
        down.setAttribute('aria-disabled', String(n === count))
      },
      refresh () {
        title.refresh()
        desc.refresh()
        const linked = mapList(map, K.STRATEGI)
        for (const box of li.querySelectorAll('input[type="checkbox"]')) box.checked = linked.includes(box.value)
      },
      flush () { title.flush(); desc.flush() }
    }
  }

  const maps = () => array.toArray().filter((m) => m instanceof Y.Map && mapText(m, K.ID))

  function move (map, dir, ctl) {
    rows.get(map)?.flush()
    pendingFocus = { id: mapText(map, K.ID), ctl }
    if (moveAmong(ctx, array, map, maps(), dir)) message.replaceChildren(dir < 0 ? 'Målet er flyttet opp.' : 'Målet er flyttet ned.')
  }

  function remove (map) {
    rows.get(map)?.flush()
    const index = array.toArray().indexOf(map)
    const title = mapText(map, K.TITLE) || 'uten tittel'
    const id = mapText(map, K.ID)
    deleteWithUndo(ctx, {
      message,
      text: `Målet «${title}» er slettet. Tiltak som var knyttet til det, beholder koblingen til du angrer eller endrer dem.`,
      back: 'Målet er tilbake.',
      remove: () => array.delete(index, 1),
      after: () => focus({ id, ctl: 'slett' })
    })
  }

  function focus ({ id, ctl }) {
    const li = [...list.children].find((el) => el.dataset.goalId === id)
    li?.querySelector(`[data-ctl="${CSS.escape(ctl)}"]`)?.focus()
  }

  function render () {
    const all = maps()
    const active = document.activeElement
    let want = pendingFocus
    pendingFocus = null
    if (!want && active && list.contains(active) && active.dataset.ctl) {
      want = { id: active.closest('li')?.dataset.goalId, ctl: active.dataset.ctl, lost: true }
    }
    const alive = new Set(all)
    for (const [map, row] of rows) if (!alive.has(map)) { row.li.remove(); rows.delete(map) }
    let cursor = list.firstChild
    all.forEach((map, i) => {
      let row = rows.get(map)
      if (!row) { row = makeRow(map); rows.set(map, row) }
      row.setNumber(i + 1, all.length)
      row.refresh()
      if (row.li === cursor) cursor = cursor.nextSibling
      else list.insertBefore(row.li, cursor)
    })
    while (cursor) { const next = cursor.nextSibling; cursor.remove(); cursor = next }
    empty.hidden = all.length > 0
    if (want && !(want.lost && list.contains(document.activeElement))) focus(want)
  }

  array.observeDeep((events) => {
    if (events.some((e) => e.target === array)) render()
    else for (const e of events) rows.get(e.target)?.refresh()
  })
  render()
  return panel
}

/**
 * Where the panel goes: a section of kind `goals` if the template has one; else right before the
 * first tiltak section that is a chapter's own section (the plan's goals read just before the
 * measures that serve them, as in the guide's «Mål og strategier» → «Tiltak»); else at the top of
 * the part holding the first tiltak section (e.g. «Målgrupper», before the groups).
 */
export function placeGoalsPanel (planEl, panel) {
  // The server's read-only list (for pages without the editor) gives way to the live panel.
  for (const old of planEl.querySelectorAll('.planens-mal')) old.remove()
  const goalsSection = planEl.querySelector('section[data-section-kind="goals"]')
  if (goalsSection) { goalsSection.append(panel); return }
  const tiltak = planEl.querySelector('section[data-section-kind="tiltak"]:not([data-target-group])')
  if (tiltak) { tiltak.before(panel); return }
  const part = planEl.querySelector('section[data-section-kind="target_groups"]')
  if (part) {
    const after = [...part.querySelectorAll(':scope > h2, :scope > h3, :scope > .veiledning, :scope > .prosa')].pop()
    after.after(panel)
    return
  }
  planEl.prepend(panel)
}

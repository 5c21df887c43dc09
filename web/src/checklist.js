// A checklist section: the template's boxes as the server renders them, plus the plan's own
// items (`checklist_items`, {id, section, label, group, year}) that the coordinator adds. Every
// box carries its key (`<section id>/<item id>`, see layout.js) in `data-key` and is ticked in
// the `checklist` Y.Map. An item with a group is listed under that group's heading (the
// server's `.sjekkliste-gruppe[data-group]` when the template has the group), others in the
// section's ungrouped list.

import * as Y from 'yjs'
import { h, uid, randomHex } from './util.js'
import { ChecklistItemKey as K, shared, mapBool, mapText, checklistKey } from './layout.js'
import { transactStep, deleteWithUndo } from './undo.js'

/** Binds the boxes of `sectionEl`; returns `{ destroy }`. `coordinator`: may add items. */
export function mountChecklist (sectionEl, ctx) {
  const { doc, editable, coordinator } = ctx
  const sectionId = sectionEl.dataset.sectionId
  const checklist = shared.checklist(doc)
  const items = shared.checklistItems(doc)
  const local = new Map() // Y.Map → { li, box, refresh }
  const message = h('div', { class: 'tiltak-melding', role: 'status' })
  // The server's rendering of plan-local items is replaced by the live one.
  for (const li of sectionEl.querySelectorAll('li[data-local-item]')) li.remove()

  const bind = (box) => {
    box.disabled = !editable
    box.addEventListener('change', () => transactStep(ctx, () => checklist.set(box.dataset.key, box.checked)))
  }
  for (const box of sectionEl.querySelectorAll('input[type="checkbox"][data-key]')) bind(box)
  const refreshTicks = () => {
    for (const box of sectionEl.querySelectorAll('input[type="checkbox"][data-key]')) box.checked = mapBool(checklist, box.dataset.key)
  }

  /** The list an item of `group` goes in, made when the section has none yet. */
  function listFor (group) {
    const anchor = form?.el || message
    if (group) {
      const existing = [...sectionEl.querySelectorAll('.sjekkliste-gruppe')].find((g) => g.dataset.group === group)
      if (existing) return existing.querySelector('ul.sjekkliste')
      const ul = h('ul', { class: 'sjekkliste' })
      anchor.before(h('div', { class: 'sjekkliste-gruppe', 'data-group': group, 'data-local-group': 'true' },
        h('h5', { class: 'sjekkliste-gruppetittel' }, group), ul))
      return ul
    }
    const plain = [...sectionEl.querySelectorAll('ul.sjekkliste')].find((ul) => !ul.closest('.sjekkliste-gruppe'))
    if (plain) return plain
    const ul = h('ul', { class: 'sjekkliste' })
    anchor.before(ul)
    return ul
  }

  function makeItem (map) {
    const id = mapText(map, K.ID)
    const box = h('input', { type: 'checkbox', id: uid('sjekk'), 'data-key': checklistKey(sectionId, id) })
    bind(box)
    const text = h('span')
    const year = h('span', { class: 'aar' })
    const li = h('li', { 'data-local-item': id }, box, h('label', { for: box.id }, text, year))
    if (coordinator) {
      const bid = uid('knapp')
      li.append(h('button', {
        type: 'button', id: bid, class: 'handling handling-slett', title: 'Slett punktet',
        'aria-labelledby': `${bid} ${box.id}`, onclick: () => remove(map)
      }, 'Slett'))
    }
    return {
      li,
      group: null,
      refresh () {
        text.textContent = mapText(map, K.LABEL)
        const y = mapText(map, K.YEAR).trim()
        year.textContent = y ? ` (${y})` : ''
      }
    }
  }

  function remove (map) {
    const index = items.toArray().indexOf(map)
    if (index < 0) return
    deleteWithUndo(ctx, {
      message,
      text: `Punktet «${mapText(map, K.LABEL)}» er slettet.`,
      back: 'Punktet er tilbake.',
      remove: () => items.delete(index, 1)
    })
  }

  function render () {
    const maps = items.toArray().filter((m) => m instanceof Y.Map && mapText(m, K.SECTION) === sectionId && mapText(m, K.ID))
    const alive = new Set(maps)
    for (const [map, item] of local) if (!alive.has(map)) { item.li.remove(); local.delete(map) }
    for (const map of maps) {
      let item = local.get(map)
      if (!item) { item = makeItem(map); local.set(map, item) }
      item.refresh()
      const group = mapText(map, K.GROUP).trim()
      const list = listFor(group)
      // Array order within each list, after the template's items (items are never reordered).
      if (item.li.parentNode !== list) list.append(item.li)
    }
    for (const g of sectionEl.querySelectorAll('.sjekkliste-gruppe[data-local-group]')) {
      if (!g.querySelector('li')) g.remove()
    }
    refreshTicks()
    form?.refreshGroups()
  }

  const form = coordinator ? addForm() : null
  if (form) sectionEl.append(form.el)
  sectionEl.append(message)

  /** The coordinator's form for a new item: label, optional group (from the section's), year. */
  function addForm () {
    const label = h('input', { type: 'text', id: uid('punkt'), autocomplete: 'off' })
    const groupList = h('datalist', { id: uid('grupper') })
    const group = h('input', { type: 'text', id: uid('gruppe'), autocomplete: 'off', list: groupList.id })
    const year = h('input', { type: 'text', id: uid('aar'), autocomplete: 'off', inputmode: 'numeric', placeholder: 'f.eks. 2024' })
    const error = h('p', { class: 'feil', role: 'alert' })
    const el = h('form', { class: 'nytt-punkt' },
      h('div', { class: 'felt' }, h('label', { for: label.id }, 'Nytt punkt'), label),
      h('div', { class: 'felt' }, h('label', { for: group.id }, 'Gruppe (valgfritt)'), group, groupList),
      h('div', { class: 'felt' }, h('label', { for: year.id }, 'År (valgfritt)'), year),
      h('button', { type: 'submit' }, 'Legg til punkt'), error)
    el.addEventListener('submit', (event) => {
      event.preventDefault()
      const text = label.value.trim()
      if (!text) { error.textContent = 'Skriv hva punktet gjelder.'; label.focus(); return }
      error.textContent = ''
      const map = new Y.Map()
      map.set(K.ID, `lokal-${randomHex(8)}`)
      map.set(K.SECTION, sectionId)
      map.set(K.LABEL, text)
      map.set(K.GROUP, group.value.trim())
      map.set(K.YEAR, year.value.trim())
      transactStep(ctx, () => items.push([map]))
      label.value = ''
      year.value = ''
      message.replaceChildren(`Punktet «${text}» er lagt til.`)
      label.focus()
    })
    return {
      el,
      refreshGroups () {
        const names = [...sectionEl.querySelectorAll('.sjekkliste-gruppe')].map((g) => g.dataset.group)
        groupList.replaceChildren(...[...new Set(names)].map((n) => h('option', { value: n })))
      }
    }
  }

  const onItems = () => render()
  checklist.observe(refreshTicks)
  items.observeDeep(onItems)
  render()
  return {
    destroy: () => {
      checklist.unobserve(refreshTicks)
      items.unobserveDeep(onItems)
    }
  }
}

// Target groups of the combined template: the `target_groups` Y.Array of Y.Map {id, name}.
// People add, rename, reorder and delete groups (with «Angre»); each group's sections (prose and
// tiltak) are laid out on the page in the plan's order. A new group's id is a unique slug of its
// name and never changes (its sections live under `section:<part>.<group id>.<subsection>`), so
// a deleted group that comes back finds its text and its tiltak again.

import * as Y from 'yjs'
import { h, uid, slug, debounce } from './util.js'
import { TargetGroupKey as K, shared, mapText, targetGroupSectionId } from './layout.js'
import { transactStep, deleteWithUndo } from './undo.js'
import { copyMap } from './mapform.js'

/** A slug of `name` not used by any group yet. */
export function uniqueGroupId (name, taken) {
  const base = slug(name)
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
  return id
}

/**
 * The target groups' tiltak sections, in the plan's order: `[{section, name}]` (`spec`: the
 * page data's `target_groups`). A row may belong to several of them (`sections`).
 */
export function targetTiltakSections (doc, spec) {
  if (!spec) return []
  const subs = spec.subsections.filter((sub) => sub.kind === 'tiltak')
  const seen = new Set()
  const out = []
  for (const map of shared.targetGroups(doc).toArray()) {
    const id = map instanceof Y.Map ? mapText(map, K.ID) : ''
    if (!id || seen.has(id)) continue
    seen.add(id)
    const name = mapText(map, K.NAME) || id
    for (const sub of subs) {
      out.push({ section: targetGroupSectionId(spec.part_id, id, sub.id), name: subs.length > 1 ? `${name}: ${sub.heading}` : name })
    }
  }
  return out
}

export function mountTargetGroups (partEl, ctx) {
  const { doc, editable, spec, mountSection, unmountSection } = ctx
  const array = shared.targetGroups(doc)
  const anchor = (id) => `seksjon-${id.replace(/\./g, '-')}`
  const toc = document.querySelector('.innhold-nav ol')
  const partToc = toc?.querySelector(`a[href="#${partEl.id}"]`)?.closest('li')

  // The manager: one row per group.
  const list = h('ol', { class: 'malgruppe-liste' })
  const newName = h('input', { type: 'text', id: uid('ny-gruppe'), autocomplete: 'off' })
  const error = h('p', { class: 'feil', role: 'alert' })
  const form = h('form', { class: 'ny-malgruppe' },
    h('div', { class: 'felt' }, h('label', { for: newName.id }, 'Ny målgruppe'), newName),
    h('button', { type: 'submit' }, 'Legg til målgruppe'), error)
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const name = newName.value.trim()
    if (!name) { error.textContent = 'Skriv et navn på målgruppen.'; newName.focus(); return }
    error.textContent = ''
    const taken = new Set(array.toArray().filter((m) => m instanceof Y.Map).map((m) => mapText(m, K.ID)))
    const map = new Y.Map()
    map.set(K.ID, uniqueGroupId(name, taken))
    map.set(K.NAME, name)
    transactStep(ctx, () => array.push([map]))
    newName.value = ''
  })
  const message = h('div', { class: 'tiltak-melding', role: 'status' })
  const manager = h('div', { class: 'malgruppe-editor' },
    h('h3', { class: 'liten' }, 'Målgrupper i planen'), list, editable ? form : null, message)
  partEl.append(manager)

  const groups = new Map() // group id → { els, tocItem, nameInput, li, mounted }
  let pendingFocus = null

  function groupParts (id) {
    return [...document.querySelectorAll(`section[data-target-group="${CSS.escape(id)}"]`)]
  }

  function buildGroup (id, name) {
    const groupId = `${spec.part_id}.${id}`
    const head = h('section', {
      class: 'seksjon group', id: anchor(groupId), 'aria-labelledby': `${anchor(groupId)}-tittel`,
      'data-section-kind': 'group', 'data-target-group': id, 'data-section-id': groupId
    }, h('h3', { id: `${anchor(groupId)}-tittel` }, h('span', { class: 'nummer' }), h('span', { class: 'navn' }, name)))
    const els = [head]
    for (const sub of spec.subsections) {
      const sid = targetGroupSectionId(spec.part_id, id, sub.id)
      const a = anchor(sid)
      const section = h('section', {
        class: `seksjon ${sub.kind}`, id: a, 'aria-labelledby': `${a}-tittel`,
        'data-section-kind': sub.kind, 'data-target-group': id, 'data-section-id': sid
      }, h('h4', { id: `${a}-tittel` }, sub.heading))
      if (sub.guidance_html || sub.questions.length) {
        const details = h('details', { class: 'veiledning' }, h('summary', {}, 'Veiledning'))
        details.insertAdjacentHTML('beforeend', sub.guidance_html) // server-escaped template text
        if (sub.questions.length) {
          details.append(h('p', {}, h('strong', {}, 'Spørsmål å drøfte:')),
            h('ul', {}, sub.questions.map((q) => h('li', {}, q))))
        }
        section.append(details)
      }
      if (sub.kind === 'prose') section.append(h('div', { class: 'prosa', 'data-section-id': sid }))
      els.push(section)
    }
    return els
  }

  function render () {
    const maps = array.toArray().filter((m) => m instanceof Y.Map && mapText(m, K.ID))
    const seen = new Set()
    let after = partEl
    let tocAfter = partToc
    maps.forEach((map, index) => {
      const id = mapText(map, K.ID)
      if (seen.has(id)) return
      seen.add(id)
      const name = mapText(map, K.NAME) || id
      let group = groups.get(id)
      if (!group) {
        let els = groupParts(id)
        const created = els.length === 0
        if (created) els = buildGroup(id, name)
        const tocItem = toc?.querySelector(`li[data-target-group="${CSS.escape(id)}"]`) ||
          h('li', { class: 'nivaa-2', 'data-target-group': id }, h('a', { href: `#${anchor(`${spec.part_id}.${id}`)}` }))
        group = { id, els, tocItem, created, mounted: false }
        group.row = buildRow(group)
        groups.set(id, group)
      }
      group.map = map
      const number = `${spec.number}.${index + 1}`
      const heading = group.els[0].querySelector('h3')
      let numEl = heading.querySelector('.nummer')
      if (!numEl) { numEl = h('span', { class: 'nummer' }); heading.prepend(numEl) }
      numEl.textContent = number
      // The heading's text after the number is the group's name.
      let nameEl = heading.querySelector('.navn')
      if (!nameEl) {
        for (const node of [...heading.childNodes]) if (node !== numEl) node.remove()
        nameEl = h('span', { class: 'navn' })
        heading.append(nameEl)
      }
      if (nameEl.textContent !== name) nameEl.textContent = name
      const link = group.tocItem.querySelector('a')
      const tocText = `${number} ${name}`
      if (link && link.textContent !== tocText) link.textContent = tocText
      group.row.update(name, index, maps.length)
      for (const el of group.els) {
        if (after.nextElementSibling !== el) after.after(el)
        after = el
      }
      if (tocAfter && tocAfter.nextElementSibling !== group.tocItem) tocAfter.after(group.tocItem)
      if (tocAfter) tocAfter = group.tocItem
      if (list.children[index] !== group.row.li) list.insertBefore(group.row.li, list.children[index] || null)
      if (!group.mounted) {
        group.mounted = true
        for (const el of group.els) mountSection(el)
      }
    })
    for (const [id, group] of groups) {
      if (seen.has(id)) continue
      for (const el of group.els) unmountSection(el)
      for (const el of group.els) el.remove()
      group.tocItem.remove()
      group.row.li.remove()
      groups.delete(id)
    }
    if (pendingFocus) {
      groups.get(pendingFocus.id)?.row.li.querySelector(`[data-ctl="${pendingFocus.ctl}"]`)?.focus()
      pendingFocus = null
    }
  }

  function buildRow (group) {
    const input = h('input', { type: 'text', id: uid('gruppe'), readonly: !editable, 'data-ctl': 'navn', autocomplete: 'off' })
    const label = h('label', { for: input.id })
    let dirty = false
    const write = debounce(() => {
      const name = input.value.trim()
      if (name && mapText(group.map, K.NAME) !== name) transactStep(ctx, () => group.map.set(K.NAME, name))
    }, 300)
    input.addEventListener('input', () => { dirty = true; write() })
    input.addEventListener('blur', () => { write.flush(); dirty = false })
    const button = (ctl, glyph, spoken, dir) => {
      const bid = uid('knapp')
      return h('button', {
        type: 'button', id: bid, class: `handling handling-${ctl}`, 'data-ctl': ctl, title: spoken,
        'aria-labelledby': `${bid} ${input.id}`,
        onclick: (e) => { if (e.currentTarget.getAttribute('aria-disabled') !== 'true') move(group, dir, ctl) }
      }, h('span', { 'aria-hidden': 'true' }, glyph), h('span', { class: 'skjult' }, spoken))
    }
    const up = editable ? button('opp', '↑', 'Flytt opp', -1) : null
    const down = editable ? button('ned', '↓', 'Flytt ned', 1) : null
    const delId = uid('knapp')
    const del = editable
      ? h('button', {
        type: 'button', id: delId, class: 'handling handling-slett', 'data-ctl': 'slett', title: 'Slett målgruppen',
        'aria-labelledby': `${delId} ${input.id}`, onclick: () => remove(group)
      }, 'Slett')
      : null
    const li = h('li', { 'data-target-group': group.id }, label, input, h('span', { class: 'handlinger' }, up, down, del))
    return {
      li,
      update (name, index, count) {
        label.textContent = `Navn på målgruppe ${index + 1}`
        if (!(dirty && document.activeElement === input) && input.value !== name) input.value = name
        up?.setAttribute('aria-disabled', String(index === 0))
        down?.setAttribute('aria-disabled', String(index === count - 1))
      }
    }
  }

  function move (group, dir, ctl) {
    const items = array.toArray()
    const from = items.indexOf(group.map)
    const to = from + dir
    if (from < 0 || to < 0 || to >= items.length) return
    pendingFocus = { id: group.id, ctl }
    const copy = copyMap(group.map)
    transactStep(ctx, () => { array.delete(from, 1); array.insert(to, [copy]) })
  }

  /**
   * Deletes a group (its sections leave the page); its text and tiltak stay in the plan, so
   * «Angre» brings them back. Rows that were only in this group show in the first tiltak table
   * meanwhile, so none is lost from sight.
   */
  function remove (group) {
    const index = array.toArray().indexOf(group.map)
    if (index < 0) return
    const name = mapText(group.map, K.NAME) || group.id
    const id = group.id
    deleteWithUndo(ctx, {
      message,
      text: `Målgruppen «${name}» er slettet.`,
      back: 'Målgruppen er tilbake.',
      remove: () => array.delete(index, 1),
      after: () => groups.get(id)?.row.li.querySelector('[data-ctl="slett"]')?.focus()
    })
  }

  array.observeDeep(() => render())
  render()
}

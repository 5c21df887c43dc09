// The plan's own shape, live for everyone: headings the coordinator renamed, sections marked
// «ikke i bruk» (the `structure` Y.Map of section id → {heading, in_use}), and sections the plan
// added itself (the `local_sections` Y.Array of {id, parent, heading, kind}), each with its
// prose in `section:<id>`. The server renders the structure as it was at load (its page data
// `structure` tells the template's own wording); this module keeps the page's headings, table of
// contents and sections in step with the document, and gives the coordinator the controls.
//
// The page lays sections out flat, in order, with h2/h3/h4 for depth 1/2/3; a section's id is its
// parent's id plus a dot and a slug, so the id alone tells which sections are inside which.

import * as Y from 'yjs'
import { h, uid, randomHex } from './util.js'
import {
  StructureKey as SK, LocalSectionKey as LK, LocalSectionKind, shared, mapText, localSectionId,
  isLocalSectionId
} from './layout.js'
import { transactStep, deleteWithUndo } from './undo.js'
import { moveAmong } from './mapform.js'

const HEADINGS = ':scope > h2, :scope > h3, :scope > h4'

/** The anchor of a section, as the server writes it (`seksjon-` and the id with dots as dashes). */
export function sectionAnchor (id) {
  return `seksjon-${id.replace(/\./g, '-')}`
}

/** The id of the parent of section `id` ("" at top level). */
export function parentId (id) {
  const at = id.lastIndexOf('.')
  return at < 0 ? '' : id.slice(0, at)
}

/** Whether section `id` is inside section `ancestor` (at any depth). */
export function isInside (id, ancestor) {
  return ancestor === '' ? id !== '' : id.startsWith(`${ancestor}.`)
}

/** Template headings by section id, from the page data's resolved structure tree. */
function templateHeadings (tree) {
  const out = new Map()
  const walk = (nodes) => {
    for (const node of nodes || []) {
      if (!node.local) out.set(node.id, node.template_heading || node.heading)
      walk(node.children)
    }
  }
  walk(tree)
  return out
}

/**
 * Binds the page's structure. `ctx`: {doc, origin, undoManager, coordinator, structure (page
 * data tree), mountSection(el), unmountSection(el)}.
 */
export function mountStructure (planEl, ctx) {
  const { doc, coordinator } = ctx
  const structure = shared.structure(doc)
  const locals = shared.localSections(doc)
  const toc = document.querySelector('.innhold-nav ol')
  const wording = templateHeadings(ctx.structure)
  const decorated = new WeakMap() // section element → its controls
  const adders = new Map() // chapter id → «Legg til avsnitt» block
  let pendingFocus = null

  const sections = () => [...planEl.querySelectorAll('section[data-section-id]')]
  const sectionEl = (id) => planEl.querySelector(`section[data-section-id="${CSS.escape(id)}"]`)
  const headingOf = (el) => el.querySelector(HEADINGS)
  const depthOf = (el) => ({ H2: 1, H3: 2, H4: 3 })[headingOf(el)?.tagName] || 1
  const tocItem = (el) => toc?.querySelector(`a[href="#${CSS.escape(el.id)}"]`)?.closest('li') || null
  const override = (id) => {
    const entry = structure.get(id)
    return entry instanceof Y.Map ? entry : null
  }
  const inUse = (id) => override(id)?.get(SK.IN_USE) !== false
  const localMaps = () => locals.toArray().filter((m) => m instanceof Y.Map && isLocalSectionId(mapText(m, LK.ID)))

  /** The heading's parts: the number and the name (the name wrapped once in `.navn`). */
  function headingParts (el) {
    const heading = headingOf(el)
    let name = heading.querySelector('.navn')
    if (!name) {
      name = h('span', { class: 'navn' })
      for (const node of [...heading.childNodes]) if (!node.classList?.contains('nummer')) name.append(node)
      heading.append(name)
    }
    let mark = heading.querySelector('.ikke-i-bruk-merke')
    if (!mark) { mark = h('span', { class: 'ikke-i-bruk-merke' }); heading.append(mark) }
    return { heading, number: heading.querySelector('.nummer'), name, mark }
  }

  /** What the section is called now: the plan's heading, a local section's own, or the template's. */
  function currentHeading (id, el) {
    const own = mapText(override(id) || new Map(), SK.HEADING).trim()
    if (own) return own
    const local = localMaps().find((m) => mapText(m, LK.ID) === id)
    if (local) return mapText(local, LK.HEADING) || 'Uten overskrift'
    if (!wording.has(id)) wording.set(id, headingParts(el).name.textContent.trim())
    return wording.get(id)
  }

  // ——— Plan-local sections ———

  function buildLocal (map) {
    const id = mapText(map, LK.ID)
    const kind = mapText(map, LK.KIND) === LocalSectionKind.APPENDIX ? LocalSectionKind.APPENDIX : LocalSectionKind.PROSE
    const parent = sectionEl(mapText(map, LK.PARENT))
    const level = Math.min((parent ? depthOf(parent) : 0) + 1, 3) + 1
    const anchor = sectionAnchor(id)
    return h('section', {
      class: `seksjon ${kind}`, id: anchor, 'aria-labelledby': `${anchor}-tittel`,
      'data-section-kind': kind, 'data-section-id': id, 'data-local': 'true'
    },
    h(`h${level}`, { id: `${anchor}-tittel` }, h('span', { class: 'nummer' }), h('span', { class: 'navn' })),
    h('div', { class: 'prosa', 'data-section-id': id }))
  }

  /** The next section element after `el` (skipping panels and forms between sections). */
  function nextSection (el) {
    let next = el.nextElementSibling
    while (next && !next.matches('section[data-section-id]')) next = next.nextElementSibling
    return next
  }

  /** Puts the local sections in place: after their parent's template sections, in array order. */
  function placeLocals () {
    const maps = localMaps()
    const wanted = new Map() // id → map (the first of a duplicated id)
    for (const map of maps) {
      const id = mapText(map, LK.ID)
      if (!wanted.has(id) && (mapText(map, LK.PARENT) === '' || sectionEl(mapText(map, LK.PARENT)))) wanted.set(id, map)
    }
    for (const el of sections()) {
      const id = el.dataset.sectionId
      if (isLocalSectionId(id) && !wanted.has(id)) {
        ctx.unmountSection(el)
        tocItem(el)?.remove()
        el.remove()
      }
    }
    const byParent = new Map()
    for (const [id, map] of wanted) {
      const parent = mapText(map, LK.PARENT)
      if (!byParent.has(parent)) byParent.set(parent, [])
      byParent.get(parent).push(id)
    }
    for (const [parent, ids] of byParent) {
      const mine = new Set(ids)
      const family = sections().filter((el) => (el.dataset.sectionId === parent || isInside(el.dataset.sectionId, parent)) && !mine.has(el.dataset.sectionId))
      let base = family[family.length - 1]
      for (const id of ids) {
        let el = sectionEl(id)
        const fresh = !el
        if (fresh) el = buildLocal(wanted.get(id))
        if (!base) planEl.querySelector('section[data-section-id]')?.before(el) || planEl.prepend(el)
        else if (nextSection(base) !== el) base.after(el)
        if (fresh) ctx.mountSection(el)
        base = el
      }
    }
    return wanted
  }

  /** Numbers local sections after their parent's template children; keeps their TOC entries. */
  function numberLocals (wanted) {
    const counts = new Map() // parent → children counted so far
    for (const el of sections()) {
      const id = el.dataset.sectionId
      const parent = parentId(id)
      if (!isLocalSectionId(id) && (parent === '' ? depthOf(el) === 1 : true)) {
        counts.set(parent, (counts.get(parent) || 0) + 1)
      }
    }
    for (const [id, map] of wanted) {
      const el = sectionEl(id)
      const parent = mapText(map, LK.PARENT)
      const n = (counts.get(parent) || 0) + 1
      counts.set(parent, n)
      const parentNumber = parent ? headingParts(sectionEl(parent)).number?.textContent.trim() : ''
      const { number } = headingParts(el)
      const text = parentNumber ? `${parentNumber}.${n}` : String(n)
      if (number && number.textContent !== text) number.textContent = text
      if (toc && depthOf(el) <= 2 && !tocItem(el)) {
        const li = h('li', { class: `nivaa-${depthOf(el)}` }, h('a', { href: `#${el.id}` }))
        let prev = el.previousElementSibling
        while (prev && !(prev.matches('section[data-section-id]') && tocItem(prev))) prev = prev.previousElementSibling
        if (prev) tocItem(prev).after(li)
        else toc.prepend(li)
      }
    }
  }

  // ——— Headings, «ikke i bruk», controls ———

  function apply (el) {
    const id = el.dataset.sectionId
    // A target group's own heading is its name (targetgroups.js).
    const groupHead = el.dataset.targetGroup && el.dataset.sectionKind === 'group'
    const parts = headingParts(el)
    const name = groupHead ? parts.name.textContent : currentHeading(id, el)
    if (!groupHead && parts.name.textContent !== name) parts.name.textContent = name
    const using = inUse(id)
    el.classList.toggle('ikke-i-bruk', !using)
    parts.mark.textContent = using ? '' : ' (ikke i bruk)'
    let ancestor = parentId(id)
    let folded = false
    while (ancestor && !folded) { folded = !inUse(ancestor); ancestor = parentId(ancestor) }
    el.classList.toggle('under-ikke-i-bruk', folded)
    const link = tocItem(el)?.querySelector('a')
    if (link) {
      const text = `${parts.number ? `${parts.number.textContent} ` : ''}${name}${using ? '' : ' (ikke i bruk)'}`
      if (link.textContent !== text) link.textContent = text
    }
    if (!groupHead && wording.has(id)) showTemplateWording(el, name === wording.get(id) ? '' : wording.get(id))
    // A target group's sections follow the group (named and removed in targetgroups.js).
    if (coordinator && !el.dataset.targetGroup) controlsOf(el).update(using)
  }

  /** «Malens overskrift: …» in the section's Veiledning while the plan says it otherwise. */
  function showTemplateWording (el, original) {
    let note = el.querySelector(':scope > .veiledning .malens-overskrift')
    if (!original) { note?.remove(); return }
    if (!note) {
      let details = el.querySelector(':scope > .veiledning')
      if (!details) {
        details = h('details', { class: 'veiledning' }, h('summary', {}, 'Veiledning'))
        headingOf(el).after(details)
      }
      note = h('p', { class: 'malens-overskrift' })
      details.querySelector('summary').after(note)
    }
    const text = `Malens overskrift: ${original}`
    if (note.textContent !== text) note.textContent = text
  }

  /** The coordinator's controls under a section's heading (made once per element). */
  function controlsOf (el) {
    if (decorated.has(el)) return decorated.get(el)
    const id = el.dataset.sectionId
    const local = isLocalSectionId(id)
    const headingId = headingOf(el).id
    const message = h('div', { class: 'tiltak-melding', role: 'status' })
    const button = (ctl, text, onclick) => {
      const bid = uid('knapp')
      return h('button', { type: 'button', id: bid, class: 'sekundaer liten', 'data-ctl': ctl, 'aria-labelledby': `${bid} ${headingId}`, onclick }, text)
    }
    const renameButton = button('endre', 'Endre overskrift', () => openRename())
    const useButton = button('bruk', 'Ikke i bruk', () => toggleUse())
    const intro = ['group', 'target_groups'].includes(el.dataset.sectionKind) && !el.querySelector(':scope > .prosa')
      ? button('innledning', 'Skriv innledning', () => addIntro(el))
      : null
    const moves = local
      ? [button('opp', 'Flytt opp', () => moveLocal(id, -1, 'opp')), button('ned', 'Flytt ned', () => moveLocal(id, 1, 'ned')),
          button('slett', 'Slett avsnittet', () => deleteLocal(id))]
      : []
    const input = h('input', { type: 'text', id: uid('overskrift'), autocomplete: 'off', maxlength: '200' })
    const hint = h('p', { class: 'hjelp', id: uid('hjelp') }, local ? '' : 'Tomt felt gir malens overskrift tilbake.')
    input.setAttribute('aria-describedby', hint.id)
    const error = h('p', { class: 'feil', role: 'alert' })
    const form = h('form', { class: 'ny-overskrift', hidden: true },
      h('div', { class: 'felt' }, h('label', { for: input.id }, 'Ny overskrift'), input, hint, error),
      h('div', { class: 'knapper' }, h('button', { type: 'submit' }, 'Lagre'),
        h('button', { type: 'button', class: 'sekundaer', onclick: () => closeRename() }, 'Avbryt')))
    form.addEventListener('submit', (event) => { event.preventDefault(); saveRename() })
    form.addEventListener('keydown', (event) => { if (event.key === 'Escape') { event.preventDefault(); closeRename() } })
    const bar = h('div', { class: 'struktur-knapper' }, h('div', { class: 'handlinger' }, renameButton, useButton, intro, moves), form, message)
    // After the heading and the "responsible unit" line, before the guidance.
    const info = el.querySelector(':scope > .seksjon-info')
    ;(info || headingOf(el)).after(bar)

    function openRename () {
      input.value = currentHeading(id, el)
      error.textContent = ''
      form.hidden = false
      renameButton.setAttribute('aria-expanded', 'true')
      input.focus()
      input.select()
    }
    function closeRename () {
      form.hidden = true
      renameButton.setAttribute('aria-expanded', 'false')
      renameButton.focus()
    }
    function saveRename () {
      const text = input.value.trim()
      const map = local ? localMaps().find((m) => mapText(m, LK.ID) === id) : null
      if (local && !text) { error.textContent = 'Skriv en overskrift.'; input.focus(); return }
      transactStep(ctx, () => {
        if (map) { map.set(LK.HEADING, text); return }
        const entry = entryFor(id)
        if (!text || text === wording.get(id)) entry.delete(SK.HEADING)
        else entry.set(SK.HEADING, text)
      })
      closeRename()
      message.replaceChildren(`Overskriften er nå «${currentHeading(id, el)}».`)
    }
    function toggleUse () {
      const using = inUse(id)
      transactStep(ctx, () => {
        const entry = entryFor(id)
        if (using) entry.set(SK.IN_USE, false)
        else entry.delete(SK.IN_USE)
      })
      message.replaceChildren(using ? 'Delen er ikke i bruk. Innholdet er tatt vare på.' : 'Delen er i bruk igjen.')
    }
    const controls = {
      message,
      update (using) {
        useButton.textContent = using ? 'Ikke i bruk' : 'Ta i bruk'
        useButton.setAttribute('aria-pressed', String(!using))
        if (intro && el.querySelector(':scope > .prosa')) intro.remove()
        if (moves.length) {
          const siblings = siblingsOf(id)
          moves[0].setAttribute('aria-disabled', String(siblings[0] === id))
          moves[1].setAttribute('aria-disabled', String(siblings[siblings.length - 1] === id))
        }
      }
    }
    decorated.set(el, controls)
    return controls
  }

  /** The section's entry in `structure`, made when it has none. */
  function entryFor (id) {
    let entry = override(id)
    if (!entry) { entry = new Y.Map(); structure.set(id, entry) }
    return entry
  }

  const siblingsOf = (id) => {
    const parent = mapText(localMaps().find((m) => mapText(m, LK.ID) === id) || new Map(), LK.PARENT)
    return localMaps().filter((m) => mapText(m, LK.PARENT) === parent).map((m) => mapText(m, LK.ID))
  }

  function moveLocal (id, dir, ctl) {
    const maps = localMaps()
    const map = maps.find((m) => mapText(m, LK.ID) === id)
    if (!map) return
    const siblings = maps.filter((m) => mapText(m, LK.PARENT) === mapText(map, LK.PARENT))
    pendingFocus = { id, ctl }
    if (!moveAmong(ctx, locals, map, siblings, dir)) pendingFocus = null
  }

  function deleteLocal (id) {
    const map = localMaps().find((m) => mapText(m, LK.ID) === id)
    if (!map) return
    const parent = mapText(map, LK.PARENT)
    const index = locals.toArray().indexOf(map)
    const heading = mapText(map, LK.HEADING) || 'uten overskrift'
    const adder = adders.get(parent)
    deleteWithUndo(ctx, {
      message: adder?.message || controlsOf(sectionEl(parent) || sections()[0]).message,
      text: `Avsnittet «${heading}» er slettet. Teksten er tatt vare på om du angrer.`,
      back: 'Avsnittet er tilbake.',
      remove: () => locals.delete(index, 1),
      after: () => { pendingFocus = { id, ctl: 'slett' }; render() }
    })
  }

  /** A group's introduction: a prose editor before its children, in the group's own fragment. */
  function addIntro (el) {
    if (!el.querySelector(':scope > .prosa')) {
      const container = h('div', { class: 'prosa', 'data-section-id': el.dataset.sectionId })
      const before = el.querySelector(':scope > .veiledning') || el.querySelector(':scope > .struktur-knapper') || headingOf(el)
      before.after(container)
      ctx.mountSection(el)
    }
    controlsOf(el).update(inUse(el.dataset.sectionId))
    el.querySelector('.prosa-innhold')?.focus()
  }

  /** A group whose introduction someone else started gets its editor too. */
  function watchIntro (el) {
    if (!['group', 'target_groups'].includes(el.dataset.sectionKind) || el.querySelector(':scope > .prosa') || el.dataset.introWatched) return
    el.dataset.introWatched = 'true'
    const fragment = shared.section(doc, el.dataset.sectionId)
    const check = () => {
      if (fragment.length === 0 || el.querySelector(':scope > .prosa')) return
      fragment.unobserveDeep(check)
      const container = h('div', { class: 'prosa', 'data-section-id': el.dataset.sectionId })
      const before = el.querySelector(':scope > .veiledning') || el.querySelector(':scope > .struktur-knapper') || headingOf(el)
      before.after(container)
      ctx.mountSection(el)
      if (coordinator) controlsOf(el).update(inUse(el.dataset.sectionId))
    }
    fragment.observeDeep(check)
    check()
  }

  // ——— «Legg til avsnitt» under each chapter ———

  function adderFor (chapterId) {
    if (adders.has(chapterId)) return adders.get(chapterId)
    const chapter = sectionEl(chapterId)
    const chapterName = () => headingParts(chapter).name.textContent.trim()
    const open = h('button', { type: 'button', class: 'sekundaer', 'aria-expanded': 'false' }, 'Legg til avsnitt')
    const heading = h('input', { type: 'text', id: uid('avsnitt'), autocomplete: 'off', maxlength: '200' })
    const kindName = uid('type')
    const kinds = [[LocalSectionKind.PROSE, 'Tekst'], [LocalSectionKind.APPENDIX, 'Vedlegg']].map(([value, label], i) => {
      const radio = h('input', { type: 'radio', name: kindName, id: uid('type'), value, checked: i === 0 })
      return h('div', { class: 'avkrysning' }, radio, h('label', { for: radio.id }, label))
    })
    const error = h('p', { class: 'feil', role: 'alert' })
    const form = h('form', { class: 'nytt-avsnitt', hidden: true },
      h('div', { class: 'felt' }, h('label', { for: heading.id }, 'Overskrift på det nye avsnittet'), heading),
      h('fieldset', { class: 'valg-liste' }, h('legend', {}, 'Slags avsnitt'), kinds),
      h('div', { class: 'knapper' }, h('button', { type: 'submit' }, 'Legg til'),
        h('button', { type: 'button', class: 'sekundaer', onclick: () => toggle(false) }, 'Avbryt')),
      error)
    const message = h('div', { class: 'tiltak-melding', role: 'status' })
    const el = h('div', { class: 'legg-til-avsnitt', 'data-parent': chapterId }, open, form, message)
    const toggle = (show) => {
      form.hidden = !show
      open.setAttribute('aria-expanded', String(show))
      if (show) heading.focus()
      else open.focus()
    }
    open.addEventListener('click', () => toggle(form.hidden))
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const text = heading.value.trim()
      if (!text) { error.textContent = 'Skriv en overskrift.'; heading.focus(); return }
      error.textContent = ''
      const kind = form.querySelector('input[type="radio"]:checked')?.value || LocalSectionKind.PROSE
      const map = new Y.Map()
      const id = localSectionId(chapterId, randomHex(8))
      map.set(LK.ID, id)
      map.set(LK.PARENT, chapterId)
      map.set(LK.HEADING, text)
      map.set(LK.KIND, kind)
      heading.value = ''
      form.hidden = true
      open.setAttribute('aria-expanded', 'false')
      pendingFocus = { id, ctl: 'prosa' }
      transactStep(ctx, () => locals.push([map]))
      message.replaceChildren(`Avsnittet «${text}» er lagt til i «${chapterName()}».`)
    })
    const adder = { el, message, update: () => open.setAttribute('aria-label', `Legg til avsnitt i ${chapterName()}`) }
    adders.set(chapterId, adder)
    return adder
  }

  /** Each chapter's «Legg til avsnitt» after the chapter's last section. */
  function placeAdders () {
    const all = sections()
    for (const chapter of all.filter((el) => depthOf(el) === 1 && !el.dataset.targetGroup)) {
      const id = chapter.dataset.sectionId
      const inside = all.filter((el) => el === chapter || isInside(el.dataset.sectionId, id))
      const last = inside[inside.length - 1]
      const adder = adderFor(id)
      if (last.nextElementSibling !== adder.el) last.after(adder.el)
      adder.update()
    }
  }

  // ——— Render ———

  function render () {
    const wanted = placeLocals()
    numberLocals(wanted)
    for (const el of sections()) {
      apply(el)
      watchIntro(el)
    }
    if (coordinator) placeAdders()
    if (pendingFocus) {
      const el = sectionEl(pendingFocus.id)
      const target = pendingFocus.ctl === 'prosa'
        ? el?.querySelector('.prosa-innhold')
        : el?.querySelector(`.struktur-knapper [data-ctl="${pendingFocus.ctl}"]`)
      pendingFocus = null
      target?.focus()
    }
  }

  let scheduled = false
  /** After the whole transaction (and other observers, e.g. new target groups' sections). */
  const soon = () => {
    if (scheduled) return
    scheduled = true
    queueMicrotask(() => { scheduled = false; render() })
  }
  structure.observeDeep(soon)
  locals.observeDeep(soon)
  shared.targetGroups(doc).observeDeep(soon)
  render()
  return { render }
}

// End-to-end test of Samskriv's browser editor in real headless Chromium (Debian's package,
// driven by playwright-core; no browser is downloaded).
//
//   node tests/e2e/editor.mjs <baseUrl> <planId> <outDir>
//
// Two people (two browser contexts) on one plan: prose typed by one appears for the other (with
// formatting, a list and a link), remote cursors and the presence list, tiltak rows added,
// edited, typed in by both at once, reordered, deleted and restored, checklists and milestones,
// per-person undo, a page taken offline that edits and comes back, a reload that keeps offline
// edits (IndexedDB), the tiltak table on a 1366×768 laptop as a first-time visitor sees it
// (title column share, keyboard, row panel), target groups on the combined template, 300 rows timed, and an axe-core
// scan (WCAG 2.1 A/AA) that must find nothing. Screenshots go to <outDir>. The last line of
// standard output is a JSON summary; the exit code is 0 only when everything held.
//
// The Rust test tests/api/browser.rs runs this and then reads GET /api/plans/<planId> to check
// that the server stored what the browser typed, in the schema the server reads.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { scenarioArgs, setUp, WAIT, waitFor, LAPTOP } from './harness.mjs'

const { baseUrl, planId, outDir } = scenarioArgs('node tests/e2e/editor.mjs <baseUrl> <planId> <outDir>')
const { browser, summary, check, newContext, watchErrors, shot, axeScan, finish } = await setUp({ outDir })

/** Strings the Rust test looks for in GET /api/plans/<id>. */
export const TEXT = {
  prose: 'Bydelen har mange tjenester',
  bold: 'viktig',
  item: 'Første punkt',
  linkText: 'KoRus Oslo',
  href: 'https://korus-oslo.no/',
  tiltak: 'Rusfritt ungdomshus fra A',
  offline: 'Skrevet frakoblet av B',
  online: 'Skrevet av A mens B var borte',
  reload: 'Lagret lokalt i nettleseren',
  milestone: 'Utkast sendt på høring',
  indikator: 'Antall ungdommer som deltar'
}

async function openPerson (name, unit, url, { preset = false, profile = null } = {}) {
  const context = await newContext({ viewport: { width: 1280, height: 900 }, locale: 'nb-NO' })
  if (preset) {
    await context.addInitScript(([n, u]) => {
      localStorage.setItem('samskriv.person', JSON.stringify({ name: n, unit: u, color: '#034b45' }))
    }, [name, unit])
  }
  const page = await context.newPage()
  watchErrors(page, name, /favicon|404|ERR_INTERNET_DISCONNECTED/)
  // With `profile` (a file name), the page's load is recorded by the CPU profiler
  // (Chrome DevTools' .cpuprofile format).
  const cdp = profile ? await context.newCDPSession(page) : null
  if (cdp) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 })
    await cdp.send('Profiler.start')
  }
  await page.goto(url)
  if (!preset) {
    // The name and unit are asked once, in an accessible dialog.
    await page.getByRole('dialog', { name: 'Hvem er du?' }).waitFor({ timeout: WAIT })
    await page.getByLabel('Navn', { exact: true }).fill(name)
    await page.getByLabel(/^Enhet/).fill(unit)
    await page.getByRole('button', { name: 'Fortsett' }).click()
  }
  await page.evaluate(() => window.samskriv.ready)
  await waitFor(page, () => window.samskriv.provider.synced, null, `${name}'s first sync`)
  if (cdp) {
    const { profile: recorded } = await cdp.send('Profiler.stop')
    writeFileSync(join(outDir, profile), JSON.stringify(recorded))
  }
  return { context, page, name }
}

const planUrl = `${baseUrl}/plans/${planId}`
const editorSel = (section) => `.prosa-innhold[data-section-id="${section}"]`
const S1 = 'innledning.hva-er-planen'
const S2 = 'hvor-star-vi.nasituasjon'
const TILTAK = '.tiltak-editor[data-section-id="planprosessen.tiltak"]'

async function text (page, selector) {
  return page.$eval(selector, (el) => el.textContent)
}

async function typeIn (page, section, keys) {
  const el = page.locator(editorSel(section))
  await el.click()
  await page.keyboard.press('Control+End')
  await page.keyboard.type(keys)
}

async function run () {
  const a = await openPerson('Kari Nordmann', 'NAV', planUrl)
  const b = await openPerson('Ola Hansen', 'Utekontakten', planUrl)
  check('two people open the plan and are asked for name and unit')

  // Presence: each sees the other with name and unit.
  await waitFor(a.page, () => document.querySelector('.tilstede-liste')?.textContent.includes('Ola Hansen (Utekontakten)'), null, 'B in A\'s presence list')
  await waitFor(b.page, () => document.querySelector('.tilstede-liste')?.textContent.includes('Kari Nordmann (NAV)'), null, 'A in B\'s presence list')
  check('presence list shows name and unit')
  const statusA = await text(a.page, '.tilkobling')
  if (!/Tilkoblet/.test(statusA)) throw new Error(`connection state shows "${statusA}"`)

  // Prose with formatting, a list and a link, typed in A, appears in B.
  await typeIn(a.page, S1, `${TEXT.prose} `)
  await a.page.keyboard.press('Control+b')
  await a.page.keyboard.type(TEXT.bold)
  await a.page.keyboard.press('Control+b')
  await a.page.keyboard.type('. ')
  await a.page.keyboard.type(TEXT.linkText)
  for (let i = 0; i < TEXT.linkText.length; i++) {
    await a.page.keyboard.press('Shift+ArrowLeft')
    await a.page.waitForTimeout(20) // at a person's pace: each selection change is read before the next
  }
  await a.page.keyboard.press('Control+k')
  await a.page.getByLabel(/^Adresse/).fill(TEXT.href)
  await a.page.getByRole('button', { name: 'Bruk lenken' }).click()
  await waitFor(a.page, ([sel, href]) => !!document.querySelector(`${sel} a[href="${href}"]`), [editorSel(S1), TEXT.href], 'the link in A')
  await a.page.keyboard.press('End')
  await a.page.keyboard.press('Enter')
  await a.page.locator(`section[data-section-id="${S1}"] .verktoy-ul`).click()
  await a.page.keyboard.type(TEXT.item)
  await waitFor(b.page, ([sel, want]) => document.querySelector(sel)?.textContent.includes(want),
    [editorSel(S1), TEXT.item], 'A\'s prose in B')
  const bHtml = await b.page.$eval(editorSel(S1), (el) => el.innerHTML)
  if (!bHtml.includes(`<strong>${TEXT.bold}</strong>`)) throw new Error(`bold text missing in B: ${bHtml}`)
  const linkText = await b.page.$eval(editorSel(S1), (el, href) => el.querySelector(`a[href="${href}"]`)?.textContent, TEXT.href)
  if (linkText !== TEXT.linkText) throw new Error(`link missing in B: ${bHtml}`)
  const listText = await b.page.$eval(editorSel(S1), (el) => {
    const p = el.querySelector('ul > li > p')?.cloneNode(true)
    for (const widget of p?.querySelectorAll('.ProseMirror-yjs-cursor') || []) widget.remove()
    return p?.textContent
  })
  if (listText !== TEXT.item) throw new Error(`list missing in B: ${bHtml}`)
  check('prose typed in one page appears in the other, with bold, link and list')

  // Remote cursor with the other's name.
  await b.page.locator(editorSel(S1)).click()
  await b.page.keyboard.press('Control+End')
  await waitFor(a.page, ([sel]) => [...document.querySelectorAll(`${sel} .ProseMirror-yjs-cursor-navn`)].some((el) => el.textContent === 'Ola Hansen'),
    [editorSel(S1)], 'B\'s cursor in A')
  await waitFor(a.page, () => document.querySelector('.tilstede-liste')?.textContent.includes('Ola Hansen (Utekontakten) i 1.1'), null, 'B\'s section in A\'s list')
  await waitFor(a.page, (s) => document.querySelector(`section[data-section-id="${s}"] .her-naa`)?.textContent === 'Her nå: Ola Hansen', S1, 'B beside the section in A')
  check('remote cursor with name, and the section each person is in')
  await a.page.locator(editorSel(S1)).scrollIntoViewIfNeeded()
  await shot(a.page, 'a-markor.png')

  // Undo is per person: A's undo removes A's typing, never B's.
  await typeIn(a.page, S2, 'AAA ')
  await a.page.waitForTimeout(600) // a new undo step
  await typeIn(b.page, S2, 'BBB')
  await waitFor(a.page, ([sel]) => document.querySelector(sel)?.textContent.includes('BBB'), [editorSel(S2)], 'B\'s text in A')
  await a.page.locator(editorSel(S2)).click()
  await a.page.keyboard.press('Control+z')
  await waitFor(b.page, ([sel]) => { const t = document.querySelector(sel)?.textContent; return t && !t.includes('AAA') && t.includes('BBB') }, [editorSel(S2)], 'A\'s undo to reach B')
  const afterUndo = await text(a.page, editorSel(S2))
  if (afterUndo.includes('AAA') || !afterUndo.includes('BBB')) throw new Error(`undo in A left "${afterUndo}"`)
  check('undo removes only the person\'s own typing')

  // Checklist.
  const box = 'input[data-key="hvor-star-vi.nokkeltall/fhi"]'
  await a.page.locator(box).check()
  await waitFor(b.page, (sel) => document.querySelector(sel)?.checked === true, box, 'checkbox in B')
  check('checklist ticks are live')
  // The "Før planen sendes til BU" panel follows the server's reading of the plan.
  await waitFor(b.page, () => {
    // A checklist is an idébank: one ticked item completes it.
    const m = /(\d+) av (\d+) sjekklister har ingenting krysset av/.exec(document.getElementById('mangler')?.textContent || '')
    return m && +m[1] === +m[2] - 1
  }, null, 'the completeness panel to count the ticked checklist')
  check('the completeness panel is kept current')

  // Tiltak: add a row, type, choose status; B sees it.
  const groupSel = `${TILTAK} .tiltak-gruppe[data-group="forebygging"]`
  await a.page.locator(`${groupSel} button.legg-til`).click()
  const rowId = await a.page.evaluate(() => document.activeElement.closest('tr')?.dataset.rowId)
  if (!rowId) throw new Error('the new row\'s Tiltak cell did not get focus')
  await a.page.keyboard.type(TEXT.tiltak)
  const rowA = `${TILTAK} tr[data-row-id="${rowId}"]`
  await a.page.locator(`${rowA} select[data-ctl="main:status"]`).selectOption('pabegynt')
  // Responsible units: a disclosure over the plan's units as checkboxes.
  await a.page.locator(`${rowA} summary[data-ctl="main:ansvarlig"]`).click()
  await a.page.locator(`${rowA} details[data-field="ansvarlig"]`).getByLabel('Utekontakten', { exact: true }).check()
  await a.page.locator(`${rowA} summary[data-ctl="main:ansvarlig"]`).click()
  await waitFor(b.page, ([sel, want]) => {
    const row = document.querySelector(sel)
    return row && row.querySelector('textarea').value === want &&
      row.querySelector('select[data-ctl="main:status"]').value === 'pabegynt' &&
      row.querySelector('summary[data-ctl="main:ansvarlig"]').textContent === 'Utekontakten'
  }, [rowA, TEXT.tiltak], 'the new tiltak row in B')
  const ansvarlig = await b.page.evaluate((id) => window.samskriv.doc.getArray('tiltak').toArray().find((m) => m.get('id') === id).get('ansvarlig'), rowId)
  if (JSON.stringify(ansvarlig) !== '["Utekontakten"]') throw new Error(`units are stored as ${JSON.stringify(ansvarlig)}, not as an array`)
  const uuidOk = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(rowId)
  if (!uuidOk) throw new Error(`row id is not a UUID: ${rowId}`)
  const kinds = await a.page.evaluate((id) => {
    const Y = window.samskriv.doc
    const map = Y.getArray('tiltak').toArray().find((m) => m.get('id') === id)
    return { tiltak: map.get('tiltak').constructor.name, indikator: map.get('indikator')?.constructor.name, strategi: map.get('strategi') }
  }, rowId)
  if (kinds.strategi !== 'forebygging' || kinds.indikator == null) throw new Error(`new row fields: ${JSON.stringify(kinds)}`)
  check('a tiltak row added and edited in one page appears in the other (UUID id, Y.Text long texts)')

  // The other fields, under "Mer": an enum as a select with bokmål labels, a long text (Y.Text).
  await a.page.locator(`${rowA} button[data-ctl="mer"]`).click()
  const details = `${TILTAK} tr.tiltak-detaljer[data-row-id="${rowId}"]`
  await a.page.locator(details).getByLabel('Nivå').selectOption({ label: 'Gruppe' })
  await a.page.locator(details).getByLabel('Indikator').fill(TEXT.indikator)
  await waitFor(b.page, ([id, want]) => {
    const map = window.samskriv.doc.getArray('tiltak').toArray().find((m) => m.get('id') === id)
    return map?.get('niva') === 'gruppe' && map?.get('indikator')?.toString() === want
  }, [rowId, TEXT.indikator], 'nivå and indikator in B\'s document')
  await a.page.locator(`${rowA} button[data-ctl="mer"]`).click()
  check('the other fields are under "Mer" (select with bokmål labels, collaborative long text)')

  // Alt+Shift+↓ moves the row with the keyboard; focus stays in the same field.
  await a.page.locator(`${rowA} select[data-ctl="main:status"]`).focus()
  const groupRows = `${TILTAK} .tiltak-gruppe[data-group="forebygging"] tbody tr[data-row-id]:not(.tiltak-detaljer)`
  const posBefore = await a.page.$$eval(groupRows, (rows, id) => rows.findIndex((r) => r.dataset.rowId === id), rowId)
  await a.page.keyboard.press(posBefore === 0 ? 'Alt+Shift+ArrowDown' : 'Alt+Shift+ArrowUp')
  const posAfter = await a.page.$$eval(groupRows, (rows, id) => rows.findIndex((r) => r.dataset.rowId === id), rowId)
  const stillThere = await a.page.evaluate((id) => document.activeElement?.dataset.ctl === 'main:status' && document.activeElement.closest('tr').dataset.rowId === id, rowId)
  if (posAfter === posBefore || !stillThere) throw new Error(`keyboard move: ${posBefore} → ${posAfter}, focus kept: ${stillThere}`)
  check('Alt+Shift+arrow moves a row and keeps focus in the field')

  // Two people typing in the same cell both keep their text.
  const cell = `${rowA} textarea[data-ctl="main:tiltak"]`
  await a.page.locator(cell).focus()
  await a.page.evaluate((sel) => { const el = document.querySelector(sel); el.setSelectionRange(el.value.length, el.value.length) }, cell)
  await b.page.locator(cell).focus()
  await b.page.evaluate((sel) => document.querySelector(sel).setSelectionRange(0, 0), cell)
  await Promise.all([
    a.page.keyboard.type(' (A skriver)', { delay: 15 }),
    b.page.keyboard.type('[B skriver] ', { delay: 15 })
  ])
  const both = `[B skriver] ${TEXT.tiltak} (A skriver)`
  try {
    await waitFor(a.page, ([sel, want]) => document.querySelector(sel).value === want, [cell, both], 'both texts in A\'s cell')
    await waitFor(b.page, ([sel, want]) => document.querySelector(sel).value === want, [cell, both], 'both texts in B\'s cell')
  } catch (error) {
    const values = await Promise.all([a.page, b.page].map((p) => p.$eval(cell, (el) => el.value)))
    throw new Error(`${error.message}; A has "${values[0]}", B has "${values[1]}"`)
  }
  check('two people typing in one cell both keep their text')
  // Back to the plain text for the server check.
  await a.page.locator(cell).fill(TEXT.tiltak)
  await waitFor(b.page, ([sel, want]) => document.querySelector(sel).value === want, [cell, TEXT.tiltak], 'reset cell in B')

  // Reorder: move the new row up; B sees the order, the text and id survive.
  const orderOf = (page) => page.$$eval(`${groupSel} tbody tr[data-row-id]:not(.tiltak-detaljer)`, (rows) => rows.map((r) => r.dataset.rowId))
  const before = await orderOf(a.page)
  if (before.length > 1) {
    const i = before.indexOf(rowId)
    const dir = i > 0 ? 'opp' : 'ned'
    await a.page.locator(`${rowA} button[data-ctl="${dir}"]`).click()
    const focused = await a.page.evaluate(() => document.activeElement?.dataset.ctl)
    if (focused !== dir) throw new Error(`focus after a move is on ${focused}`)
    const expected = [...before]
    const j = dir === 'opp' ? i - 1 : i + 1
    ;[expected[j], expected[i]] = [expected[i], expected[j]]
    await waitFor(b.page, ([sel, want]) => JSON.stringify([...document.querySelectorAll(`${sel} tbody tr[data-row-id]:not(.tiltak-detaljer)`)].map((r) => r.dataset.rowId)) === want,
      [groupSel, JSON.stringify(expected)], 'the moved row in B')
    const moved = await b.page.$eval(`${TILTAK} tr[data-row-id="${rowId}"] textarea`, (el) => el.value)
    if (moved !== TEXT.tiltak) throw new Error(`moved row text is "${moved}"`)
    check('rows reorder with the keyboard-accessible move buttons; focus stays on the button')
  }

  // Delete with undo.
  await a.page.locator(`${rowA} button[data-ctl="slett"]`).click()
  await waitFor(b.page, (sel) => !document.querySelector(sel), `${TILTAK} tr[data-row-id="${rowId}"]`, 'the deleted row to go in B')
  await a.page.getByRole('button', { name: 'Angre sletting' }).click()
  await waitFor(b.page, ([sel, want]) => document.querySelector(sel)?.querySelector('textarea').value === want,
    [`${TILTAK} tr[data-row-id="${rowId}"]`, TEXT.tiltak], 'the restored row in B')
  check('a deleted row comes back with "Angre sletting"')

  // Filter by status.
  await a.page.locator(`${TILTAK} .tiltak-filter select`).nth(2).selectOption('pabegynt')
  const count = await text(a.page, `${TILTAK} .tiltak-antall`)
  if (!/^Viser \d+ av \d+ tiltak\.$/.test(count)) throw new Error(`filter count says "${count}"`)
  const hiddenWrong = await a.page.$$eval(`${TILTAK} tr[data-row-id]:not(.tiltak-detaljer):not([hidden])`,
    (rows) => rows.filter((r) => r.querySelector('select[data-ctl="main:status"]').value !== 'pabegynt').length)
  if (hiddenWrong) throw new Error('the status filter shows other rows')
  await a.page.locator(`${TILTAK} .tiltak-filter select`).nth(2).selectOption('')
  check(`filter by status (${count})`)

  // Milestones.
  await a.page.getByRole('button', { name: 'Legg til milepæl' }).click()
  await a.page.keyboard.type(TEXT.milestone)
  await a.page.keyboard.press('Tab')
  await a.page.keyboard.type('2026-03-01')
  await a.page.keyboard.press('Tab')
  await waitFor(b.page, (want) => [...document.querySelectorAll('.milepaeler input[data-ctl="title"]')].some((el) => el.value === want), TEXT.milestone, 'the milestone in B')
  check('milestones are live')

  await shot(a.page, 'a-tiltak.png')
  await a.page.locator(editorSel(S1)).scrollIntoViewIfNeeded()
  await shot(a.page, 'a-prosa.png')
  await b.page.locator(editorSel(S1)).scrollIntoViewIfNeeded()
  await shot(b.page, 'b-prosa.png')

  // Offline: B's connection is cut; B edits, A edits; they converge when B is back.
  await b.context.setOffline(true)
  await b.page.waitForTimeout(1500)
  const cutByOffline = await b.page.evaluate(() => !window.samskriv.provider.wsconnected)
  summary.metrics.setOfflineClosesWebSocket = cutByOffline
  // An established WebSocket may survive setOffline: close it through the provider (which also
  // keeps it from reconnecting until goOnline).
  await b.page.evaluate(() => window.samskriv.goOffline())
  await waitFor(b.page, () => document.querySelector('.tilkobling').textContent.includes('Frakoblet – endringer lagres lokalt'), null, 'B\'s offline state')
  await typeIn(b.page, S2, ` ${TEXT.offline}`)
  await b.page.locator(`${TILTAK} tr[data-row-id="${rowId}"] input[data-ctl="main:frist"]`).fill('2027')
  await b.page.locator(`${TILTAK} tr[data-row-id="${rowId}"] input[data-ctl="main:frist"]`).blur()
  await typeIn(a.page, S2, ` ${TEXT.online}`)
  await a.page.waitForTimeout(800)
  if ((await text(a.page, editorSel(S2))).includes(TEXT.offline)) throw new Error('B\'s offline text reached A while offline')
  await shot(b.page, 'b-frakoblet.png')
  await b.context.setOffline(false)
  await b.page.evaluate(() => window.samskriv.goOnline())
  await waitFor(b.page, () => /Tilkoblet/.test(document.querySelector('.tilkobling').textContent), null, 'B back online')
  for (const p of [a.page, b.page]) {
    await waitFor(p, ([sel, x, y]) => { const t = document.querySelector(sel)?.textContent || ''; return t.includes(x) && t.includes(y) },
      [editorSel(S2), TEXT.offline, TEXT.online], 'both offline and online text')
    await waitFor(p, (sel) => document.querySelector(sel)?.value === '2027', `${TILTAK} tr[data-row-id="${rowId}"] input[data-ctl="main:frist"]`, 'B\'s offline cell edit')
  }
  const docOf = (p) => p.evaluate(() => {
    const d = window.samskriv.doc
    return JSON.stringify([d.getXmlFragment('section:hvor-star-vi.nasituasjon').toJSON(), d.getArray('tiltak').toJSON(), d.getArray('milestones').toJSON(), d.getMap('checklist').toJSON()])
  })
  await a.page.waitForTimeout(300)
  if (await docOf(a.page) !== await docOf(b.page)) throw new Error('A and B did not converge after B came back')
  check(`offline edits merge when the connection returns (setOffline closed the socket: ${cutByOffline})`)

  // Offline edits survive a reload (IndexedDB) and reach the server afterwards.
  await b.page.evaluate(() => window.samskriv.goOffline())
  await typeIn(b.page, S2, ` ${TEXT.reload}`)
  await b.page.waitForTimeout(700) // y-indexeddb writes each update at once; give it a moment
  if ((await text(a.page, editorSel(S2))).includes(TEXT.reload)) throw new Error('offline text reached A')
  await b.page.reload()
  await b.page.evaluate(() => window.samskriv.ready)
  await waitFor(b.page, ([sel, want]) => document.querySelector(sel)?.textContent.includes(want), [editorSel(S2), TEXT.reload], 'offline text after reload')
  await waitFor(a.page, ([sel, want]) => document.querySelector(sel)?.textContent.includes(want), [editorSel(S2), TEXT.reload], 'B\'s stored offline text in A')
  check('a reload after offline edits keeps them (IndexedDB) and sends them')

  // Accessibility: axe-core, WCAG 2.1 A and AA, on the live editor page (a row's extra fields
  // open, B present with a cursor), and on a first visit with the name dialog open.
  await a.page.locator(`${rowA} button[data-ctl="mer"]`).click()
  await a.page.evaluate(() => window.scrollTo(0, 0))
  await axeScan(a.page, 'the live editor page')
  const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const first = await fresh.newPage()
  await first.goto(planUrl)
  await first.getByRole('dialog', { name: 'Hvem er du?' }).waitFor({ timeout: WAIT })
  await axeScan(first, 'the first visit with the name dialog')
  await fresh.close()
  check('axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa): no violations')

  // 200 % zoom on a 1280-px screen is a 640-px-wide viewport: nothing scrolls sideways.
  await a.page.setViewportSize({ width: 640, height: 900 })
  await a.page.waitForTimeout(200)
  const overflow = await a.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  summary.metrics.horizontalOverflowAt200Percent = overflow
  await a.page.locator(TILTAK).scrollIntoViewIfNeeded()
  await shot(a.page, 'a-200-prosent.png')
  if (overflow > 2) throw new Error(`at 200 % zoom the page scrolls sideways by ${overflow}px`)
  await a.page.setViewportSize({ width: 1280, height: 900 })
  check('usable at 200 % zoom (no horizontal scrolling)')

  await laptopTable()
  await targetGroups()
  await threeHundredRows()

  await a.context.close()
  await b.context.close()
}

/**
 * The tiltak table on a 1366×768 laptop, with the side columns as a first-time visitor sees
 * them: the title column gets at least 40 % of the table; keyboard moves between cells, the row
 * panel opens from the row's «Åpne» button with Enter, shows every field of the template with a
 * label, passes axe, and Esc closes it with focus back on the button. «Bred tabell» widens the
 * table and is remembered.
 */
async function laptopTable () {
  const context = await newContext({ viewport: LAPTOP, locale: 'nb-NO' })
  await context.addInitScript(() => {
    localStorage.setItem('samskriv.person', JSON.stringify({ name: 'Lise Laptop', unit: 'NAV', color: '#034b45' }))
  })
  const page = await context.newPage()
  watchErrors(page, 'laptop', /favicon|404/)
  await page.goto(planUrl)
  await page.evaluate(() => window.samskriv.ready)
  const table = `${TILTAK} .tiltak-gruppe[data-group="forebygging"] table`
  const layoutOf = () => page.evaluate((sel) => {
    const t = document.querySelector(sel)
    const title = t.querySelector('thead th.kol-tittel')
    const nav = document.querySelector('.innhold-nav')
    return {
      table: Math.round(t.getBoundingClientRect().width),
      title: Math.round(title.getBoundingClientRect().width),
      share: title.getBoundingClientRect().width / t.getBoundingClientRect().width,
      contentsShown: !!nav && nav.getBoundingClientRect().width > 0,
      commentsShown: !!document.getElementById('kommentarer') && !document.getElementById('kommentarer').hidden,
      headings: [...document.querySelectorAll('.tiltak-editor')].map((ed) => {
        const own = ed.closest('section').querySelector(':scope > h2, :scope > h3, :scope > h4')
        return [own.tagName, [...ed.querySelectorAll('.tiltak-gruppe-tittel')].map((x) => x.tagName)]
      })
    }
  }, table)
  const first = await layoutOf()
  summary.metrics.laptopTable = { viewport: `${LAPTOP.width}x${LAPTOP.height}`, ...first, share: +first.share.toFixed(3) }
  if (first.share < 0.4) throw new Error(`at 1366×768 the title column is ${first.title} of ${first.table} px (${(first.share * 100).toFixed(1)} %), under 40 %`)
  for (const [own, groups] of first.headings) {
    const want = `H${Number(own.slice(1)) + 1}`
    if (groups.some((tag) => tag !== want)) throw new Error(`tiltak group headings ${groups} under an ${own}`)
  }
  await page.locator(table).scrollIntoViewIfNeeded()
  await shot(page, 'e-tiltak-1366.png')
  check(`1366×768, first visit (contents shown: ${first.contentsShown}, comments shown: ${first.commentsShown}): title column ${first.title} of ${first.table} px (${(first.share * 100).toFixed(0)} %); group headings one level under their section`)

  // Keyboard: Alt+arrows between cells, then the row's «Åpne» with Enter.
  const rows = `${table} tbody tr[data-row-id]`
  await page.locator(`${rows} textarea`).first().focus()
  await page.keyboard.press('Alt+ArrowDown')
  const down = await page.evaluate(() => ({ ctl: document.activeElement.dataset.ctl, row: [...document.activeElement.closest('tbody').children].indexOf(document.activeElement.closest('tr')) }))
  if (down.row !== 1 || !down.ctl?.startsWith('main:')) throw new Error(`Alt+↓ went to ${JSON.stringify(down)}`)
  let ctl = down.ctl
  for (let i = 0; i < 8 && ctl !== 'apne'; i++) {
    await page.keyboard.press('Alt+ArrowRight')
    ctl = await page.evaluate(() => document.activeElement.dataset.ctl)
  }
  if (ctl !== 'apne') throw new Error(`Alt+→ never reached the row's «Åpne» (at ${ctl})`)
  const openerRow = await page.evaluate(() => document.activeElement.closest('tr').dataset.rowId)
  await page.keyboard.press('Enter')
  const dialog = page.getByRole('dialog', { name: /^Tiltak \d+$/ })
  await dialog.waitFor({ timeout: WAIT })
  const panel = await page.evaluate(() => {
    const d = document.querySelector('dialog.rad-panel')
    const schema = JSON.parse(document.getElementById('plan-data').textContent).tiltak_schema
    return {
      modal: d.matches(':modal'),
      focusInside: d.contains(document.activeElement),
      fields: d.querySelectorAll('.rad-panel-felt > .felt').length,
      labels: [...d.querySelectorAll('.rad-panel-felt > .felt')].map((f) => (f.querySelector(':scope > label, :scope > .felt-navn')?.textContent || '')),
      want: schema.fields.map((f) => f.label),
      counters: [...d.querySelectorAll('.tegn:not([hidden])')].map((c) => c.textContent),
      limited: schema.fields.filter((f) => f.max_chars && ['text', 'long_text', 'deadline', 'number'].includes(f.type)).length
    }
  })
  if (!panel.modal || !panel.focusInside) throw new Error(`the row panel is not a modal with focus inside: ${JSON.stringify(panel)}`)
  if (JSON.stringify(panel.labels) !== JSON.stringify(panel.want)) throw new Error(`the row panel's fields ${JSON.stringify(panel.labels)}, not the template's ${JSON.stringify(panel.want)}`)
  if (panel.counters.length !== panel.limited || panel.counters.some((c) => !/^\d+ \/ \d+ tegn/.test(c))) throw new Error(`length counters: ${JSON.stringify(panel.counters)} for ${panel.limited} limited fields`)
  await shot(page, 'e-tiltak-panel-1366.png')
  await axeScan(page, 'the row panel at 1366×768')
  await page.keyboard.press('Escape')
  await waitFor(page, () => !document.querySelector('dialog.rad-panel')?.open, null, 'the row panel to close on Esc')
  const back = await page.evaluate(() => ({ ctl: document.activeElement.dataset.ctl, row: document.activeElement.closest('tr')?.dataset.rowId }))
  if (back.ctl !== 'apne' || back.row !== openerRow) throw new Error(`after Esc focus is on ${JSON.stringify(back)}`)
  // Alt+Enter from a text cell opens the same panel; Esc returns to that cell.
  await page.locator(`${rows} textarea`).first().focus()
  const cellCtl = await page.evaluate(() => document.activeElement.dataset.ctl)
  await page.keyboard.press('Alt+Enter')
  await dialog.waitFor({ timeout: WAIT })
  await page.keyboard.press('Escape')
  await waitFor(page, () => !document.querySelector('dialog.rad-panel')?.open, null, 'the row panel to close on Esc after Alt+Enter')
  const backToCell = await page.evaluate(() => document.activeElement.dataset.ctl)
  if (backToCell !== cellCtl) throw new Error(`after Alt+Enter and Esc focus is on ${backToCell}, not ${cellCtl}`)
  check(`keyboard: Alt+arrows between cells, Enter on «Åpne» or Alt+Enter in a cell opens the row panel (modal, ${panel.fields} labelled fields, ${panel.counters.length} counters), Esc returns focus`)

  // «Bred tabell»: the whole width, remembered.
  await page.locator(`${TILTAK} .bred-knapp`).click()
  const wide = await layoutOf()
  if (wide.table <= first.table || wide.share < 0.4) throw new Error(`«Bred tabell»: ${JSON.stringify(wide)} after ${JSON.stringify(first)}`)
  const remembered = await page.evaluate(() => localStorage.getItem('samskriv.tiltak.bred'))
  await page.locator(`${TILTAK} .bred-knapp`).click()
  summary.metrics.laptopTable.wideTable = wide.table
  check(`«Bred tabell» widens the table to ${wide.table} px and is remembered (${remembered})`)
  await context.close()
}

/** Target groups on the combined template: add, rename, reorder. */
async function targetGroups () {
  const created = await fetch(`${baseUrl}/api/plans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Handlingsplan for psykisk helse og rus', bydel: 'Nordstrand', periode: '2025–2028', template: 'handlingsplan-psykisk-helse-og-rus' })
  }).then((r) => r.json())
  const c = await openPerson('Kari Nordmann', 'NAV', `${baseUrl}/plans/${created.id}`, { preset: true })
  const page = c.page
  await page.getByLabel('Ny målgruppe').fill('Barn som pårørende')
  await page.getByRole('button', { name: 'Legg til målgruppe' }).click()
  const newSection = 'malgrupper.barn-som-parorende.utfordringsbilde'
  await page.locator(editorSel(newSection)).waitFor({ timeout: WAIT })
  await typeIn(page, newSection, 'Om barn som pårørende')
  await page.locator('.tiltak-editor[data-section-id="malgrupper.barn-som-parorende.nye-tiltak"]').waitFor({ timeout: WAIT })
  // Rename the first group and move the new one up.
  const first = page.getByLabel('Navn på målgruppe 1')
  await first.fill('Barn og ungdom')
  await first.blur()
  const last = page.locator('.malgruppe-liste li').last()
  await last.locator('button[data-ctl="opp"]').click()
  await page.waitForTimeout(500)
  const plan = await fetch(`${baseUrl}/api/plans/${created.id}`).then((r) => r.json())
  const groups = plan.target_groups.map((g) => `${g.id}:${g.name}`)
  const want = ['barn-og-unge:Barn og ungdom', 'unge-voksne:Unge voksne', 'voksne:Voksne', 'barn-som-parorende:Barn som pårørende', 'eldre:Eldre']
  if (JSON.stringify(groups) !== JSON.stringify(want)) throw new Error(`target groups on the server: ${JSON.stringify(groups)}`)
  const section = plan.sections.find((s) => s.id === newSection)
  if (!section || !JSON.stringify(section.blocks).includes('Om barn som pårørende')) throw new Error('the new group\'s prose is not on the server')
  const headings = await page.$$eval('section[data-section-kind="group"][data-target-group] h3', (hs) => hs.map((h) => h.textContent))
  if (headings[3] !== '4.4Barn som pårørende') throw new Error(`group headings: ${JSON.stringify(headings)}`)
  await page.locator('section[data-section-id="malgrupper"]').scrollIntoViewIfNeeded()
  await shot(page, 'c-malgrupper.png')
  check('target groups: add (slug id), rename, reorder; the new group gets its sections')
  await c.context.close()
}

/** 300 tiltak rows: time to render, and typing latency locally and to another page. */
async function threeHundredRows () {
  const created = await fetch(`${baseUrl}/api/plans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Stor plan', bydel: 'Nordstrand', periode: '2025–2028', template: 'korus-ruspolitisk-handlingsplan' })
  }).then((r) => r.json())
  const strategier = ['forebygging', 'tidlig_innsats', 'livskvalitet']
  const statuser = ['ikke_startet', 'pabegynt', 'gjennomfort']
  const rows = Array.from({ length: 300 }, (_, i) => ({
    strategi: strategier[i % 3],
    tiltak: `Tiltak nummer ${i + 1}: oppfølging av unge med begynnende rusproblemer i samarbeid med skolene`,
    innsatsomrade: 'Oppfølging',
    niva: 'gruppe',
    ansvarlig: ['NAV', 'Utekontakten', 'Helsestasjon'][i % 3],
    frist: '2026',
    status: statuser[i % 3],
    indikator: 'Antall unge som får oppfølging'
  }))
  const posted = await fetch(`${baseUrl}/api/plans/${created.id}/tiltak`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rows) })
  if (posted.status !== 201) throw new Error(`bulk import: ${posted.status} ${await posted.text()}`)
  const url = `${baseUrl}/plans/${created.id}`
  const t0 = Date.now()
  // SAMSKRIV_E2E_PROFILE=1: the first page's load is profiled into <outDir>/rows300.cpuprofile.
  const profile = process.env.SAMSKRIV_E2E_PROFILE ? 'rows300.cpuprofile' : null
  const c = await openPerson('Kari Nordmann', 'NAV', url, { preset: true, profile })
  const loadMs = Date.now() - t0
  const d = await openPerson('Ola Hansen', 'Utekontakten', url, { preset: true })
  const m = await c.page.evaluate(() => window.samskriv.metrics)
  const rendered = await c.page.$$eval(`${TILTAK} tr[data-row-id]:not(.tiltak-detaljer)`, (r) => r.length)
  if (rendered !== 300) throw new Error(`rendered ${rendered} rows, not 300`)
  // Typing in row 150: keydown to the next frame after the change, in the typing page.
  const cell = `${TILTAK} .tiltak-gruppe[data-group="tidlig_innsats"] tr[data-row-id]:nth-child(50) textarea`
  await c.page.locator(cell).scrollIntoViewIfNeeded()
  await c.page.locator(cell).click()
  await c.page.evaluate(() => {
    window.__lat = []
    window.__js = []
    document.addEventListener('keydown', () => {
      const t = performance.now()
      window.__t = t
      requestAnimationFrame(() => setTimeout(() => window.__lat.push(performance.now() - t), 0))
    }, true)
    // Runs after the cell's own input handler: keydown to the Y.Text change and its observers.
    window.addEventListener('input', () => window.__js.push(performance.now() - window.__t))
  })
  await c.page.keyboard.press('Control+End')
  // The renderer's own accounting (script, layout) over the typing: steadier than wall time on a
  // busy machine.
  const cdp = await c.page.context().newCDPSession(c.page)
  await cdp.send('Performance.enable')
  const perf = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]))
  const perf0 = await perf()
  const typed = ' ekstra tekst'
  const before = await c.page.$eval(cell, (el) => el.value)
  const tType = Date.now()
  await c.page.keyboard.type(typed, { delay: 30 })
  await waitFor(d.page, ([sel, want]) => document.querySelector(sel)?.value === want, [cell, before + typed], 'the typed text in the other page')
  const remoteMs = Date.now() - tType - typed.length * 30
  const perf1 = await perf()
  const perKey = (name) => +((perf1[name] - perf0[name]) * 1000 / typed.length).toFixed(2)
  const lat = await c.page.evaluate(() => window.__lat)
  lat.sort((x, y) => x - y)
  const js = await c.page.evaluate(() => window.__js)
  js.sort((x, y) => x - y)
  // A single remote keystroke: from D's keypress to C's textarea showing it.
  await d.page.locator(cell).click()
  await d.page.keyboard.press('Control+End')
  const single = await Promise.all([
    c.page.evaluate(([sel]) => new Promise((resolve) => {
      const el = document.querySelector(sel)
      const start = performance.now()
      const t = setInterval(() => { if (el.value.endsWith('!')) { clearInterval(t); resolve(performance.now() - start) } }, 1)
    }), [cell]),
    d.page.keyboard.press('!')
  ])
  summary.metrics.rows300 = {
    pageLoadToEditorReadyMs: loadMs,
    tiltakFirstRenderMs: Math.round(m.tiltakRenderMs),
    allEditorsMountMs: Math.round(m.mountMs),
    scriptStartToReadyMs: Math.round(m.readyMs),
    keystrokeToNextFrameMs: { median: +lat[Math.floor(lat.length / 2)].toFixed(1), max: +lat[lat.length - 1].toFixed(1), samples: lat.length },
    keystrokeScriptMs: { median: +js[Math.floor(js.length / 2)].toFixed(1), max: +js[js.length - 1].toFixed(1) },
    rendererPerKeystrokeMs: { script: perKey('ScriptDuration'), layout: perKey('LayoutDuration'), style: perKey('RecalcStyleDuration'), task: perKey('TaskDuration') },
    domNodes: perf1.Nodes,
    typedTextAtOtherPageMsAfterLastKey: Math.max(0, remoteMs),
    oneKeystrokeToOtherPageMs: Math.round(single[0])
  }
  await shot(c.page, 'd-300-rader.png')
  check(`300 rows: first render ${Math.round(m.tiltakRenderMs)} ms, keystroke median ${summary.metrics.rows300.keystrokeToNextFrameMs.median} ms`)
  await c.context.close()
  await d.context.close()
}

await finish(run)

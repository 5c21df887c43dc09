// End-to-end test of suggestions in Samskriv's browser editor, in real headless Chromium
// (Debian's package, driven by playwright-core).
//
//   SAMSKRIV_E2E_ADVISER=email:password SAMSKRIV_E2E_EDITOR=email:password \
//     node tests/e2e/suggestions.mjs <baseUrl> <planId> <outDir>
//
// An editor writes a sentence; a KoRus adviser selects words of it with the keyboard, presses
// «Foreslå endring» and proposes a rewording. The editor sees the proposal live and inline (the
// old words struck through in <del>, the new ones in <ins>, each with hidden words saying so) and
// in the comments panel with its author, discusses it in a comment thread and accepts it; both
// see the new text. The adviser also proposes a new title for the plan's tiltak row (which the
// Rust test adds) from the panel's «Foreslå endring i et tiltak», and a new tiltak (a title and
// a status) from «Foreslå nytt tiltak», whose refusal by the server (too long a deadline) names
// the field in bokmål; the editor accepts the new row and both tables have it. An axe-core scan
// (WCAG 2.1 A/AA) of both pages finds nothing. The last line of standard output is a JSON summary
// (`checks`, `suggestion_id`); the exit code is 0 only when everything held.

import { credentials, scenarioArgs, setUp, WAIT, waitFor } from './harness.mjs'

const { baseUrl, planId, outDir } = scenarioArgs('node tests/e2e/suggestions.mjs <baseUrl> <planId> <outDir> (with SAMSKRIV_E2E_ADVISER and SAMSKRIV_E2E_EDITOR)')

const ADVISER = credentials('SAMSKRIV_E2E_ADVISER')
const EDITOR = credentials('SAMSKRIV_E2E_EDITOR')

const { summary, check, newContext, watchErrors, shot, axeScan, finish } = await setUp({ outDir, summary: { suggestion_id: null } })

const TEXT = {
  sentence: 'Vi skal nå unge i hele bydelen.',
  old: 'hele bydelen',
  proposed: 'alle delene av bydelen',
  after: 'Vi skal nå unge i alle delene av bydelen.',
  question: 'Gjelder dette også Nordstrand?',
  row: 'Foreldremøter om alkohol',
  rowProposed: 'Foreldremøter om alkohol og snus',
  newRow: 'Kurs for trenere i idrettslag',
  newRowCard: 'Nytt tiltak – Tiltak: Kurs for trenere i idrettslag; Status: Påbegynt'
}

const planUrl = `${baseUrl}/plans/${planId}`
const editorSel = (section) => `.prosa-innhold[data-section-id="${section}"]`
/** Refusals the scenario asks for on purpose (each one's console error is expected once). */
const expected = { refusals: 0 }

/** Whether the plan's tiltak table shows a row with `want` as its text (a cell or a field). */
const tableHas = (want) => [...document.querySelectorAll('.tiltak-tabell tbody tr')]
  .some((tr) => tr.textContent.includes(want) || [...tr.querySelectorAll('textarea, input')].some((el) => el.value === want))
/** An element's text without the remote cursors' name labels and the hidden helper words. */
const plain = (el) => {
  if (!el) return null
  const copy = el.cloneNode(true)
  for (const widget of copy.querySelectorAll('.ProseMirror-yjs-cursor, .skjult')) widget.remove()
  return copy.textContent
}

async function signIn (label, { email, password }) {
  const context = await newContext({ viewport: { width: 1366, height: 900 }, locale: 'nb-NO', timezoneId: 'Europe/Oslo' })
  await context.addInitScript(`window.__plain = ${plain.toString()}`)
  const page = await context.newPage()
  watchErrors(page, label, { test: (text) => /favicon|404/.test(text) || (/status of 422/.test(text) && expected.refusals > 0 && expected.refusals-- > 0) })
  await page.goto(`${baseUrl}/login`)
  await page.locator('#email').fill(email)
  await page.locator('#password').fill(password)
  await Promise.all([
    page.waitForURL((url) => new URL(url).pathname === '/', { timeout: WAIT }),
    page.getByRole('button', { name: 'Logg inn' }).click()
  ])
  await page.goto(planUrl)
  const data = await page.evaluate(() => JSON.parse(document.getElementById('plan-data').textContent))
  await page.evaluate(() => window.samskriv.ready)
  await waitFor(page, () => window.samskriv.provider.synced, null, `${label}'s first sync`)
  if (await page.locator('#kommentarer').isHidden()) await page.locator('.kommentar-bryter').click()
  await page.locator('#kommentarer').waitFor({ state: 'visible', timeout: WAIT })
  return { context, page, label, data }
}

async function run () {
  const editor = await signIn('the editor', EDITOR)
  const adviser = await signIn('the adviser', ADVISER)
  summary.metrics.roles = { editor: editor.data.role, adviser: adviser.data.role }
  if (adviser.data.can_edit) throw new Error('the adviser may edit: the scenario needs an adviser who may not')

  // The editor writes a sentence; the adviser sees it live.
  const section = await editor.page.locator('.prosa-innhold').first().getAttribute('data-section-id')
  await editor.page.locator(editorSel(section)).click()
  await editor.page.keyboard.press('Control+End')
  const empty = await editor.page.$eval(editorSel(section), (el) => window.__plain(el).trim() === '')
  if (!empty) await editor.page.keyboard.press('Enter')
  await editor.page.keyboard.type(TEXT.sentence)
  await waitFor(adviser.page, ([sel, want]) => window.__plain(document.querySelector(sel))?.includes(want), [editorSel(section), TEXT.sentence], 'the sentence in the adviser\'s page')
  check('the editor\'s sentence appears live for the adviser')

  // The adviser selects «hele bydelen» with the keyboard and proposes new words.
  await adviser.page.locator(editorSel(section)).click()
  await adviser.page.keyboard.press('Control+End')
  await adviser.page.keyboard.press('ArrowLeft') // before the full stop
  for (let i = 0; i < TEXT.old.length; i++) {
    await adviser.page.keyboard.press('Shift+ArrowLeft')
    await adviser.page.waitForTimeout(20)
  }
  const selected = await adviser.page.evaluate((s) => {
    const view = window.samskriv.comments.views.get(s)
    const { from, to } = view.state.selection
    return view.state.doc.textBetween(from, to)
  }, section)
  if (selected !== TEXT.old) throw new Error(`the adviser selected "${selected}"`)
  await adviser.page.locator(`section[data-section-id="${section}"] button.foresla`).click()
  const field = adviser.page.getByLabel('Ny tekst', { exact: true })
  await field.waitFor({ state: 'visible', timeout: WAIT })
  if (await field.inputValue() !== TEXT.old) throw new Error(`the form starts from "${await field.inputValue()}"`)
  await field.fill(TEXT.proposed)
  await adviser.page.getByRole('button', { name: 'Send forslag' }).click()
  const item = '#kommentarer .forslag-trad'
  await waitFor(adviser.page, (sel) => document.querySelector(sel) !== null, item, 'the suggestion in the adviser\'s panel')
  summary.suggestion_id = await adviser.page.$eval(item, (el) => el.dataset.suggestionId)
  summary.row_suggestion = TEXT.rowProposed
  await waitFor(adviser.page, ([sel, want]) => [...document.querySelectorAll(`${sel} ins.forslag-innsatt`)].some((el) => window.__plain(el) === want), [editorSel(section), TEXT.proposed], 'the proposal inline in the adviser\'s text')
  const unchanged = await adviser.page.$eval(editorSel(section), (el, old) => {
    const copy = el.cloneNode(true)
    for (const ins of copy.querySelectorAll('ins')) ins.remove()
    return window.__plain(copy).includes(old)
  }, TEXT.sentence)
  if (!unchanged) throw new Error('the adviser\'s suggestion changed the text itself')
  check('the adviser selects words, presses «Foreslå endring» and sends a rewording; the text itself is unchanged')

  // The adviser proposes a new title for the plan's tiltak from the panel.
  await adviser.page.locator('.tiltak-forslag-boks summary').click()
  await adviser.page.getByLabel('Tiltaket det gjelder', { exact: true }).selectOption({ index: 0 })
  await adviser.page.getByLabel('Felt', { exact: true }).selectOption({ label: 'Tiltak' })
  const value = adviser.page.getByLabel('Ny verdi', { exact: true })
  if (await value.inputValue() !== TEXT.row) throw new Error(`the value starts from "${await value.inputValue()}"`)
  await value.fill(TEXT.rowProposed)
  await adviser.page.getByRole('button', { name: 'Send forslag om tiltaket' }).click()
  await waitFor(adviser.page, (want) => [...document.querySelectorAll('#kommentarer .forslag-trad')].some((el) => el.textContent.includes(want)), `Tiltak: «${TEXT.row}» blir «${TEXT.rowProposed}»`, 'the tiltak suggestion in the adviser\'s panel')
  check('the adviser proposes a new value for a tiltak field from the panel')

  // The adviser proposes a new tiltak from «Foreslå nytt tiltak»: a title and a status.
  const newRowBox = adviser.page.locator('.nytt-tiltak-boks')
  await newRowBox.locator('summary').click()
  const newRowSend = newRowBox.getByRole('button', { name: 'Send forslag om nytt tiltak' })
  await newRowSend.click()
  await waitFor(adviser.page, () => document.querySelector('.nytt-tiltak-boks [role="alert"]')?.textContent.includes('Fyll ut minst ett felt'), null, 'the empty new tiltak refused in words')
  const deadline = newRowBox.getByLabel('Frist', { exact: true })
  await deadline.fill('2'.repeat(101))
  expected.refusals = 1
  await newRowSend.click()
  await waitFor(adviser.page, () => document.querySelector('.nytt-tiltak-boks [role="alert"]')?.textContent.includes('«Frist» er for langt: høyst 100 tegn'), null, 'the server\'s refusal naming «Frist» in bokmål')
  const onDeadline = await adviser.page.evaluate(() => document.activeElement?.labels?.[0]?.textContent === 'Frist' && document.activeElement.getAttribute('aria-invalid') === 'true')
  if (!onDeadline) throw new Error('focus is not on the refused field')
  check('«Foreslå nytt tiltak» says when nothing is filled in; a field the server refuses is named in bokmål in the alert and gets focus')
  await deadline.fill('')
  await newRowBox.getByLabel('Tiltak', { exact: true }).fill(TEXT.newRow)
  await newRowBox.getByLabel('Status', { exact: true }).selectOption({ label: 'Påbegynt' })
  // On a phone (390 px) the form fits the screen: no control reaches past its right edge.
  await adviser.page.setViewportSize({ width: 390, height: 844 })
  await newRowBox.scrollIntoViewIfNeeded()
  await shot(adviser.page, 'radgiver-nytt-tiltak-390.png')
  const overflow = await newRowBox.evaluate((box) => [box, ...box.querySelectorAll('input, select, textarea, label, button, fieldset')]
    .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map((el) => `${el.tagName} ${el.id || el.textContent.slice(0, 30)} ${Math.round(el.getBoundingClientRect().right)}`))
  await adviser.page.setViewportSize({ width: 1366, height: 900 })
  if (overflow.length) throw new Error(`«Foreslå nytt tiltak» is wider than a 390 px screen: ${overflow.join('; ')}`)
  await axeScan(adviser.page, 'the adviser\'s form for a new tiltak')
  await newRowSend.click()
  await waitFor(adviser.page, (want) => document.activeElement?.classList.contains('forslag-trad') && document.activeElement.textContent.includes(want), TEXT.newRowCard, 'focus on the new tiltak suggestion in the adviser\'s panel')
  if (await newRowBox.evaluate((el) => el.open)) throw new Error('«Foreslå nytt tiltak» stayed open')
  check('the adviser proposes a new tiltak (title and status only); it shows in the panel as «Nytt tiltak – …» and takes focus')
  await shot(adviser.page, 'radgiver-forslag.png')
  await axeScan(adviser.page, 'the adviser\'s page with a suggestion')

  // The editor sees it live: inline (struck through and inserted, in words too) and in the panel.
  await waitFor(editor.page, ([sel, want]) => [...document.querySelectorAll(`${sel} ins.forslag-innsatt`)].some((el) => window.__plain(el) === want), [editorSel(section), TEXT.proposed], 'the proposal inline in the editor\'s text')
  const struck = await editor.page.$$eval(`${editorSel(section)} del.forslag-slettet`, (els) => els.map((el) => window.__plain(el)).join(''))
  if (struck !== TEXT.old) throw new Error(`struck through: "${struck}"`)
  const said = await editor.page.$eval(`${editorSel(section)} ins.forslag-innsatt .skjult`, (el) => el.textContent)
  if (!/Forslag fra .*settes inn/.test(said)) throw new Error(`the inserted words are not named in words: "${said}"`)
  const card = await editor.page.locator(item).first().textContent()
  if (!card.includes(adviser.data.me.name)) throw new Error(`the suggestion does not name its author: "${card}"`)
  if (!card.includes(`Erstatt «${TEXT.old}» med «${TEXT.proposed}»`)) throw new Error(`the suggestion reads "${card}"`)
  await waitFor(editor.page, (want) => [...document.querySelectorAll('#kommentarer .forslag-trad')].some((el) => el.textContent.includes(want)), `Tiltak: «${TEXT.row}» blir «${TEXT.rowProposed}»`, 'the tiltak suggestion in the editor\'s panel')
  await waitFor(editor.page, (want) => [...document.querySelectorAll('#kommentarer .forslag-trad')].some((el) => el.textContent.includes(want)), TEXT.newRowCard, 'the new tiltak suggestion in the editor\'s panel')
  check('the editor sees the suggestions live, inline (<del>/<ins> with hidden words) and in the panel with their author')
  // The row the tiltak suggestion is for is marked in the table, in words; the marker leads to it.
  await waitFor(editor.page, () => [...document.querySelectorAll('.tiltak-tabell button.forslag-merke')].some((b) => !b.hidden && b.textContent.startsWith('1 forslag')), null, 'the tiltak suggestion marked on its row')
  await editor.page.locator('.tiltak-tabell button.forslag-merke:not([hidden])').first().click()
  await waitFor(editor.page, (want) => document.activeElement?.classList.contains('forslag-trad') && document.activeElement.textContent.includes(want), `blir «${TEXT.rowProposed}»`, 'focus on the row\'s suggestion in the panel')
  check('the row with a tiltak suggestion is marked in the table («1 forslag»); its marker moves focus to the suggestion in the panel')
  await shot(editor.page, 'redaktor-forslag.png')
  await axeScan(editor.page, 'the editor\'s page with a suggestion')

  // The editor asks about it in a comment thread on the same words.
  await editor.page.locator(item).first().getByRole('button', { name: /^Diskuter/ }).click()
  await editor.page.getByLabel('Kommentar', { exact: true }).fill(TEXT.question)
  await editor.page.getByRole('button', { name: 'Send kommentar' }).click()
  await waitFor(adviser.page, (q) => [...document.querySelectorAll('#kommentarer .trad')].some((el) => el.textContent.includes(q)), TEXT.question, 'the question about the suggestion in the adviser\'s panel')
  check('the editor discusses the suggestion in a comment thread on the same words; the adviser sees it live')

  // The editor accepts it: both see the new text; the suggestion leaves the panel.
  await editor.page.locator(item).first().getByRole('button', { name: /^Godta/ }).click()
  for (const p of [editor, adviser]) {
    await waitFor(p.page, ([sel, want]) => window.__plain(document.querySelector(sel))?.includes(want) && !document.querySelector(`${sel} ins.forslag-innsatt`), [editorSel(section), TEXT.after], `the accepted text in ${p.label}'s page`)
    await waitFor(p.page, (sel) => document.querySelectorAll(sel).length === 2, item, `the accepted suggestion gone from ${p.label}'s panel`)
  }
  check('the editor accepts it; both see the new text live and the suggestion leaves the panel')

  // The editor accepts the new tiltak: both tables have the row, with the proposed status.
  await editor.page.locator(item).filter({ hasText: TEXT.newRowCard }).getByRole('button', { name: /^Godta/ }).click()
  for (const p of [editor, adviser]) {
    await waitFor(p.page, tableHas, TEXT.newRow, `the new tiltak in ${p.label}'s table`)
    await waitFor(p.page, (sel) => document.querySelectorAll(sel).length === 1, item, `the accepted new tiltak gone from ${p.label}'s panel`)
    const status = await p.page.evaluate((want) => {
      const row = window.samskriv.doc.getArray('tiltak').toArray().find((m) => String(m.get('tiltak') ?? '') === want)
      return row ? [row.get('status'), row.get('frist') ?? null] : null
    }, TEXT.newRow)
    if (!status || status[0] !== 'pabegynt' || (status[1] != null && String(status[1]) !== '')) throw new Error(`the new row in ${p.label}'s page: ${JSON.stringify(status)}`)
  }
  summary.new_row = TEXT.newRow
  check('the editor accepts the new tiltak; both tables have the row (title and status as proposed, nothing else)')
  await shot(editor.page, 'redaktor-godtatt.png')
  await axeScan(editor.page, 'the editor\'s page after accepting')
}

await finish(run)

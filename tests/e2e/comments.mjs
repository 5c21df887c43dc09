// End-to-end test of comment threads in Samskriv's browser editor, in real headless Chromium
// (Debian's package, driven by playwright-core; no browser is downloaded).
//
//   SAMSKRIV_E2E_ADVISER=email:password SAMSKRIV_E2E_EDITOR=email:password \
//     node tests/e2e/comments.mjs <baseUrl> <planId> <outDir>
//
// Two people sign in (two browser contexts) and open one plan: an editor and a KoRus adviser who
// may comment but not edit. The editor writes a sentence; the adviser sees it live, selects words
// of it with the mouse, presses «Kommenter» and asks a question. The editor sees the thread arrive
// live in the «Kommentarer» panel (announced politely) and the words highlighted; typing before
// them keeps the highlight on the same words. The editor replies and resolves the thread, and the
// adviser sees the reply and the resolution live. Also: the adviser's editor refuses typing but
// selects with the keyboard (Shift+arrows, Ctrl+Alt+M), a tiltak row is commented and marked,
// and an axe-core scan (WCAG 2.1 A/AA) of both pages with the panel open finds nothing.
// Screenshots go to <outDir>. The last line of standard output is a JSON summary (`checks`,
// `thread_id`); the exit code is 0 only when everything held.

import { credentials, scenarioArgs, setUp, WAIT, waitFor } from './harness.mjs'

const { baseUrl, planId, outDir } = scenarioArgs('node tests/e2e/comments.mjs <baseUrl> <planId> <outDir> (with SAMSKRIV_E2E_ADVISER and SAMSKRIV_E2E_EDITOR)')

const ADVISER = credentials('SAMSKRIV_E2E_ADVISER')
const EDITOR = credentials('SAMSKRIV_E2E_EDITOR')

const { summary, check, newContext, watchErrors, shot, axeScan, finish } = await setUp({ outDir, summary: { thread_id: null } })

/** Text the test writes; the Rust test may look for it through the API. */
export const TEXT = {
  sentence: 'Ungdomsundersøkelsen viser økt bruk av snus.',
  words: 'økt bruk av snus',
  question: 'Hvilken kilde bygger dette på?',
  prefix: 'Ifølge Ungdata 2024: ',
  inside: 'tydelig ',
  reply: 'Ungdata-undersøkelsen fra 2024, side 12.',
  rowQuestion: 'Hvem følger opp dette tiltaket?',
  newRow: 'Foreldremøter om snus på ungdomsskolene'
}

const planUrl = `${baseUrl}/plans/${planId}`

async function signIn (label, { email, password }) {
  const context = await newContext({ viewport: { width: 1280, height: 900 }, locale: 'nb-NO', timezoneId: 'Europe/Oslo' })
  // Text as a reader sees it: without the remote cursors' name labels.
  await context.addInitScript(() => {
    window.__plain = (el) => {
      if (!el) return null
      const copy = el.cloneNode(true)
      for (const widget of copy.querySelectorAll('.ProseMirror-yjs-cursor')) widget.remove()
      return copy.textContent
    }
  })
  const page = await context.newPage()
  watchErrors(page, label, /favicon|404/)
  await page.goto(`${baseUrl}/login`)
  await axeScan(page, 'the login page')
  await page.locator('#email').fill(email)
  await page.locator('#password').fill(password)
  await Promise.all([
    page.waitForURL((url) => new URL(url).pathname === '/', { timeout: WAIT }).catch(() => {
      throw new Error(`${label} (${email}) was not signed in: after «Logg inn» the page is ${page.url()}`)
    }),
    page.getByRole('button', { name: 'Logg inn' }).click()
  ])
  await page.goto(planUrl)
  const data = await page.evaluate(() => JSON.parse(document.getElementById('plan-data').textContent))
  if (!data.me || data.me.id === 'anonymous') throw new Error(`${label}: the plan page does not know who is signed in (me = ${JSON.stringify(data.me)})`)
  if (!data.can_comment) throw new Error(`${label} (${data.role}) may not comment on the plan (can_comment is false)`)
  await page.evaluate(() => window.samskriv.ready)
  await waitFor(page, () => window.samskriv.provider.synced, null, `${label}'s first sync`)
  return { context, page, label, data }
}

const editorSel = (section) => `.prosa-innhold[data-section-id="${section}"]`
const threadSel = (id) => `#kommentarer .trad[data-thread-id="${id}"]`

/** The text under the highlight of thread `id` in a section. */
function highlighted (page, section, id) {
  return page.evaluate(([sel, id]) => [...document.querySelectorAll(`${sel} .kommentar-anker[data-thread-id="${id}"]`)].map((el) => window.__plain(el)).join(''), [editorSel(section), id])
}

/**
 * Viewport points just inside the first and last character of `words` in the editor (its last
 * occurrence: the sentence is added at the end).
 */
async function wordPoints (page, section, words) {
  await page.locator(editorSel(section)).scrollIntoViewIfNeeded()
  return page.evaluate(([sel, words]) => {
    const root = document.querySelector(sel)
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
    const nodes = []
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node)
    for (const node of nodes.reverse()) {
      const i = node.data.lastIndexOf(words)
      if (i < 0) continue
      node.parentElement.scrollIntoView({ block: 'center' })
      const range = document.createRange()
      range.setStart(node, i)
      range.setEnd(node, i + 1)
      const a = range.getBoundingClientRect()
      range.setStart(node, i + words.length - 1)
      range.setEnd(node, i + words.length)
      const b = range.getBoundingClientRect()
      return { x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2 }
    }
    return null
  }, [editorSel(section), words])
}

function selectionText (page, section) {
  return page.evaluate((s) => {
    const view = window.samskriv.comments.views.get(s)
    const { from, to } = view.state.selection
    return view.state.doc.textBetween(from, to, '\n')
  }, section)
}

async function openPanel (page) {
  if (await page.locator('#kommentarer').isHidden()) await page.locator('.kommentar-bryter').click()
  await page.locator('#kommentarer').waitFor({ state: 'visible', timeout: WAIT })
}

async function run () {
  const editor = await signIn('the editor', EDITOR)
  const adviser = await signIn('the adviser', ADVISER)
  summary.metrics.roles = { editor: editor.data.role, adviser: adviser.data.role }
  check(`both sign in and open the plan (${editor.data.role}, ${adviser.data.role}); neither is asked for a name`)
  for (const p of [editor, adviser]) {
    if (await p.page.getByRole('dialog', { name: 'Hvem er du?' }).isVisible()) throw new Error(`${p.label} was asked for a name although signed in`)
    await openPanel(p.page)
  }
  check('the «Kommentarer» panel opens')

  // The editor writes a sentence in the first prose section; the adviser sees it live.
  const section = await editor.page.locator('.prosa-innhold').first().getAttribute('data-section-id')
  summary.metrics.section = section
  await editor.page.locator(editorSel(section)).click()
  await editor.page.keyboard.press('Control+End')
  const empty = await editor.page.$eval(editorSel(section), (el) => window.__plain(el).trim() === '')
  if (!empty) await editor.page.keyboard.press('Enter')
  await editor.page.keyboard.type(TEXT.sentence)
  await waitFor(adviser.page, ([sel, want]) => window.__plain(document.querySelector(sel))?.includes(want), [editorSel(section), TEXT.sentence], 'the sentence in the adviser\'s page')
  check('the editor\'s sentence appears live for the adviser')

  // The adviser's editor refuses typing (when the adviser may not edit) but takes a selection.
  if (!adviser.data.can_edit) {
    const before = await adviser.page.$eval(editorSel(section), (el) => window.__plain(el))
    await adviser.page.locator(editorSel(section)).click()
    await adviser.page.keyboard.press('Control+End')
    await adviser.page.keyboard.type('xyz')
    await adviser.page.keyboard.press('Enter')
    await adviser.page.keyboard.press('Backspace')
    await adviser.page.waitForTimeout(300)
    const after = await adviser.page.$eval(editorSel(section), (el) => window.__plain(el))
    if (after !== before) throw new Error(`the adviser changed the text: "${after}"`)
    const hint = await adviser.page.locator(`section[data-section-id="${section}"] .kommenter-hjelp`).textContent()
    if (!/ikke endre teksten/.test(hint)) throw new Error(`no hint that the text cannot be changed: "${hint}"`)
    // Keyboard: Shift+arrows select from the caret; Ctrl+Alt+M opens the comment form.
    for (let i = 0; i < 4; i++) {
      await adviser.page.keyboard.press('Shift+ArrowLeft')
      await adviser.page.waitForTimeout(30) // at a person's pace: each selection change is read before the next
    }
    const keyboardSelection = await selectionText(adviser.page, section)
    if (keyboardSelection !== 'nus.') throw new Error(`keyboard selection in the adviser's editor is "${keyboardSelection}"`)
    await adviser.page.keyboard.press('Control+Alt+M')
    const composerArea = adviser.page.getByLabel('Kommentar', { exact: true })
    await composerArea.waitFor({ state: 'visible', timeout: WAIT })
    if (!await composerArea.evaluate((el) => el === document.activeElement)) throw new Error('Ctrl+Alt+M did not put focus in the comment field')
    await adviser.page.keyboard.press('Escape')
    await composerArea.waitFor({ state: 'hidden', timeout: WAIT })
    const back = await adviser.page.evaluate((sel) => document.activeElement === document.querySelector(sel), editorSel(section))
    if (!back) throw new Error('Escape did not return focus to the text')
    check('the adviser cannot change the text, but selects with Shift+arrows and opens the form with Ctrl+Alt+M (Escape closes it)')
  }

  // The adviser selects the words with the mouse and comments on them.
  const points = await wordPoints(adviser.page, section, TEXT.words)
  if (!points) throw new Error('the words are not in the adviser\'s editor')
  await adviser.page.mouse.move(points.x1, points.y1)
  await adviser.page.mouse.down()
  await adviser.page.mouse.move(points.x2, points.y2, { steps: 8 })
  await adviser.page.mouse.up()
  await waitFor(adviser.page, ([s, want]) => {
    const view = window.samskriv.comments.views.get(s)
    const { from, to } = view.state.selection
    return view.state.doc.textBetween(from, to) === want
  }, [section, TEXT.words], 'the mouse selection of the words').catch(async (error) => {
    throw new Error(`${error.message}; selected "${await selectionText(adviser.page, section)}"`)
  })
  const button = adviser.page.locator(`section[data-section-id="${section}"] button.kommenter`)
  await waitFor(adviser.page, (s) => document.querySelector(`section[data-section-id="${s}"] button.kommenter`)?.getAttribute('aria-disabled') === 'false', section, 'the «Kommenter» button to be enabled')
  await button.click()
  await adviser.page.getByLabel('Kommentar', { exact: true }).fill(TEXT.question)
  const quote = await adviser.page.locator('#ny-kommentar-sitat').textContent()
  if (quote !== `«${TEXT.words}»`) throw new Error(`the form quotes "${quote}"`)
  await adviser.page.locator(editorSel(section)).scrollIntoViewIfNeeded()
  await shot(adviser.page, 'radgiver-ny-kommentar.png')
  const known = await adviser.page.evaluate(() => window.samskriv.comments.store.list().map((t) => t.id))
  await adviser.page.getByRole('button', { name: 'Send kommentar' }).click()
  await waitFor(adviser.page, ([words, known]) => [...document.querySelectorAll('#kommentarer .trad')]
    .some((el) => !known.includes(el.dataset.threadId) && el.querySelector('.trad-tittel').textContent === `«${words}»`),
  [TEXT.words, known], 'the new thread in the adviser\'s panel')
  const threadId = await adviser.page.evaluate(([words, known]) => [...document.querySelectorAll('#kommentarer .trad')]
    .find((el) => !known.includes(el.dataset.threadId) && el.querySelector('.trad-tittel').textContent === `«${words}»`).dataset.threadId,
  [TEXT.words, known])
  summary.thread_id = threadId
  const focusOnThread = await adviser.page.evaluate((id) => document.activeElement?.dataset.threadId === id, threadId)
  if (!focusOnThread) throw new Error('focus did not move to the new thread')
  check('the adviser selects words with the mouse, presses «Kommenter», writes and sends a comment')

  // The editor sees the thread live, announced, with the words highlighted.
  await waitFor(editor.page, ([sel, q]) => document.querySelector(sel)?.textContent.includes(q), [threadSel(threadId), TEXT.question], 'the thread in the editor\'s panel')
  const card = await editor.page.locator(threadSel(threadId)).textContent()
  const adviserName = adviser.data.me.name
  if (!card.includes(adviserName)) throw new Error(`the thread does not name its author ${adviserName}: "${card}"`)
  if (adviser.data.me.unit && !card.includes(`(${adviser.data.me.unit})`)) throw new Error(`the thread does not name the author's unit: "${card}"`)
  await waitFor(editor.page, ([sel, id, want]) => [...document.querySelectorAll(`${sel} .kommentar-anker[data-thread-id="${id}"]`)].map((el) => window.__plain(el)).join('') === want,
    [editorSel(section), threadId, TEXT.words], 'the highlight in the editor\'s text')
  await waitFor(editor.page, (name) => document.getElementById('kommentar-varsel')?.textContent.startsWith(`Ny kommentar fra ${name}`), adviserName, 'the polite announcement of the new thread')
  const live = await editor.page.$eval('#kommentar-varsel', (el) => el.getAttribute('aria-live'))
  if (live !== 'polite') throw new Error(`the announcement region is aria-live="${live}"`)
  check('the editor sees the thread live in the panel (author, unit), announced politely, and the words highlighted')

  // Highlight contrast as drawn: text colour on the highlight's background.
  const contrast = await editor.page.$eval(`${editorSel(section)} .kommentar-anker`, (el) => {
    const rgb = (s) => s.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number)
    const lum = ([r, g, b]) => [r, g, b].map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0)
    const style = getComputedStyle(el)
    const [x, y] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))].sort((a, b) => b - a)
    return (x + 0.05) / (y + 0.05)
  })
  summary.metrics.highlightContrast = +contrast.toFixed(2)
  if (contrast < 4.5) throw new Error(`highlighted text contrast is ${contrast.toFixed(2)}:1`)

  // The editor types before the highlighted words (at the paragraph's start, and right before
  // the words): the highlight keeps covering exactly the same words, in both pages.
  // (The highlight splits the sentence's text: find its first word.)
  const start = await wordPoints(editor.page, section, TEXT.sentence.split(' ')[0])
  await editor.page.mouse.click(start.x1 - 1, start.y1)
  await editor.page.keyboard.press('Home')
  await editor.page.keyboard.type(TEXT.prefix)
  for (let i = 0; i < TEXT.sentence.indexOf(TEXT.words); i++) await editor.page.keyboard.press('ArrowRight')
  await editor.page.keyboard.type(TEXT.inside)
  const expected = TEXT.prefix + TEXT.sentence.replace(TEXT.words, TEXT.inside + TEXT.words)
  for (const p of [editor, adviser]) {
    await waitFor(p.page, ([sel, want]) => window.__plain(document.querySelector(sel))?.includes(want), [editorSel(section), expected], `the new text in ${p.label}'s page`)
      .catch(async (error) => { throw new Error(`${error.message}; it reads "${await p.page.$eval(editorSel(section), (el) => window.__plain(el))}"`) })
    await editor.page.waitForTimeout(100)
    const covered = await highlighted(p.page, section, threadId)
    if (covered !== TEXT.words) throw new Error(`after typing before it, ${p.label}'s highlight covers "${covered}"`)
  }
  check('text typed before the highlighted words (and right before them) leaves the highlight on the same words, in both pages')

  // Clicking the highlight selects its thread in the panel.
  await editor.page.locator(`${editorSel(section)} .kommentar-anker[data-thread-id="${threadId}"]`).first().click()
  await waitFor(editor.page, (sel) => document.querySelector(sel)?.getAttribute('aria-current') === 'true', threadSel(threadId), 'the clicked thread to be selected')
  const strong = await editor.page.$$eval(`${editorSel(section)} .kommentar-anker.valgt[data-thread-id="${threadId}"]`, (els) => els.length)
  if (!strong) throw new Error('the selected thread\'s highlight is not stronger')
  check('clicking a highlight selects its thread in the panel (stronger highlight)')
  await shot(editor.page, 'redaktor-markering.png')

  // The adviser shows all threads; the editor replies and resolves; the adviser sees it live.
  await adviser.page.locator('#kommentar-status').selectOption('all')
  const thread = editor.page.locator(threadSel(threadId))
  await thread.getByLabel('Svar').fill(TEXT.reply)
  await thread.getByRole('button', { name: 'Send svar' }).click()
  await waitFor(adviser.page, ([sel, want]) => document.querySelector(sel)?.textContent.includes(want), [threadSel(threadId), TEXT.reply], 'the reply in the adviser\'s panel')
  check('the editor\'s reply appears live in the adviser\'s panel')
  const resolve = thread.getByRole('button', { name: 'Løs', exact: true })
  if (await resolve.count() === 0) {
    throw new Error(`the editor (${editor.data.role}, can_moderate ${editor.data.can_moderate}) has no «Løs» button on the adviser's thread: ` +
      'only coordinators (can_moderate) and the thread\'s author may resolve it, so SAMSKRIV_E2E_EDITOR must be a coordinator of the plan')
  }
  await resolve.click()
  await waitFor(adviser.page, (sel) => document.querySelector(sel)?.dataset.status === 'resolved', threadSel(threadId), 'the resolved thread in the adviser\'s panel')
  const resolvedText = await adviser.page.locator(threadSel(threadId)).textContent()
  if (!resolvedText.includes('Løst') || !resolvedText.includes(editor.data.me.name)) throw new Error(`the resolved thread reads "${resolvedText}"`)
  if (!await adviser.page.locator(threadSel(threadId)).getByRole('button', { name: 'Gjenåpne' }).count()) throw new Error('the adviser (its author) cannot reopen the thread')
  await waitFor(adviser.page, ([sel, id]) => !document.querySelector(`${sel} .kommentar-anker[data-thread-id="${id}"]`), [editorSel(section), threadId], 'the resolved thread\'s highlight to go')
  // With «Åpne» (the default) the editor's panel no longer lists it; «Løste» does.
  await waitFor(editor.page, (sel) => !document.querySelector(sel), threadSel(threadId), 'the resolved thread to leave the editor\'s open list')
  await editor.page.locator('#kommentar-status').selectOption('resolved')
  await editor.page.locator(threadSel(threadId)).waitFor({ timeout: WAIT })
  check('the editor resolves the thread; the adviser sees it resolved live (filter «Alle»), its highlight gone; «Løste» lists it')

  // The server has what the browsers did.
  const stored = await adviser.page.evaluate(async ([plan, id]) => (await fetch(`/api/plans/${plan}/threads/${id}`, { credentials: 'same-origin' })).json(), [planId, threadId])
  if (stored.status !== 'resolved' || stored.comments?.length !== 2 || stored.anchor?.kind !== 'text' ||
    stored.anchor.section !== section || stored.anchor.quote !== TEXT.words || stored.comments[0].body !== TEXT.question ||
    stored.comments[1].body !== TEXT.reply) {
    throw new Error(`the server's thread: ${JSON.stringify(stored)}`)
  }
  check('the server\'s thread has the anchor, both comments and the resolution')

  // A tiltak row: the adviser comments it; the editor sees the row marked.
  await tiltakRow(editor, adviser)

  // Accessibility: axe-core, WCAG 2.1 A and AA, both pages with the panel open and threads in it.
  await editor.page.locator('#kommentar-status').selectOption('all')
  await editor.page.evaluate(() => window.scrollTo(0, 0))
  await adviser.page.evaluate(() => window.scrollTo(0, 0))
  await axeScan(editor.page, 'the editor\'s page with the comments panel')
  await axeScan(adviser.page, 'the adviser\'s page with the comments panel')
  check('axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa) on both pages with the panel open: no violations')
  await adviser.page.locator(threadSel(threadId)).scrollIntoViewIfNeeded()
  await shot(adviser.page, 'radgiver-lost.png')

  // 200 % zoom on a 1280-px screen: nothing scrolls sideways with the panel open.
  await editor.page.setViewportSize({ width: 640, height: 900 })
  await editor.page.waitForTimeout(200)
  const overflow = await editor.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  summary.metrics.horizontalOverflowAt200Percent = overflow
  if (overflow > 2) throw new Error(`at 200 % zoom the page scrolls sideways by ${overflow}px`)
  check('usable at 200 % zoom with the panel open (no horizontal scrolling)')

  // The pages around the editor: the plan list and the coordinator's members page, before and
  // after making an invite link.
  await editor.page.setViewportSize({ width: 1280, height: 900 })
  await editor.page.goto(`${baseUrl}/`)
  await axeScan(editor.page, 'the plan list')
  await editor.page.goto(`${planUrl}/medlemmer`)
  await axeScan(editor.page, 'the members page')
  await editor.page.locator('#ny-rolle').selectOption('adviser')
  await editor.page.getByRole('button', { name: 'Lag invitasjonslenke' }).click()
  await waitFor(editor.page, () => /\/invitasjon\//.test(document.getElementById('invitasjonslenke')?.value || ''), null, 'the new invite link')
  await axeScan(editor.page, 'the members page with a new invite link')
  await shot(editor.page, 'koordinator-medlemmer.png')
  // The invite as its new member sees it: not signed in, a form that makes an account.
  const inviteUrl = await editor.page.locator('#invitasjonslenke').inputValue()
  const guest = await newContext({ viewport: { width: 1280, height: 900 }, locale: 'nb-NO' })
  const guestPage = await guest.newPage()
  watchErrors(guestPage, 'the invited guest', /favicon|404/)
  await guestPage.goto(inviteUrl)
  await guestPage.locator('#name').waitFor({ timeout: WAIT })
  await axeScan(guestPage, 'the invite page')
  await guest.close()
  check('axe-core on the login page, the plan list, the members page and the invite page: no violations')

  await editor.context.close()
  await adviser.context.close()
}

async function tiltakRow (editor, adviser) {
  const tiltak = '.tiltak-editor'
  let rowId = await editor.page.$eval(tiltak, (el) => el.querySelector('tr[data-row-id]:not(.tiltak-detaljer)')?.dataset.rowId || null).catch(() => null)
  if (!rowId) {
    await editor.page.locator(`${tiltak} button.legg-til`).first().click()
    await editor.page.keyboard.type(TEXT.newRow)
    rowId = await editor.page.evaluate(() => document.activeElement.closest('tr')?.dataset.rowId)
  }
  if (!rowId) throw new Error('no tiltak row to comment on')
  const row = `${tiltak} tr[data-row-id="${rowId}"]`
  await adviser.page.locator(row).waitFor({ timeout: WAIT })
  await adviser.page.locator(`${row} button[data-ctl="kommenter"]`).click()
  const quote = await adviser.page.locator('#ny-kommentar-sitat').textContent()
  if (!quote.startsWith('Tiltak: ')) throw new Error(`the row's form quotes "${quote}"`)
  await adviser.page.getByLabel('Kommentar', { exact: true }).fill(TEXT.rowQuestion)
  await adviser.page.getByRole('button', { name: 'Send kommentar' }).click()
  await waitFor(editor.page, (sel) => !document.querySelector(`${sel} button[data-ctl="kommentarer"]`)?.hidden, row, 'the row\'s comment marker in the editor\'s page')
  const named = editor.page.locator(row).getByRole('button', { name: /^\d+ (åpen kommentar|åpne kommentarer) til Tiltak \d+$/ })
  if (await named.count() !== 1) throw new Error('the row\'s comment marker is not named «N åpne kommentarer til Tiltak M»')
  await editor.page.locator(`${row} button[data-ctl="kommentarer"]`).click()
  await waitFor(editor.page, (q) => {
    const el = document.activeElement
    return el?.classList.contains('trad') && el.textContent.includes(q)
  }, TEXT.rowQuestion, 'focus on the row\'s thread after pressing its marker')
  check('a tiltak row is commented («Tiltak: …»); the editor sees the row marked and its marker opens the thread')
}

await finish(run)

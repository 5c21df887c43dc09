// End-to-end test of a plan's own shape in Samskriv's browser editor, in real headless Chromium
// (Debian's package, driven by playwright-core; no browser is downloaded).
//
//   SAMSKRIV_E2E_COORDINATOR=email:password SAMSKRIV_E2E_EDITOR=email:password \
//     node tests/e2e/structure.mjs <baseUrl> <planId> <outDir>
//
// <planId> is a plan made from the combined template `handlingsplan-psykisk-helse-og-rus` (it has
// target groups), with the coordinator and an editor as members. Two people sign in (two browser
// contexts): the coordinator renames a section (the template's wording stays in its Veiledning),
// marks a section «ikke i bruk» and takes it back, adds a section to a chapter and writes in it,
// adds a plan goal, creates a tiltak in one target group and ticks a second one, deletes a target
// group and brings it back with «Angre». The editor sees each change live, without the
// coordinator's controls. axe-core (WCAG 2.1 A/AA) scans both pages, and the coordinator's page
// must not scroll sideways at 390 px. The last line of standard output is a JSON summary
// (`checks`, `local_section_id`, `goal_title`, `row_id`); the exit code is 0 only when everything held.

import { credentials, scenarioArgs, setUp, WAIT, waitFor } from './harness.mjs'

const { baseUrl, planId, outDir } = scenarioArgs('node tests/e2e/structure.mjs <baseUrl> <planId> <outDir> (with SAMSKRIV_E2E_COORDINATOR and SAMSKRIV_E2E_EDITOR)')

const COORDINATOR = credentials('SAMSKRIV_E2E_COORDINATOR')
const EDITOR = credentials('SAMSKRIV_E2E_EDITOR')

const { summary, check, newContext, watchErrors, shot, axeScan, finish } = await setUp({
  outDir, summary: { local_section_id: null, goal_title: null, row_id: null }
})

/** What the test writes; the Rust test may look for it through the API. */
export const TEXT = {
  renamed: 'Innledning og bakgrunn',
  localHeading: 'Erfaringer fra forrige plan',
  localProse: 'Forrige plan hadde for mange tiltak.',
  goal: 'Færre unge debuterer tidlig med alkohol',
  tiltak: 'Samtalegrupper for unge og foreldre'
}

const planUrl = `${baseUrl}/plans/${planId}`
const section = (id) => `section[data-section-id="${id}"]`
const RENAMED = 'innledning'
const CHAPTER = 'utarbeidelse'
const FOLDED = 'gjennomforing-og-oppfolging'
const PART = 'malgrupper'
const tiltakOf = (group) => `.tiltak-editor[data-section-id="${PART}.${group}.nye-tiltak"]`

async function signIn (label, { email, password }) {
  const context = await newContext({ viewport: { width: 1366, height: 768 }, locale: 'nb-NO', timezoneId: 'Europe/Oslo' })
  const page = await context.newPage()
  watchErrors(page, label, /favicon|404/)
  await page.goto(`${baseUrl}/login`)
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
  await page.evaluate(() => window.samskriv.ready)
  await waitFor(page, () => window.samskriv.provider.synced, null, `${label}'s first sync`)
  return { context, page, label, data }
}

async function run () {
  const a = await signIn('coordinator', COORDINATOR)
  const b = await signIn('editor', EDITOR)
  if (a.data.role !== 'coordinator' || !a.data.can_edit) throw new Error(`the coordinator's page data says role ${a.data.role}, can_edit ${a.data.can_edit}`)
  if (!a.data.tiltak_schema?.fields?.length) throw new Error('the page data has no tiltak_schema')
  if (await b.page.locator('.struktur-knapper, .legg-til-avsnitt, .nytt-mal').count()) throw new Error('the editor has the coordinator\'s structure controls')
  check('the coordinator gets structure controls, the editor none')

  // Rename a section: live for the editor, the template's wording in the Veiledning.
  const renamed = a.page.locator(section(RENAMED))
  await renamed.locator('.struktur-knapper button[data-ctl="endre"]').click()
  await renamed.getByLabel('Ny overskrift').fill(TEXT.renamed)
  await renamed.getByRole('button', { name: 'Lagre' }).click()
  const focused = await a.page.evaluate(() => document.activeElement?.dataset.ctl)
  if (focused !== 'endre') throw new Error(`after «Lagre» focus is on ${focused}`)
  await waitFor(b.page, ([sel, want]) => document.querySelector(`${sel} > h2 .navn`)?.textContent === want,
    [section(RENAMED), TEXT.renamed], 'the new heading in the editor\'s page')
  await waitFor(b.page, ([sel, want]) => document.querySelector(`.innhold-nav a[href="#${document.querySelector(sel).id}"]`)?.textContent.includes(want),
    [section(RENAMED), TEXT.renamed], 'the new heading in the editor\'s table of contents')
  const wording = await b.page.$eval(`${section(RENAMED)} .veiledning .malens-overskrift`, (el) => el.textContent)
  if (wording !== 'Malens overskrift: Innledning') throw new Error(`the template's wording shows as "${wording}"`)
  check('a renamed section is live for everyone; the template\'s heading stays in the Veiledning')

  // «Ikke i bruk» folds a section away for everyone; «Ta i bruk» brings it back.
  const folded = a.page.locator(section(FOLDED))
  await folded.locator('.struktur-knapper button[data-ctl="bruk"]').click()
  await waitFor(b.page, (sel) => {
    const el = document.querySelector(sel)
    return el.classList.contains('ikke-i-bruk') && el.querySelector('h2').textContent.includes('(ikke i bruk)') &&
      el.querySelector('.prosa').offsetParent === null
  }, section(FOLDED), 'the section folded away in the editor\'s page')
  const button = await folded.locator('.struktur-knapper button[data-ctl="bruk"]').textContent()
  if (button !== 'Ta i bruk') throw new Error(`the toggle says "${button}"`)
  await folded.locator('.struktur-knapper button[data-ctl="bruk"]').click()
  await waitFor(b.page, (sel) => !document.querySelector(sel).classList.contains('ikke-i-bruk'), section(FOLDED), 'the section in use again')
  check('«Ikke i bruk» folds a section away live; «Ta i bruk» brings it back')

  // Add a section to a chapter; the editor sees it, with its own prose, live.
  const adder = a.page.locator(`.legg-til-avsnitt[data-parent="${CHAPTER}"]`)
  await adder.getByRole('button', { name: /^Legg til avsnitt/ }).click()
  await adder.getByLabel('Overskrift på det nye avsnittet').fill(TEXT.localHeading)
  await adder.getByRole('button', { name: 'Legg til', exact: true }).click()
  const localId = await a.page.evaluate(() => document.activeElement?.closest('section[data-local]')?.dataset.sectionId)
  if (!localId || !new RegExp(`^${CHAPTER}\\.lokal-[0-9a-f]{8}$`).test(localId)) throw new Error(`focus after adding a section is not in its editor (section ${localId})`)
  summary.local_section_id = localId
  await a.page.keyboard.type(TEXT.localProse)
  await waitFor(b.page, ([sel, heading, prose]) => {
    const el = document.querySelector(sel)
    return el?.querySelector('h3 .navn')?.textContent === heading && el.querySelector('.prosa-innhold')?.textContent.includes(prose)
  }, [section(localId), TEXT.localHeading, TEXT.localProse], 'the new section and its text in the editor\'s page')
  const order = await b.page.$$eval('#plan section[data-section-id]', (els, [chapter, id]) => {
    const ids = els.map((el) => el.dataset.sectionId)
    const last = ids.filter((s) => s === chapter || s.startsWith(`${chapter}.`))
    return [last[last.length - 1], ids.indexOf(id) - ids.indexOf(last[last.length - 2])]
  }, [CHAPTER, localId])
  if (order[0] !== localId || order[1] !== 1) throw new Error(`the new section is not the chapter's last: ${JSON.stringify(order)}`)
  const tocB = await b.page.$eval(`.innhold-nav a[href="#${await b.page.$eval(section(localId), (el) => el.id)}"]`, (el) => el.textContent)
  if (!tocB.endsWith(TEXT.localHeading) || !/^\d+\.\d+ /.test(tocB)) throw new Error(`the new section's contents entry is "${tocB}"`)
  check(`a section added to a chapter (${localId}) appears live for everyone, numbered, with its own text`)

  // A plan goal: the coordinator adds it, the editor reads it.
  await a.page.getByLabel('Nytt mål').fill(TEXT.goal)
  await a.page.getByRole('button', { name: 'Legg til mål', exact: true }).click()
  summary.goal_title = TEXT.goal
  await waitFor(b.page, (want) => [...document.querySelectorAll('#planens-mal .mal-tittel')].some((el) => el.textContent === want), TEXT.goal, 'the goal in the editor\'s page')
  if (await b.page.locator('#planens-mal input, #planens-mal textarea').count()) throw new Error('the editor can edit the plan\'s goals')
  check('a plan goal added by the coordinator is read by everyone')

  // A tiltak in two target groups: made in the first, ticked into a second.
  const first = a.page.locator(tiltakOf('barn-og-unge'))
  await first.locator('button.legg-til').first().click()
  const rowId = await a.page.evaluate(() => document.activeElement.closest('tr')?.dataset.rowId)
  if (!rowId) throw new Error('the new row\'s first field did not get focus')
  summary.row_id = rowId
  await a.page.keyboard.type(TEXT.tiltak)
  const row = `${tiltakOf('barn-og-unge')} tr[data-row-id="${rowId}"]`
  await a.page.locator(`${row} button[data-ctl="mer"]`).click()
  const details = a.page.locator(`${tiltakOf('barn-og-unge')} tr.tiltak-detaljer[data-row-id="${rowId}"]`)
  await details.getByRole('group', { name: 'Hører også til målgruppene' }).getByLabel('Voksne', { exact: true }).check()
  for (const p of [a.page, b.page]) {
    await waitFor(p, ([sel, want]) => document.querySelector(sel)?.querySelector('textarea')?.value === want,
      [`${tiltakOf('voksne')} tr[data-row-id="${rowId}"]`, TEXT.tiltak], `the row in the second target group (${p === a.page ? 'coordinator' : 'editor'})`)
  }
  const stored = await b.page.evaluate((id) => {
    const map = window.samskriv.doc.getArray('tiltak').toArray().find((m) => m.get('id') === id)
    return { section: map.get('section'), sections: map.get('sections') }
  }, rowId)
  if (stored.section !== `${PART}.barn-og-unge.nye-tiltak` || JSON.stringify(stored.sections) !== JSON.stringify([`${PART}.barn-og-unge.nye-tiltak`, `${PART}.voksne.nye-tiltak`])) {
    throw new Error(`the row's sections: ${JSON.stringify(stored)}`)
  }
  check('a tiltak in two target groups is one row shown in both groups\' tables')

  // Delete a target group; «Angre» brings it back with its sections.
  await a.page.locator(`.malgruppe-liste li[data-target-group="eldre"] button[data-ctl="slett"]`).click()
  await waitFor(b.page, (sel) => !document.querySelector(sel), section(`${PART}.eldre`), 'the deleted group to go in the editor\'s page')
  const undo = a.page.locator('.malgruppe-editor .tiltak-melding').getByRole('button', { name: 'Angre' })
  const undoFocused = await undo.evaluate((el) => el === document.activeElement)
  if (!undoFocused) throw new Error('«Angre» does not have focus after deleting a target group')
  await undo.click()
  await waitFor(b.page, (sel) => !!document.querySelector(`${sel} .prosa-innhold`), section(`${PART}.eldre.utfordringsbilde`), 'the group and its prose back in the editor\'s page')
  check('a target group is deleted and comes back with «Angre»')

  await a.page.locator(section(localId)).scrollIntoViewIfNeeded()
  await shot(a.page, 'struktur-koordinator.png')
  await b.page.locator('#planens-mal').scrollIntoViewIfNeeded()
  await shot(b.page, 'struktur-redaktor.png')
  await a.page.evaluate(() => window.scrollTo(0, 0))
  await axeScan(a.page, 'the coordinator\'s page')
  await axeScan(b.page, 'the editor\'s page')
  check('axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa): no violations')

  await a.page.setViewportSize({ width: 390, height: 800 })
  await a.page.waitForTimeout(200)
  const overflow = await a.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  summary.metrics.horizontalOverflowAt390 = overflow
  await a.page.locator(tiltakOf('barn-og-unge')).scrollIntoViewIfNeeded()
  await shot(a.page, 'struktur-390.png')
  if (overflow > 2) throw new Error(`at 390 px the page scrolls sideways by ${overflow}px`)
  check('usable 390 px wide (no horizontal scrolling)')

  await a.context.close()
  await b.context.close()
}

await finish(run)

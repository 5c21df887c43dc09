// Pasted content from word processors (src/paste.js): clipboard HTML as Word 365, LibreOffice 7
// and Google Docs write it (test/fixtures/paste/*.html), cleaned as the editor's
// `transformPastedHTML` does and parsed with the schema as ProseMirror's clipboard does, under
// linkedom's DOM. The resulting document must be the schema's own lists and tables.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { DOMParser as HTMLParser } from 'linkedom'
import { DOMParser } from 'prosemirror-model'
import * as Y from 'yjs'
import { prosemirrorJSONToYXmlFragment } from 'y-prosemirror'
import { schema } from '../src/schema.js'
import { cleanPastedHTML, parsePastedText, readMarker, readWordListStyles } from '../src/paste.js'

/** HTML → Document, as the browser's DOMParser (linkedom wants a whole document). */
const parseHTML = (html) => new HTMLParser().parseFromString(
  /<html[\s>]/i.test(html) ? html : `<!DOCTYPE html><html><head></head><body>${html}</body></html>`, 'text/html')

const fixture = (name) => readFileSync(new URL(`./fixtures/paste/${name}`, import.meta.url), 'utf8')

/** What the editor gets from pasting `html`: the cleaned HTML parsed with the schema. */
function paste (html) {
  const cleaned = cleanPastedHTML(html, parseHTML)
  const doc = DOMParser.fromSchema(schema).parse(parseHTML(cleaned).body)
  doc.check()
  return JSON.parse(JSON.stringify(doc.toJSON()))
}

// Builders of the expected ProseMirror JSON.
const text = (value, ...marks) => (marks.length ? { type: 'text', marks: marks.map((m) => (typeof m === 'string' ? { type: m } : m)), text: value } : { type: 'text', text: value })
const link = (href) => ({ type: 'link', attrs: { href } })
const p = (...content) => (content.length ? { type: 'paragraph', content: content.map((c) => (typeof c === 'string' ? text(c) : c)) } : { type: 'paragraph' })
const h = (level, ...content) => ({ type: 'heading', attrs: { level }, content: content.map((c) => (typeof c === 'string' ? text(c) : c)) })
const li = (...blocks) => ({ type: 'list_item', content: blocks.map((b) => (typeof b === 'string' ? p(b) : b)) })
const ul = (...items) => ({ type: 'bullet_list', content: items })
const ol = (order, ...items) => ({ type: 'ordered_list', attrs: { order }, content: items })
const cellOf = (type) => (...blocks) => ({
  type,
  attrs: { colspan: 1, rowspan: 1, colwidth: null },
  content: blocks.length ? blocks.map((b) => (typeof b === 'string' ? (b === '' ? p() : p(b)) : b)) : [p()]
})
const th = cellOf('table_header')
const td = cellOf('table_cell')
const tr = (...cells) => ({ type: 'table_row', content: cells })
const table = (...rows) => ({ type: 'table', content: rows })

/** Every text of a JSON document, joined. */
function allText (json) {
  if (json.text) return json.text
  return (json.content || []).map(allText).join('\n')
}

test('Word 365: list paragraphs with mso-list become nested lists, without the «·» markers', () => {
  const doc = paste(fixture('word-lists.html'))
  assert.deepEqual(doc, {
    type: 'doc',
    content: [
      p('Bydelen vil prioritere:'),
      ul(
        li(p('Tidlig innsats i ', text('skolen', 'bold')),
          ul(li(p('Foreldremøter på ', text('alle', 'italic'), ' trinn'),
            ul(li('Med tolk ved behov'))))),
        li('Fritidstilbud for unge')),
      p(),
      // Numbering starts at 3 as in Word; the nested «a.» list is numbered on its own.
      ol(3,
        li('Kartlegge behov', ol(1, li('Ungdata 2024'))),
        li(p('Følge opp i ', text('BU', link('https://www.oslo.kommune.no/bydeler/')))))
    ]
  })
  assert.doesNotMatch(allText(doc), /[·§]|^o\s/m)
})

test('Word 365: a table with merged cells is split with the content kept, the bold first row a header row', () => {
  const doc = paste(fixture('word-table.html'))
  assert.deepEqual(doc, {
    type: 'doc',
    content: [
      table(
        tr(th(p(text('Tiltak', 'bold'))), th(p(text('Ansvarlig', 'bold'))), th(p(text('Frist', 'bold')))),
        // «Foreldremøter» spans two rows: its content in the first, an empty cell below. The
        // cell's list item keeps a readable bullet (cells hold paragraphs only).
        tr(td('Foreldremøter', '• på skolen'), td('Bydel Alna'), td('2025')),
        tr(td(), td('Skolene og helsestasjonen sammen'), td()),
        // Word's spacer row for uneven columns (`<tr height=0>`) is no row of the table.
        tr(td(p(text('Kilde: Ungdata', 'italic'))), td(), td())),
      p()
    ]
  })
})

test('Google Docs: lists nested as siblings, styled spans, <br> between blocks, a merged table', () => {
  const doc = paste(fixture('google-docs.html'))
  assert.deepEqual(doc, {
    type: 'doc',
    content: [
      h(3, 'Mål for perioden'),
      ul(
        li(p(text('Færre', 'bold'), ' unge som ruser seg'), ul(li(p(text('Målt i Ungdata', 'italic'))))),
        li(p('Flere på ', text('fritidsklubb', link('https://www.oslo.kommune.no/'))))),
      ol(4, li('Evaluere innen 2027')),
      table(
        tr(th(p(text('Tiltak', 'bold'))), th(p(text('Ansvarlig', 'bold'))), th(p(text('Frist', 'bold')))),
        tr(td('Felles foreldremøte'), td(), td('Høst 2025')),
        tr(td('Natteravn'), td('Frivillige'), td()))
    ]
  })
  // The wrapper `<b style="font-weight:normal">` makes nothing bold.
  assert.equal(JSON.stringify(doc.content[0]).includes('bold'), false)
})

test('LibreOffice 7: <li><p> lists with <ol start>, a <thead> header row with a colspan, a rowspan', () => {
  const doc = paste(fixture('libreoffice.html'))
  assert.deepEqual(doc, {
    type: 'doc',
    content: [
      p('Tiltakene skal:'),
      ul(
        li(p('nå ', text('alle', 'bold'), ' ungdomsskoler'), ul(li('også de private'))),
        li('vare ut perioden')),
      ol(2, li('Andre tiltak'), li(p(text('Tredje', 'italic'), ' tiltak'))),
      // `<p><br/></p>` is an empty paragraph, not a line break.
      p(),
      table(
        tr(th('Tiltak'), th('Ansvar og frist'), th()),
        tr(td('Ungdomsklubb'), td('Bydel Alna'), td('2025')),
        tr(td(), td('NAV'), td('2026'))),
      p()
    ]
  })
})

test('a table with merged cells is stored as the server reads it: a rectangular grid, spans of 1', () => {
  for (const name of ['word-table.html', 'google-docs.html', 'libreoffice.html']) {
    const doc = paste(fixture(name))
    const tables = doc.content.filter((node) => node.type === 'table')
    assert.ok(tables.length > 0, name)
    for (const t of tables) {
      const widths = t.content.map((row) => row.content.length)
      assert.ok(widths.every((w) => w === widths[0]), `${name}: every row as wide (${widths})`)
      for (const row of t.content) {
        for (const cell of row.content) assert.deepEqual(cell.attrs, { colspan: 1, rowspan: 1, colwidth: null })
      }
    }
    // y-prosemirror stores it without complaint.
    const ydoc = new Y.Doc()
    prosemirrorJSONToYXmlFragment(schema, doc, ydoc.getXmlFragment('section:x'))
    const stored = ydoc.getXmlFragment('section:x').toString()
    assert.match(stored, /<table_row>/)
    assert.doesNotMatch(stored, /colspan="[^1]|rowspan="[^1]/)
  }
})

test('no word processor leftovers: comments, <o:p>, styles, classes, hidden text', () => {
  const html = `<html><head><style>p.MsoNormal{margin:0}</style></head><body>
<!--StartFragment--><p class=MsoNormal style='margin:0'>Synlig<span style='display:none;mso-hide:all'>skjult</span><o:p>&nbsp;</o:p></p>
<!--[if gte mso 9]><xml><w:WordDocument></w:WordDocument></xml><![endif]-->
<p class=MsoNormal><st1:place w:st="on">Alna</st1:place> bydel<o:p></o:p></p><!--EndFragment--></body></html>`
  const cleaned = cleanPastedHTML(html, parseHTML)
  assert.doesNotMatch(cleaned, /<!--|o:p|style|class|skjult|st1/)
  assert.deepEqual(paste(html).content, [p('Synlig'), p('Alna bydel')])
})

test('a header row: <th> cells, <thead>, or a bold first row over rows that are not', () => {
  const kinds = (html) => paste(html).content[0].content.map((row) => row.content.map((cell) => cell.type === 'table_header' ? 'h' : 'c').join(''))
  assert.deepEqual(kinds('<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>'), ['hh', 'cc'])
  assert.deepEqual(kinds('<table><thead><tr><td>A</td><td>B</td></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>'), ['hh', 'cc'])
  assert.deepEqual(kinds('<table><tr><td><b>A</b></td><td></td></tr><tr><td>1</td><td>2</td></tr></table>'), ['hh', 'cc'])
  // Not a header: plain first row, or every row bold.
  assert.deepEqual(kinds('<table><tr><td>A</td><td>B</td></tr><tr><td>1</td><td>2</td></tr></table>'), ['cc', 'cc'])
  assert.deepEqual(kinds('<table><tr><td><b>A</b></td></tr><tr><td><b>1</b></td></tr></table>'), ['c', 'c'])
  // A header column stays one.
  assert.deepEqual(kinds('<table><tr><th>A</th><th>B</th></tr><tr><th>1</th><td>2</td></tr></table>'), ['hh', 'hc'])
})

test('merged cells: colspan and rowspan split into cells; uneven rows padded; no content lost', () => {
  const doc = paste(`<table>
    <tr><td colspan="2" rowspan="2">Stor</td><td>c</td></tr>
    <tr><td>f</td></tr>
    <tr><td>g</td><td rowspan="0">h</td></tr>
    <tr><td>j</td></tr>
    <tr><td>k</td><td colspan="100000">l</td></tr>
  </table>`)
  const grid = doc.content[0].content.map((row) => row.content.map((cell) => allText(cell)))
  // `rowspan="0"` spans to the end; the columns only spanned over by `colspan="100000"` go.
  assert.deepEqual(grid, [
    ['Stor', '', 'c'],
    ['', '', 'f'],
    ['g', 'h', ''],
    ['j', '', ''],
    ['k', '', 'l']
  ])
  // A row in which no cell starts (all spanned over) is no row.
  const rows = paste('<table><tr><td rowspan="2">a</td><td rowspan="2">b</td></tr><tr></tr><tr><td>c</td><td>d</td></tr></table>')
  assert.deepEqual(rows.content[0].content.map((row) => row.content.map((cell) => allText(cell))), [['a', 'b'], ['c', 'd']])
})

test('blocks in a cell become paragraphs: lists keep their markers, nested tables their text', () => {
  const doc = paste(`<table><tr><td><h2>Tittel</h2><ul><li>en</li><li><p>to</p><ol start="3"><li>tre</li></ol></li></ul>
    <table><tr><td>indre a</td><td>indre b</td></tr></table><blockquote><p>sitat</p></blockquote></td></tr></table>`)
  assert.deepEqual(doc.content, [table(tr(td('Tittel', '• en', '• to', '3. tre', 'indre a', 'indre b', 'sitat')))])
})

test('bare rows and cells (a copy of part of a table) are read as a table', () => {
  const doc = paste('<tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr>')
  assert.deepEqual(doc.content, [table(tr(td('a'), td('b')), tr(td('c'), td('d')))])
})

test('ProseMirror\'s own clipboard HTML is left alone', () => {
  const html = '<ul data-pm-slice="1 1 []"><li><p>a</p></li></ul>'
  assert.equal(cleanPastedHTML(html, parseHTML), html)
})

test('list markers: numbers, letters, roman numerals, bullets', () => {
  assert.deepEqual(readMarker('3.\u00a0\u00a0 '), { ordered: true, start: 3 })
  assert.deepEqual(readMarker('12)'), { ordered: true, start: 12 })
  assert.deepEqual(readMarker('1.2.'), { ordered: true, start: 2 })
  assert.deepEqual(readMarker('c.'), { ordered: true, start: 3 })
  assert.deepEqual(readMarker('(b)'), { ordered: true, start: 2 })
  assert.deepEqual(readMarker('iv.'), { ordered: true, start: 4 })
  assert.deepEqual(readMarker('i.'), { ordered: true, start: 1 })
  assert.deepEqual(readMarker('i.', 'alpha-lower'), { ordered: true, start: 9 })
  for (const bullet of ['·', 'o', '§', '•', '–', '', '\uf0b7', 'Ø']) assert.deepEqual(readMarker(bullet), { ordered: false }, bullet)
})

test('Word @list rules say which lists are numbered, and where they start', () => {
  const formats = readWordListStyles(fixture('word-lists.html'))
  assert.deepEqual(formats['l0:1'], { ordered: false, format: 'bullet', start: 1 })
  assert.deepEqual(formats['l1:1'], { ordered: true, format: 'decimal', start: 3 })
  assert.deepEqual(formats['l1:2'], { ordered: true, format: 'alpha-lower', start: 1 })
})

test('Word list items of different lists, and of one list restarted (lfo), are separate lists', () => {
  const item = (list, lfo, marker, textValue) =>
    `<p class=MsoListParagraph style='text-indent:-18.0pt;mso-list:${list} level1 ${lfo}'><![if !supportLists]><span style='mso-list:Ignore'>${marker}<span style='font:7.0pt "Times New Roman"'>&nbsp; </span></span><![endif]>${textValue}<o:p></o:p></p>`
  const doc = paste(`<html><body>${item('l0', 'lfo1', '1.', 'en')}${item('l0', 'lfo1', '2.', 'to')}${item('l2', 'lfo3', '·', 'punkt')}${item('l0', 'lfo4', '1.', 'på nytt')}</body></html>`)
  assert.deepEqual(doc.content, [ol(1, li('en'), li('to')), ul(li('punkt')), ol(1, li('på nytt'))])
})

test('a numbered Word heading stays a heading, in its place, without its number', () => {
  const item = (textValue) => `<p class=MsoListParagraph style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp; </span></span><![endif]>${textValue}<o:p></o:p></p>`
  const doc = paste(`<html><body>${item('før')}<h2 style='mso-list:l3 level1 lfo5'><![if !supportLists]><span style='mso-list:Ignore'>2<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span><![endif]>Innsatsområder<o:p></o:p></h2>${item('etter')}</body></html>`)
  assert.deepEqual(doc.content, [ul(li('før')), h(3, 'Innsatsområder'), ul(li('etter'))])
})

test('plain text with bullets or numbers becomes lists; other text is left to ProseMirror', () => {
  const slice = parsePastedText('Mål:\n·\tFærre rusdebuter\n\to\tblant 15-åringer\n·\tFlere i arbeid\n1. Kartlegge\n2. Følge opp\n', schema, null)
  assert.deepEqual(JSON.parse(JSON.stringify(slice.content.toJSON())), [
    p('Mål:'),
    ul(li('Færre rusdebuter', ul(li('blant 15-åringer'))), li('Flere i arbeid')),
    ol(1, li('Kartlegge'), li('Følge opp'))
  ])
  assert.equal(parsePastedText('Bare tekst\nover to linjer', schema, null), null)
  // In a table cell (paragraphs only) nothing is made a list.
  const cellDoc = schema.nodeFromJSON({ type: 'doc', content: [table(tr(td('x')))] })
  assert.equal(parsePastedText('- a\n- b', schema, cellDoc.resolve(4)), null)
})

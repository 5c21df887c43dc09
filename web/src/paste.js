// Content pasted from word processors (Word, LibreOffice, Google Docs), made into the schema's
// own lists and tables before ProseMirror parses it (prose.js: `transformPastedHTML`).
//
// ProseMirror parses pasted HTML with the schema's parse rules, which know `<ul>/<ol>/<li>` and
// `<table>` but not what word processors put on the clipboard:
// - Word writes a list as paragraphs `<p class=MsoListParagraph style='mso-list:l0 level1 lfo1'>`
//   whose bullet or number is text in `<span style='mso-list:Ignore'>` («·», «o», «§», «1.»), so
//   a list became paragraphs starting with a stray «·»;
// - Google Docs nests a list as a `<ul>` directly in its parent `<ul>`, not in the `<li>`;
// - a merged cell (`colspan`/`rowspan`) is stored by prosemirror-tables as attributes the
//   server does not read (src/document/prose.rs reads a cell's node name and its blocks), so a
//   merged table lost its shape in exports.
//
// This module works on the DOM of the pasted HTML, with standard DOM calls only (the browser's
// DOMParser in the editor; linkedom in the unit tests), and gives back HTML that the schema
// parses as is: lists as nested `<ul>/<ol start>` with `<li><p>`, tables as rectangular grids
// of `<th>/<td>` holding paragraphs only (the schema's cells hold paragraphs) — a merged cell is
// split into its own cell, with the content, and empty neighbours, so nothing is lost and every
// export shows the same grid. A first row of header cells (in `<thead>`, all `<th>`, or all
// bold as word processors mark a header row) is a header row. Styles become `<strong>`/`<em>`,
// and Word's `<o:p>`, comments, conditional comments, style sheets and hidden text go.

import { Fragment, Slice } from 'prosemirror-model'
import { NodeName, NodeAttr } from './layout.js'

const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'blockquote', 'caption', 'center', 'col', 'colgroup', 'dd', 'details',
  'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4',
  'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table',
  'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'ul'
])
/** Elements removed with everything in them. */
const DROP_TAGS = new Set([
  'script', 'style', 'meta', 'link', 'title', 'xml', 'template', 'noscript', 'object', 'embed',
  'iframe', 'head', 'svg', 'math', 'button', 'input', 'select', 'textarea'
])
/** Attributes kept, by element; every other attribute goes. */
const KEPT_ATTRIBUTES = { a: ['href'], ol: ['start'], img: ['src', 'alt'] }
const ELEMENT_NODE = 1
const TEXT_NODE = 3
const COMMENT_NODE = 8

/** The largest span of a merged cell that is followed (a guard against `colspan=10000`). */
const MAX_SPAN = 64

const name = (node) => (node.nodeType === ELEMENT_NODE ? node.nodeName.toLowerCase() : '')
const isBlock = (node) => BLOCK_TAGS.has(name(node))
const isBlank = (node) => node.nodeType === TEXT_NODE && !/[^\s]/.test(node.nodeValue.replace(/\u00a0/g, 'x'))
const children = (node) => Array.from(node.childNodes)
const elementChildren = (node) => children(node).filter((child) => child.nodeType === ELEMENT_NODE)

/** The value of one CSS property in an element's `style` attribute (lower case), or null. */
export function styleValue (element, property) {
  const style = element.getAttribute?.('style')
  if (!style) return null
  let found = null
  for (const declaration of style.split(';')) {
    const colon = declaration.indexOf(':')
    if (colon < 0) continue
    if (declaration.slice(0, colon).trim().toLowerCase() === property) {
      found = declaration.slice(colon + 1).replace(/!important/i, '').trim().toLowerCase()
    }
  }
  return found
}

function unwrap (element) {
  const parent = element.parentNode
  if (!parent) return
  while (element.firstChild) parent.insertBefore(element.firstChild, element)
  parent.removeChild(element)
}

function remove (node) {
  node.parentNode?.removeChild(node)
}

function elementsIn (root) {
  const out = []
  const walk = (node) => {
    for (const child of children(node)) {
      if (child.nodeType === ELEMENT_NODE) {
        out.push(child)
        walk(child)
      }
    }
  }
  walk(root)
  return out
}

function closest (node, tags, stop) {
  for (let n = node.parentNode; n && n !== stop; n = n.parentNode) {
    if (tags.includes(name(n))) return n
  }
  return null
}

function textOf (node) {
  return (node.textContent || '').replace(/\u00a0/g, ' ')
}

// ---------------------------------------------------------------------------------------------
// Clean-up: what is not content.

function isHidden (element) {
  return styleValue(element, 'display') === 'none' || styleValue(element, 'mso-hide') === 'all' ||
    /^comment(-list)?$/.test(styleValue(element, 'mso-element') || '') ||
    styleValue(element, 'mso-special-character') === 'comment'
}

function removeJunk (root) {
  const walk = (node) => {
    for (const child of children(node)) {
      if (child.nodeType === COMMENT_NODE || (child.nodeType !== ELEMENT_NODE && child.nodeType !== TEXT_NODE)) {
        remove(child)
        continue
      }
      if (child.nodeType !== ELEMENT_NODE) continue
      const tag = name(child)
      // Word's namespaced elements: `<o:p>` (an empty paragraph's &nbsp;), VML shapes.
      if (DROP_TAGS.has(tag) || tag === 'o:p' || tag.startsWith('v:') || tag.startsWith('o:') || isHidden(child)) {
        remove(child)
        continue
      }
      walk(child)
      // Google Docs wraps the whole paste in `<b style="font-weight:normal" id="docs-internal-guid-…">`;
      // smart tags and content controls (`<st1:place>`, `<w:sdt>`) only wrap text.
      if (tag.includes(':') || (tag === 'b' && /^docs-internal-guid/.test(child.getAttribute('id') || ''))) unwrap(child)
    }
  }
  walk(root)
}

// ---------------------------------------------------------------------------------------------
// Word's lists: paragraphs with `mso-list: l<list> level<n> lfo<instance>`.

/** `{ "l0:1": { ordered, format, start } }` from the `@list l0:level1 { … }` rules of Word's style sheet. */
export function readWordListStyles (css) {
  const formats = {}
  const rule = /@list\s+(l\d+):level(\d+)\s*\{([^}]*)\}/gi
  let m
  while ((m = rule.exec(css))) {
    const body = m[3]
    const format = (/mso-level-number-format:\s*([\w-]+)/i.exec(body)?.[1] || 'decimal').toLowerCase()
    const startAt = /mso-level-start-at:\s*(\d+)/i.exec(body)
    formats[`${m[1].toLowerCase()}:${m[2]}`] = {
      ordered: format !== 'bullet' && format !== 'image' && format !== 'none',
      format,
      start: startAt ? +startAt[1] : 1
    }
  }
  return formats
}

function romanValue (text) {
  const values = { i: 1, v: 5, x: 10, l: 50, c: 100, d: 500, m: 1000 }
  let total = 0
  const s = text.toLowerCase()
  for (let i = 0; i < s.length; i++) {
    const v = values[s[i]]
    const next = values[s[i + 1]] || 0
    total += v < next ? -v : v
  }
  return total
}

/**
 * What a list marker says: `{ ordered: true, start }` for «3.», «3)», «(c)», «iv.», «1.2.»;
 * `{ ordered: false }` for bullets («·», «o», «§», «•», «–», a picture).
 */
export function readMarker (text, format) {
  const t = String(text || '').replace(/[\s\u00a0]+/g, '')
  let m
  if ((m = /^\(?(\d+)[.):]?$/.exec(t)) || (m = /^(?:\d+\.)+(\d+)\.?$/.exec(t))) return { ordered: true, start: +m[1] }
  const roman = /^\(?([ivxlcdm]+)[.)]$/i.exec(t)
  const letter = /^\(?([a-z])[.)]$/i.exec(t)
  const romanFormat = /roman/.test(format || '')
  const alphaFormat = /alpha/.test(format || '')
  if (roman && (romanFormat || (!alphaFormat && (roman[1].length > 1 || /^i$/i.test(roman[1]))))) {
    return { ordered: true, start: romanValue(roman[1]) }
  }
  if (letter) return { ordered: true, start: letter[1].toLowerCase().charCodeAt(0) - 96 }
  if (roman) return { ordered: true, start: romanValue(roman[1]) }
  return { ordered: false }
}

function wordListInfo (element) {
  const value = styleValue(element, 'mso-list')
  const m = value && /^(l\d+)\s+level(\d+)(?:\s+(lfo\d+))?/.exec(value)
  return m ? { list: m[1], level: +m[2], instance: m[3] || '' } : null
}

/** Takes the marker (`<span style='mso-list:Ignore'>`) out of a Word list paragraph; its text. */
function takeMarker (element) {
  let text = ''
  for (const span of elementsIn(element)) {
    if (!span.parentNode) continue
    if ((styleValue(span, 'mso-list') || '') === 'ignore') {
      text += textOf(span)
      // The span's wrapper (`<span style='font-family:Symbol'>`) is left empty.
      let wrapper = span.parentNode
      remove(span)
      while (wrapper && wrapper !== element && name(wrapper) === 'span' && !textOf(wrapper).trim() && !wrapper.firstElementChild) {
        const parent = wrapper.parentNode
        remove(wrapper)
        wrapper = parent
      }
    }
  }
  return text.trim()
}

function convertWordLists (root, formats) {
  const doc = root.ownerDocument
  const isItem = (node) => node.nodeType === ELEMENT_NODE && ['p', 'div', 'li'].includes(name(node)) && wordListInfo(node)
  const items = []
  for (const el of elementsIn(root)) {
    if (isItem(el)) items.push(el)
    // A numbered heading stays a heading; only its number goes.
    else if (wordListInfo(el)) takeMarker(el)
  }
  const done = new Set()
  for (const first of items) {
    if (done.has(first)) continue
    // A run: the list paragraphs that follow each other (blank text between them aside).
    const run = []
    for (let node = first; node; node = node.nextSibling) {
      if (isItem(node)) run.push(node)
      else if (!isBlank(node)) break
    }
    for (const el of run) done.add(el)
    const inCell = !!closest(first, ['td', 'th'], root)
    const listed = run.map((el) => {
      const info = wordListInfo(el)
      const format = formats[`${info.list}:${info.level}`]
      const markerText = takeMarker(el)
      const marker = readMarker(markerText, format?.format)
      const ordered = format ? format.ordered : marker.ordered
      const start = marker.ordered ? marker.start : (format?.start ?? 1)
      return { el, ...info, ordered, start, markerText }
    })
    if (inCell) {
      // A cell holds paragraphs only: the item keeps a readable marker as text.
      for (const item of listed) {
        const prefix = item.ordered ? `${item.markerText.replace(/[\s\u00a0]+/g, '')} ` : '• '
        item.el.insertBefore(doc.createTextNode(prefix), item.el.firstChild)
      }
      continue
    }
    buildLists(doc, listed)
  }
}

/** Replaces a run of Word list paragraphs by nested `<ul>/<ol>`. */
function buildLists (doc, items) {
  if (items.length === 0) return
  const anchor = items[0].el
  const fragment = doc.createDocumentFragment()
  const stack = [] // { level, list, ordered, key, li }
  for (const item of items) {
    const key = `${item.list}:${item.instance}`
    while (stack.length && stack[stack.length - 1].level > item.level) stack.pop()
    let top = stack[stack.length - 1]
    if (top && top.level === item.level && (top.ordered !== item.ordered || (stack.length === 1 && top.key !== key))) {
      stack.pop()
      top = stack[stack.length - 1]
    }
    if (!top || top.level < item.level) {
      const list = doc.createElement(item.ordered ? 'ol' : 'ul')
      if (item.ordered && item.start !== 1) list.setAttribute('start', String(item.start))
      if (top) top.li.appendChild(list)
      else fragment.appendChild(list)
      top = { level: item.level, list, ordered: item.ordered, key, li: null }
      stack.push(top)
    }
    const li = doc.createElement('li')
    const p = doc.createElement('p')
    while (item.el.firstChild) p.appendChild(item.el.firstChild)
    li.appendChild(p)
    top.list.appendChild(li)
    top.li = li
  }
  anchor.parentNode.insertBefore(fragment, anchor)
  for (const item of items) remove(item.el)
}

// ---------------------------------------------------------------------------------------------
// HTML lists (LibreOffice, Google Docs, browsers).

function normalizeLists (root) {
  for (const list of elementsIn(root).filter((el) => ['ul', 'ol'].includes(name(el)))) {
    // Google Docs: `<ul><li>a</li><ul><li>a.1</li></ul></ul>` — the nested list belongs in «a».
    for (const child of elementChildren(list)) {
      if (!['ul', 'ol'].includes(name(child))) continue
      let previous = child.previousSibling
      while (previous && previous.nodeType !== ELEMENT_NODE) previous = previous.previousSibling
      if (previous && name(previous) === 'li') previous.appendChild(child)
      else unwrap(child)
    }
    const start = list.getAttribute('start')
    if (start != null && !/^\d+$/.test(start.trim())) list.removeAttribute('start')
  }
}

// ---------------------------------------------------------------------------------------------
// Bold and italic: from styles to `<strong>`/`<em>`, so that no style attribute is needed.

const BOLD_WEIGHT = /^(bold(er)?|[6-9]\d\d)$/
const NORMAL_WEIGHT = /^(normal|lighter|[1-5]\d\d)$/

function wrapInline (element, tag) {
  const doc = element.ownerDocument
  let run = []
  const flush = (before) => {
    if (run.length === 0) return
    const wrapper = doc.createElement(tag)
    element.insertBefore(wrapper, before)
    for (const node of run) wrapper.appendChild(node)
    run = []
  }
  for (const child of children(element)) {
    if (isBlock(child)) {
      flush(child)
      wrapInline(child, tag)
    } else {
      run.push(child)
    }
  }
  flush(null)
}

function replaceTag (element, tag) {
  const replacement = element.ownerDocument.createElement(tag)
  while (element.firstChild) replacement.appendChild(element.firstChild)
  element.parentNode.replaceChild(replacement, element)
  return replacement
}

function normalizeInline (root) {
  // Innermost first, so that a replaced element's children are already done.
  for (const element of elementsIn(root).reverse()) {
    const tag = name(element)
    const weight = styleValue(element, 'font-weight')
    const fontStyle = styleValue(element, 'font-style')
    let bold = weight != null && BOLD_WEIGHT.test(weight)
    let italic = fontStyle === 'italic' || fontStyle === 'oblique'
    if (tag === 'b' || tag === 'strong') {
      if (weight == null || !NORMAL_WEIGHT.test(weight)) bold = true
    } else if (tag === 'i' || tag === 'em') {
      if (fontStyle !== 'normal') italic = true
    }
    if (['b', 'strong', 'i', 'em'].includes(tag)) {
      // A `<b>` may hold blocks (Word's around a whole paragraph): then its text is wrapped.
      if (!bold && !italic) {
        unwrap(element)
      } else if (elementChildren(element).some(isBlock)) {
        if (bold) wrapInline(element, 'strong')
        if (italic) wrapInline(element, 'em')
        unwrap(element)
      } else {
        const outer = replaceTag(element, bold ? 'strong' : 'em')
        if (bold && italic) wrapInline(outer, 'em')
      }
      continue
    }
    if (bold) wrapInline(element, 'strong')
    if (italic) wrapInline(element, 'em')
  }
}

// ---------------------------------------------------------------------------------------------
// Tables.

function tableRows (table) {
  const rows = []
  const take = (container, section) => {
    for (const child of elementChildren(container)) {
      const tag = name(child)
      if (tag === 'tr') rows.push({ tr: child, head: section === 'thead' })
      else if (tag === 'thead' || tag === 'tbody' || tag === 'tfoot') take(child, tag)
    }
  }
  take(table, '')
  return rows
}

function cellsOf (tr) {
  return elementChildren(tr).filter((el) => name(el) === 'td' || name(el) === 'th')
}

function span (cell, attribute, limit) {
  const value = parseInt(cell.getAttribute(attribute) || '1', 10)
  if (value === 0 && attribute === 'rowspan') return limit // HTML: to the end of the section
  if (!Number.isFinite(value) || value < 1) return 1
  return Math.min(value, limit, MAX_SPAN)
}

/** Whether every letter of the cell is bold (and it has some): a word processor's header cell. */
function allBold (cell) {
  let text = false
  let bold = true
  const walk = (node, strong) => {
    for (const child of children(node)) {
      if (child.nodeType === TEXT_NODE) {
        if (/\S/.test(child.nodeValue.replace(/\u00a0/g, ' '))) {
          text = true
          if (!strong) bold = false
        }
      } else if (child.nodeType === ELEMENT_NODE) {
        walk(child, strong || name(child) === 'strong')
      }
    }
  }
  walk(cell, false)
  return text && bold
}

/**
 * The blocks of a cell as paragraphs (the schema's cells hold paragraphs only): headings and
 * quotes become paragraphs, list items paragraphs with their marker, a nested table's cells
 * paragraphs. Nothing is dropped.
 */
function cellParagraphs (doc, cell) {
  const out = []
  let inline = []
  const flush = () => {
    if (inline.length === 0) return
    if (inline.some((node) => !isBlank(node) && name(node) !== 'br')) {
      const p = doc.createElement('p')
      for (const node of inline) p.appendChild(node)
      out.push(p)
    }
    inline = []
  }
  // `marker`: a list item's «• » or «2. », put before its first paragraph only.
  const blocks = (node, marker) => {
    for (const child of children(node)) {
      const tag = name(child)
      if (!isBlock(child)) {
        if (marker && inline.length === 0 && isBlank(child)) continue
        if (marker) inline.push(doc.createTextNode(marker))
        marker = ''
        inline.push(child)
        continue
      }
      flush()
      if (tag === 'ul' || tag === 'ol') {
        let number = tag === 'ol' ? parseInt(child.getAttribute('start') || '1', 10) || 1 : 0
        for (const li of elementChildren(child)) {
          blocks(li, tag === 'ol' ? `${number++}. ` : '• ')
          flush()
        }
      } else if (tag === 'table') {
        for (const { tr } of tableRows(child)) {
          for (const inner of cellsOf(tr)) {
            blocks(inner, '')
            flush()
          }
        }
      } else if (tag === 'hr' || tag === 'col' || tag === 'colgroup') {
        continue
      } else {
        blocks(child, marker)
        flush()
        marker = ''
      }
    }
  }
  blocks(cell, '')
  flush()
  if (out.length === 0) out.push(doc.createElement('p'))
  return out
}

function normalizeTable (table) {
  const doc = table.ownerDocument
  let rows = tableRows(table)
  // Word ends a table whose columns are uneven with a row of empty spacer cells (`height=0`).
  rows = rows.filter(({ tr }) => !(tr.getAttribute('height') === '0' && !textOf(tr).trim()))
  const grid = rows.map(() => [])
  rows.forEach(({ tr }, r) => {
    let c = 0
    for (const cell of cellsOf(tr)) {
      while (grid[r][c]) c++
      const colspan = span(cell, 'colspan', MAX_SPAN)
      const rowspan = span(cell, 'rowspan', rows.length - r)
      for (let dr = 0; dr < rowspan; dr++) {
        for (let dc = 0; dc < colspan; dc++) {
          grid[r + dr][c + dc] = { cell, origin: dr === 0 && dc === 0 }
        }
      }
      c += colspan
    }
  })
  // A column or row in which no cell starts (only spanned over, as by `colspan=50`) holds
  // nothing: it is left out.
  const columns = []
  for (let c = 0; c < Math.max(0, ...grid.map((row) => row.length)); c++) {
    if (grid.some((row) => row[c]?.origin)) columns.push(c)
  }
  const kept = grid.map((row, r) => r).filter((r) => grid[r].some((slot) => slot?.origin))
  rows = kept.map((r) => rows[r])
  grid.splice(0, grid.length, ...kept.map((r) => columns.map((c) => grid[r][c])))
  const width = columns.length
  const replacement = []
  const caption = elementChildren(table).find((el) => name(el) === 'caption')
  if (caption) replacement.push(...cellParagraphs(doc, caption))
  const parent = table.parentNode
  if (width === 0) {
    // A table without cells: only its caption, if any, is left.
    for (const node of replacement) parent.insertBefore(node, table)
    remove(table)
    return
  }
  const origins = (r) => grid[r].filter((slot) => slot && slot.origin).map((slot) => slot.cell)
  const headerRow = rows.length > 0 && (
    rows[0].head ||
    origins(0).every((cell) => name(cell) === 'th') ||
    (rows.length > 1 && origins(0).some(allBold) &&
      origins(0).every((cell) => allBold(cell) || !textOf(cell).trim()) &&
      !origins(1).every((cell) => allBold(cell) || !textOf(cell).trim())))
  const newTable = doc.createElement('table')
  const body = doc.createElement('tbody')
  newTable.appendChild(body)
  grid.forEach((row, r) => {
    const tr = doc.createElement('tr')
    for (let c = 0; c < width; c++) {
      const slot = row[c]
      const header = (r === 0 && headerRow) || (slot && (name(slot.cell) === 'th' || rows[r].head))
      const cell = doc.createElement(header ? 'th' : 'td')
      const content = slot && slot.origin ? cellParagraphs(doc, slot.cell) : [doc.createElement('p')]
      for (const block of content) cell.appendChild(block)
      tr.appendChild(cell)
    }
    body.appendChild(tr)
  })
  replacement.push(newTable)
  for (const node of replacement) parent.insertBefore(node, table)
  remove(table)
}

function normalizeTables (root) {
  // Outer tables first: a nested table becomes paragraphs of its outer table's cell.
  const walk = (node) => {
    for (const child of children(node)) {
      if (child.nodeType !== ELEMENT_NODE) continue
      if (name(child) === 'table') normalizeTable(child)
      else walk(child)
    }
  }
  walk(root)
}

// ---------------------------------------------------------------------------------------------

function stripAttributes (root) {
  for (const element of elementsIn(root)) {
    const kept = KEPT_ATTRIBUTES[name(element)] || []
    for (const attribute of Array.from(element.attributes || [])) {
      if (!kept.includes(attribute.name.toLowerCase())) element.removeAttribute(attribute.name)
    }
  }
}

/**
 * `<br>`s that are no line break: between blocks (Google Docs puts one between a list and a
 * table) or last in a block (LibreOffice writes an empty paragraph as `<p><br/></p>`).
 */
function removeStrayBreaks (root) {
  for (const br of elementsIn(root).filter((el) => name(el) === 'br')) {
    const parent = br.parentNode
    if (parent !== root && !isBlock(parent) && name(parent) !== 'body') continue
    const siblings = children(parent).filter((node) => !isBlank(node))
    const i = siblings.indexOf(br)
    const before = siblings[i - 1]
    const after = siblings[i + 1]
    if (!after || ((!before || isBlock(before)) && isBlock(after))) remove(br)
  }
}

/**
 * Cleans a parsed paste in place: `root` is the element holding it (a document's body).
 * `css` is the text of the paste's style sheets (Word's `@list` rules say which lists are
 * numbered).
 */
export function cleanPastedDOM (root, css = '') {
  removeJunk(root)
  convertWordLists(root, readWordListStyles(css))
  normalizeLists(root)
  normalizeInline(root)
  normalizeTables(root)
  removeStrayBreaks(root)
  stripAttributes(root)
  return root
}

// Like ProseMirror's own clipboard reader: bare rows or cells are parsed in a table.
const WRAP = {
  thead: ['table'], tbody: ['table'], tfoot: ['table'], caption: ['table'], colgroup: ['table'],
  col: ['table', 'colgroup'], tr: ['table', 'tbody'], td: ['table', 'tbody', 'tr'], th: ['table', 'tbody', 'tr'],
  li: ['ul']
}

function browserParse (html) {
  return new globalThis.DOMParser().parseFromString(html, 'text/html')
}

/**
 * The `transformPastedHTML` of the editor: pasted HTML from a word processor or a page, as HTML
 * the schema parses into its own lists and tables. ProseMirror's own clipboard HTML
 * (`data-pm-slice`) is left as it is. `parse` turns HTML into a Document (the browser's
 * DOMParser by default; the tests pass linkedom's).
 */
export function cleanPastedHTML (html, parse = browserParse) {
  if (typeof html !== 'string' || html === '' || /data-pm-slice/.test(html)) return html
  // Google Docs starts with `<meta charset="utf-8">`; ProseMirror drops leading metas too.
  const source = html.replace(/^(\s*<meta [^>]*>)*/i, '')
  const fragment = source.replace(/^[\s\S]*?<!--StartFragment-->/, '').replace(/<!--EndFragment-->[\s\S]*$/, '')
  const first = /<([a-z][^>\s/]*)/i.exec(fragment)
  const wrap = first && WRAP[first[1].toLowerCase()]
  let doc
  try {
    doc = parse(wrap ? wrap.map((tag) => `<${tag}>`).join('') + fragment + wrap.map((tag) => `</${tag}>`).reverse().join('') : source)
  } catch {
    return html
  }
  if (!doc?.body) return html
  const css = Array.from(doc.querySelectorAll('style')).map((style) => style.textContent).join('\n')
  cleanPastedDOM(doc.body, css)
  return doc.body.innerHTML
}

// ---------------------------------------------------------------------------------------------
// Plain text (no HTML on the clipboard, or Ctrl+Shift+V): lines with bullets or numbers.

const BULLET_LINE = /^([ \t\u00a0]*)[•·\u2023\u2043\u25aa\u25ab\u25cf\u25e6\u25a0\u2013\u2014\uf0b7\uf0a7\uf0d8\uf0fc§o*-][ \t\u00a0]+(\S.*)$/
const NUMBER_LINE = /^([ \t\u00a0]*)(\d{1,3})[.)][ \t\u00a0]+(\S.*)$/

function indentWidth (indent) {
  return indent.replace(/\t/g, '    ').length
}

/**
 * The editor's `clipboardTextParser`: plain text whose lines start with a bullet («•», «·», «-»,
 * Word's «», «o») or a number («1.», «2)») becomes the schema's lists, nested by indentation;
 * other lines are paragraphs. Text without such lines, or pasted into a table cell (which holds
 * paragraphs only), is left to ProseMirror (null).
 */
export function parsePastedText (text, schema, $context) {
  if ($context) {
    for (let d = $context.depth; d > 0; d--) {
      const type = $context.node(d).type.name
      if (type === NodeName.TABLE_CELL || type === NodeName.TABLE_HEADER) return null
    }
  }
  const lines = String(text).split(/\r\n?|\n/).filter((line) => line.trim() !== '')
  const items = lines.map((line) => {
    let m
    if ((m = NUMBER_LINE.exec(line))) return { indent: indentWidth(m[1]), ordered: true, start: +m[2], text: m[3].trim() }
    if ((m = BULLET_LINE.exec(line))) return { indent: indentWidth(m[1]), ordered: false, start: 1, text: m[2].trim() }
    return { indent: -1, text: line.trim() }
  })
  if (!items.some((item) => item.indent >= 0)) return null
  const marks = $context ? $context.marks() : []
  const paragraph = (content) => schema.nodes[NodeName.PARAGRAPH].create(null, content ? schema.text(content, marks) : null)
  const out = []
  // stack: { indent, ordered, start, items: [[blocks]] }
  const stack = []
  const listNode = (level) => {
    const type = schema.nodes[level.ordered ? NodeName.ORDERED_LIST : NodeName.BULLET_LIST]
    return type.create(level.ordered ? { [NodeAttr.ORDER]: level.start } : null,
      level.items.map((blocks) => schema.nodes[NodeName.LIST_ITEM].create(null, blocks)))
  }
  const close = () => {
    const level = stack.pop()
    const node = listNode(level)
    if (stack.length) stack[stack.length - 1].items[stack[stack.length - 1].items.length - 1].push(node)
    else out.push(node)
  }
  for (const item of items) {
    if (item.indent < 0) {
      while (stack.length) close()
      out.push(paragraph(item.text))
      continue
    }
    while (stack.length && stack[stack.length - 1].indent > item.indent) close()
    let top = stack[stack.length - 1]
    if (top && top.indent === item.indent && top.ordered !== item.ordered) {
      close()
      top = stack[stack.length - 1]
    }
    if (!top || top.indent < item.indent) {
      top = { indent: item.indent, ordered: item.ordered, start: item.start, items: [] }
      stack.push(top)
    }
    top.items.push([paragraph(item.text)])
  }
  while (stack.length) close()
  return new Slice(Fragment.from(out), 0, 0)
}

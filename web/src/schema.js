// The ProseMirror schema of prose sections. Node and mark names are the contract with the
// server (DESIGN.md, layout.js ↔ src/document/layout.rs): y-prosemirror stores nodes as
// Y.XmlElements named after the node type and marks as text formatting attributes named after
// the mark. The list and table nodes are named by prosemirror-schema-list and prosemirror-tables;
// a unit test checks that their names are the layout's.

import { Schema } from 'prosemirror-model'
import { addListNodes } from 'prosemirror-schema-list'
import { tableNodes } from 'prosemirror-tables'
import { NodeName, NodeAttr, MarkName, MarkAttr } from './layout.js'

const { LEVEL } = NodeAttr
const { HREF } = MarkAttr

const SAFE_PROTOCOLS = ['http:', 'https:', 'mailto:']

/**
 * A link people may follow, or null: `http:`/`https:` URLs with a host, `mailto:` links and
 * in-page anchors (`#…`); `www.…` becomes `https://www.…`. A control character anywhere refuses
 * it (`java\tscript:` is `javascript:` to a browser). The same rule as the
 * server's `src/links.rs` `is_safe_href`, applied on paste and on render.
 */
export function safeHref (href) {
  const value = String(href ?? '').replace(/^ +| +$/g, '')
  // eslint-disable-next-line no-control-regex
  if (value === '' || /[\u0000-\u001f\u007f-\u009f]/.test(value)) return null
  if (value.startsWith('#')) return value.length > 1 ? value : null
  if (/^www\./i.test(value)) return safeHref(`https://${value}`)
  let url
  try {
    url = new URL(value)
  } catch {
    return null
  }
  if (!SAFE_PROTOCOLS.includes(url.protocol)) return null
  const written = value.slice(0, value.indexOf(':') + 1).toLowerCase()
  if (written !== url.protocol) return null
  if (url.protocol !== 'mailto:' && !url.hostname) return null
  return value
}

/** Prose heading levels (1–2 are the plan's sections). */
export const HEADING_LEVELS = [3, 4, 5]

/** The HTML heading of a prose heading level: 3 → h4, 4 → h5, 5 → h6 (others read as 3). */
export function headingTag (level) {
  return HEADING_LEVELS.includes(level) ? level + 1 : 4
}

const baseNodes = {
  doc: { content: 'block+' },
  [NodeName.PARAGRAPH]: {
    group: 'block',
    content: 'inline*',
    parseDOM: [{ tag: 'p' }],
    toDOM: () => ['p', 0]
  },
  // Levels 1–2 belong to the template's own headings; the page shows level 3 as <h4>, 4 as <h5>
  // and 5 as <h6>, as the server renders them, so the outline of the page stays intact.
  [NodeName.HEADING]: {
    group: 'block',
    content: 'inline*',
    defining: true,
    attrs: { [LEVEL]: { default: 3 } },
    parseDOM: [
      { tag: 'h1', attrs: { [LEVEL]: 3 } },
      { tag: 'h2', attrs: { [LEVEL]: 3 } },
      { tag: 'h3', attrs: { [LEVEL]: 3 } },
      { tag: 'h4', attrs: { [LEVEL]: 3 } },
      { tag: 'h5', attrs: { [LEVEL]: 4 } },
      { tag: 'h6', attrs: { [LEVEL]: 5 } }
    ],
    toDOM: (node) => [`h${headingTag(node.attrs[LEVEL])}`, 0]
  },
  [NodeName.BLOCKQUOTE]: {
    group: 'block',
    content: 'block+',
    defining: true,
    parseDOM: [{ tag: 'blockquote' }],
    toDOM: () => ['blockquote', 0]
  },
  text: { group: 'inline' },
  [NodeName.HARD_BREAK]: {
    inline: true,
    group: 'inline',
    selectable: false,
    parseDOM: [{ tag: 'br' }],
    toDOM: () => ['br']
  }
}

let nodes = addListNodes(
  new Schema({ nodes: baseNodes }).spec.nodes,
  `${NodeName.PARAGRAPH} block*`,
  'block'
)
// Simple tables for figures: cells hold paragraphs.
nodes = nodes.append(tableNodes({ tableGroup: 'block', cellContent: `${NodeName.PARAGRAPH}+`, cellAttributes: {} }))

const marks = {
  // The link's attrs object is exactly `{href}`: the server reads `link: {href}`.
  [MarkName.LINK]: {
    attrs: { [HREF]: {} },
    inclusive: false,
    parseDOM: [{
      tag: 'a[href]',
      getAttrs: (dom) => {
        const href = safeHref(dom.getAttribute('href'))
        return href ? { [HREF]: href } : false
      }
    }],
    // A stored link that is not safe (written by another client) is shown as plain text.
    toDOM: (mark) => {
      const href = safeHref(mark.attrs[HREF])
      return href
        ? ['a', { href, rel: 'noopener noreferrer nofollow' }, 0]
        : ['span', { class: 'link-refused' }, 0]
    }
  },
  [MarkName.BOLD]: {
    parseDOM: [
      { tag: 'strong' },
      { tag: 'b', getAttrs: (dom) => dom.style.fontWeight !== 'normal' && null },
      { style: 'font-weight', getAttrs: (value) => /^(bold(er)?|[5-9]\d{2,})$/.test(value) && null }
    ],
    toDOM: () => ['strong', 0]
  },
  [MarkName.ITALIC]: {
    parseDOM: [{ tag: 'i' }, { tag: 'em' }, { style: 'font-style=italic' }],
    toDOM: () => ['em', 0]
  }
}

export const schema = new Schema({ nodes, marks })

/** The names the schema gives its nodes and marks (a test compares them with layout.js). */
export const NODE_NAMES = Object.keys(schema.nodes)
export const MARK_NAMES = Object.keys(schema.marks)

// Print, as JSON, every definition the official Malloy parser finds in each model named on the command
// line: {file, errors, model: {doc, tags}, definitions: [{kind, name, parent, line, doc, tags}]}.
//
// It parses with the package's exported MalloyTranslator, set up as Malloy.parse sets it up (no database
// connection is needed to parse), and walks the parse tree the parser built. Which annotations belong to a
// definition follows the translator (malloy-to-ast): the definition's own annotations, those around its
// `is`, and those before the statement keyword that introduces it ("block notes"). `#(doc)` and `#"` lines
// are doc text; every other `#` line is a tag.
'use strict';
const fs = require('fs');
const path = require('path');
const {MalloyTranslator} = require('@malloydata/malloy');

// Parse tree contexts that define something, and the entry kind each one becomes.
const SCOPES = new Set(['source', 'view', 'nest', 'query', 'run']);

function ctxName(node) {
  return node.constructor.name;
}

function children(node) {
  const found = [];
  for (let i = 0; i < node.childCount; i++) found.push(node.getChild(i));
  return found;
}

function annotationText(node) {
  // An AnnotationContext or DocAnnotationContext: one line, or a block (begin line, body lines, end).
  const tokens = [];
  const walk = n => {
    if (n.symbol) tokens.push(n.symbol);
    else children(n).forEach(walk);
  };
  walk(node);
  const texts = tokens.filter(t => !/^\|#/.test(t.text.trim()) || tokens.length === 1).map(t => t.text);
  if (texts.length === 1) return texts[0].replace(/\r?\n$/, '');
  const [begin, ...body] = texts;
  // The body is dedented by its longest common indentation, as the translator does.
  let common;
  for (const line of body) {
    const content = line.replace(/\r?\n$/, '');
    if (!/\S/.test(content)) continue;
    const indent = content.match(/^[ \t]*/)[0];
    if (common === undefined) common = indent;
    else {
      let n = 0;
      while (n < common.length && n < indent.length && common[n] === indent[n]) n++;
      common = common.slice(0, n);
    }
  }
  const prefix = common || '';
  const dedented = body.map(line => (line.startsWith(prefix) ? line.slice(prefix.length) : line)).join('');
  return (begin + dedented).replace(/\r?\n$/, '').replace(/\r\n/g, '\n');
}

// The annotations directly on `node`: its own annotation children and those of its direct tags child.
function directNotes(node) {
  const notes = [];
  for (const child of children(node)) {
    const name = ctxName(child);
    if (name === 'AnnotationContext') notes.push(annotationText(child));
    else if (name === 'TagsContext') notes.push(...directNotes(child));
  }
  return notes;
}

function isNotes(node) {
  const notes = [];
  for (const child of children(node)) {
    const name = ctxName(child);
    if (name === 'IsDefineContext' || name === 'IsExploreContext') notes.push(...directNotes(child));
  }
  return notes;
}

function docAndTags(notes) {
  const doc = [];
  const tags = [];
  for (const note of notes) {
    const match = /^#(\(doc\)|")(?:[ \t]|$)/.exec(note) || /^#(\(doc\)|")/.exec(note);
    if (match) doc.push(note.slice(match[0].length).trim());
    else tags.push(note.slice(1).trim());
  }
  return {doc: doc.join('\n'), tags};
}

// Statement contexts whose leading annotations (block notes) apply to every definition they hold.
const STATEMENTS = new Set([
  'DefineSourceStatementContext', 'DefDimensionsContext', 'DefMeasuresContext', 'DefExploreQueryContext',
  'DefJoinOneContext', 'DefJoinManyContext', 'DefJoinCrossContext', 'GroupByStatementContext',
  'AggregateStatementContext', 'CalculateStatementContext', 'ProjectStatementContext', 'NestStatementContext',
  'TopLevelQueryDefsContext', 'RunStatementContext', 'DefineGivenStatementContext',
]);

function blockNotes(node) {
  for (let up = node.parent; up; up = up.parent) {
    if (STATEMENTS.has(ctxName(up))) return directNotes(up);
    if (ctxName(up) === 'QueryStatementContext' || ctxName(up) === 'ExplorePropertiesContext') return [];
  }
  return [];
}

function firstToken(node) {
  while (!node.symbol) node = node.getChild(0);
  return node.symbol;
}

function idText(node) {
  const text = node.text;
  return text.startsWith('`') && text.endsWith('`') ? text.slice(1, -1) : text;
}

// What a context defines: [kind, name node] or null.
function definition(node) {
  switch (ctxName(node)) {
    case 'SourceDefinitionContext':
      return ['source', node.sourceNameDef()];
    case 'SourceParameterContext':
      return ['given', node.parameterNameDef()];
    case 'GivenDefContext':
      return ['given', node.givenNameDef()];
    case 'TopLevelQueryDefContext':
      return ['query', node.queryName()];
    case 'ExploreQueryDefContext':
      return ['view', node.exploreQueryNameDef()];
    case 'NestDefContext':
      // `nest: by_carrier` (no `is`) names a view defined elsewhere: not a definition.
      return node.queryName() ? ['nest', node.queryName()] : null;
    case 'JoinOnContext':
    case 'JoinWithContext':
      return ['join', node.joinFrom().joinNameDef()];
    case 'RenameEntryContext':
      return ['rename', node.fieldName()[0]];
    case 'FieldDefContext': {
      for (let up = node.parent; up; up = up.parent) {
        const name = ctxName(up);
        if (name === 'DefDimensionsContext') return ['dimension', node.fieldNameDef()];
        if (name === 'DefMeasuresContext') return ['measure', node.fieldNameDef()];
        if (name === 'QueryStatementContext') return ['field', node.fieldNameDef()];
      }
      return ['field', node.fieldNameDef()];
    }
    default:
      return null;
  }
}

function outline(file, text) {
  const url = new URL('file://' + path.resolve(file)).toString();
  const translator = new MalloyTranslator(url, url, {urls: {[url]: text}});  // as Malloy.parse builds it
  const response = translator.parseStep.step(translator);
  const errors = translator.problems().filter(p => p.severity === 'error').map(p => p.message);
  const definitions = [];
  const model = {doc: [], tags: []};
  const scopes = [];
  const visit = node => {
    if (node.symbol) return;
    const name = ctxName(node);
    let pushed = false;
    const parent = scopes.length ? scopes[scopes.length - 1] : null;
    if (name === 'DocAnnotationContext') {
      const note = annotationText(node);
      const match = /^##\(doc\)/.exec(note);
      if (match) model.doc.push(note.slice(match[0].length).trim());
      else model.tags.push(note);
    } else if (name === 'ImportStatementContext') {
      const select = node.importSelect();
      const names = select ? select.importItem().map(item => idText(item.id()[0])) : [];
      const url = node.importURL().text;
      definitions.push({kind: 'import', name: url.slice(1, -1), parent: null, line: node.start.line,
        doc: '', tags: [], names});
    } else if (name === 'ExportItemContext') {
      definitions.push({kind: 'export', name: idText(node), parent: null, line: node.start.line, doc: '', tags: []});
    } else if (name === 'RunStatementContext' || name === 'AnonymousQueryContext') {
      const query = node.topLevelAnonQueryDef();
      const start = firstToken(query.sqExpr ? query.sqExpr() : query);
      const lineEnd = text.indexOf('\n', start.startIndex);
      const runText = text.slice(start.startIndex, lineEnd === -1 ? undefined : lineEnd).trim();
      const {doc, tags} = docAndTags(directNotes(node).concat(directNotes(query)));
      // A run is placed on the line of its keyword (`run:` or `query:`), not of the annotations before it.
      const keyword = children(node).find(child => child.symbol).symbol;
      const entry = {kind: 'run', name: runText, parent, line: keyword.line, doc, tags};
      definitions.push(entry);
      scopes.push('run ' + runText);
      pushed = true;
    } else {
      const found = definition(node);
      if (found) {
        const [kind, nameNode] = found;
        const notes = blockNotes(node).concat(directNotes(node), isNotes(node));
        const {doc, tags} = docAndTags(notes);
        const entryName = idText(nameNode);
        definitions.push({kind, name: entryName, parent, line: firstToken(nameNode).line, doc, tags});
        if (SCOPES.has(kind)) {
          scopes.push(kind + ' ' + entryName);
          pushed = true;
        }
      }
    }
    children(node).forEach(visit);
    if (pushed) scopes.pop();
  };
  if (response.parse) visit(response.parse.root);
  return {file, errors, model: {doc: model.doc.join('\n'), tags: model.tags}, definitions};
}

const results = process.argv.slice(2).map(file => outline(file, fs.readFileSync(file, 'utf8')));
process.stdout.write(JSON.stringify(results, null, 1) + '\n');

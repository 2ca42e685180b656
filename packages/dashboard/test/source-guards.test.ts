/**
 * Guards over the web app's source, read with the TypeScript parser:
 * - nothing is ever injected as HTML (seat strings are untrusted: issue #6);
 * - every word a person reads comes from the catalogue, so no JSX text or
 *   human-facing attribute is a literal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(entry.name) ? [path] : [];
  });
}

const files = sources(SRC).map((path) => ({
  path: path.slice(SRC.length + 1),
  // A .ts file holds no JSX: read as TSX, a generic arrow or a `<` comparison would look like JSX text.
  ast: ts.createSourceFile(
    path,
    readFileSync(path, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
    path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  ),
}));

function visit(node: ts.Node, each: (node: ts.Node) => void): void {
  each(node);
  node.forEachChild((child) => visit(child, each));
}

const HUMAN_ATTRIBUTES = new Set(['title', 'placeholder', 'aria-label', 'alt', 'label']);
// Symbols that are the same in every language.
const SYMBOLS = /^[\s×·—–…/:()\-+%|•←→]*$/u;

describe('web app source', () => {
  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('never injects HTML', () => {
    const offenders: string[] = [];
    for (const { path, ast } of files) {
      visit(ast, (node) => {
        if (ts.isJsxAttribute(node) && node.name.getText() === 'dangerouslySetInnerHTML')
          offenders.push(path);
        if (
          ts.isPropertyAccessExpression(node) &&
          ['innerHTML', 'outerHTML', 'insertAdjacentHTML'].includes(node.name.text)
        ) {
          offenders.push(path);
        }
        if (
          ts.isIdentifier(node) &&
          ['createContextualFragment', 'write'].includes(node.text) &&
          ts.isPropertyAccessExpression(node.parent)
        ) {
          offenders.push(path);
        }
      });
    }
    expect(offenders).toEqual([]);
  });

  it('takes every visible word from the catalogue', () => {
    const literals: string[] = [];
    for (const { path, ast } of files) {
      if (path.startsWith('i18n/catalogue')) continue;
      visit(ast, (node) => {
        if (ts.isJsxText(node) && !SYMBOLS.test(node.text)) literals.push(`${path}: ${node.text.trim()}`);
        if (
          ts.isJsxAttribute(node) &&
          HUMAN_ATTRIBUTES.has(node.name.getText()) &&
          node.initializer &&
          ts.isStringLiteral(node.initializer) &&
          !SYMBOLS.test(node.initializer.text)
        ) {
          literals.push(`${path}: ${node.name.getText()}="${node.initializer.text}"`);
        }
      });
    }
    expect(literals).toEqual([]);
  });
});

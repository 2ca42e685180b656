/**
 * Every string from a seat reaches the page through components/UntrustedText
 * (bidi-isolated, controls shown, wrapped: issue #13). Read with the
 * TypeScript parser: no JSX child may be a seat field itself (`{span.title}`,
 * `{seat.operator ?? '—'}`); pass it to <UntrustedText value={…} /> instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');
/** Fields that hold text from a seat, by the names the dashboard API gives them. */
const SEAT_FIELDS = new Set(['app', 'title', 'hostname', 'operator', 'osUser', 'seatName']);
/** `.name` is a seat's or a device's only on these objects (sites and teams are named by people). */
const NAMED_FROM_SEAT = new Set(['seat', 'device']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.tsx') ? [path] : [];
  });
}

/** The property read that a JSX child shows: `a.b`, `a?.b`, or the left side of `a.b ?? fallback`. */
function shownField(expression: ts.Expression): ts.PropertyAccessExpression | null {
  if (ts.isParenthesizedExpression(expression)) return shownField(expression.expression);
  if (
    ts.isBinaryExpression(expression) &&
    expression.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken
  ) {
    return shownField(expression.left);
  }
  return ts.isPropertyAccessExpression(expression) ? expression : null;
}

function rawSeatText(path: string, text: string): string[] {
  const ast = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isJsxExpression(node) &&
      node.expression &&
      (ts.isJsxElement(node.parent) || ts.isJsxFragment(node.parent))
    ) {
      const access = shownField(node.expression);
      const name = access?.name.text ?? '';
      const owner = access && ts.isIdentifier(access.expression) ? access.expression.text : '';
      if (SEAT_FIELDS.has(name) || (name === 'name' && NAMED_FROM_SEAT.has(owner))) {
        const { line } = ast.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${path}:${line + 1} ${node.getText()}`);
      }
    }
    node.forEachChild(visit);
  };
  visit(ast);
  return found;
}

describe('seat text in the web app source', () => {
  it('the guard sees a raw seat field and lets UntrustedText and attributes pass', () => {
    const sample = `export const A = ({ span, seat, device }) => (
      <tr title={span.title}>
        <td>{span.title}</td>
        <td>{seat.operator ?? none}</td>
        <td>{device.name}</td>
        <td><UntrustedText value={span.app} /></td>
        <td>{team.name}</td>
      </tr>
    );`;
    expect(rawSeatText('sample.tsx', sample)).toEqual([
      'sample.tsx:3 {span.title}',
      'sample.tsx:4 {seat.operator ?? none}',
      'sample.tsx:5 {device.name}',
    ]);
  });

  it('no page shows a seat field except through UntrustedText', () => {
    const files = sources(SRC);
    expect(files.length).toBeGreaterThan(20);
    const found = files
      .map((path) => ({ path, name: path.slice(SRC.length + 1) }))
      .flatMap(({ path, name }) => rawSeatText(name, readFileSync(path, 'utf8')));
    expect(found).toEqual([]);
  });
});

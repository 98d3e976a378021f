/**
 * README.md's configuration tables, generated from the variable table
 * (pure: table -> markdown). README.md keeps its prose by hand; the part
 * between the markers is this function's output, and a test fails when the
 * committed file differs. Regenerate with:
 *   node -e "require('./build/src/config/docs.js').updateConfigDoc('README.md')"
 */
import { VARIABLES, type VariableSpec } from './variables.ts';

export const BEGIN_MARKER = '<!-- BEGIN GENERATED: configMarkdown() -->';
export const END_MARKER = '<!-- END GENERATED -->';

function row(...cells: string[]): string {
  return `|${cells.map((c) => (c === '' ? ' ' : ` ${c.replace(/\|/g, '\\|').replace(/\n/g, ' ')} `)).join('|')}|`;
}

function shownDefault(s: VariableSpec): string {
  if (s.shownDefault !== undefined) return s.shownDefault;
  if (!('default' in s) || s.default === undefined) return '';
  const v = Array.isArray(s.default) ? s.default.join(',') : String(s.default);
  return `\`${v}\``;
}

export function configMarkdown(): string {
  const entries = Object.entries(VARIABLES as Record<string, VariableSpec>);
  const out: string[] = ['| variable | default | meaning |', '|---|---|---|'];
  const rowsDone = new Set<string>();
  for (const [name, s] of entries) {
    if (s.row !== undefined) {
      if (rowsDone.has(s.row)) continue;
      rowsDone.add(s.row);
    }
    out.push(row(`\`${s.row ?? name}\``, shownDefault(s), s.doc));
  }
  out.push(
    '',
    'Precedence, where a daemon variable and an OTEL_* variable say the same thing:',
    '**the OTEL_\\* variable wins**, and a warning is printed when both are set and',
    'disagree.',
    '',
    '| daemon variable | OTEL_* variable | notes |',
    '|---|---|---|',
  );
  for (const [name, s] of entries) {
    if (s.overriddenBy !== undefined) out.push(row(`\`${name}\``, `\`${s.overriddenBy}\``, s.precedenceNote ?? ''));
  }
  return out.join('\n');
}

/** The document with its generated part replaced by configMarkdown(). */
export function replaceGenerated(doc: string): string {
  const a = doc.indexOf(BEGIN_MARKER);
  const b = doc.indexOf(END_MARKER, a);
  if (a === -1 || b === -1) throw new Error(`@wundr/otel: markers ${BEGIN_MARKER} … ${END_MARKER} not found`);
  return `${doc.slice(0, a + BEGIN_MARKER.length)}\n\n${configMarkdown()}\n\n${doc.slice(b)}`;
}

/** Rewrites the generated part of the file at `path`. */
export function updateConfigDoc(path: string): void {
  const fs = require('node:fs') as typeof import('node:fs');
  fs.writeFileSync(path, replaceGenerated(fs.readFileSync(path, 'utf8')));
}

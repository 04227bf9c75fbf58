/**
 * A piece of SQL with its `?` placeholders' values, in order: what the shared predicates (entitlements, social)
 * return, so a repository can splice one into its own statement without knowing the rule behind it.
 */
export interface SqlFragment {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * One side of a predicate: a column of the caller's query (`column('p.user_id')`, written in our code, never input)
 * or a value bound as a parameter (`value(viewerId)`).
 */
export type SqlOperand = { readonly column: string } | { readonly value: unknown };

export const column = (name: string): SqlOperand => ({ column: name });
export const value = (v: unknown): SqlOperand => ({ value: v });

/** The operand as SQL: the column itself, or a placeholder with its value. */
export function operand(o: SqlOperand): SqlFragment {
  return 'column' in o ? { sql: o.column, params: [] } : { sql: '?', params: [o.value] };
}

/**
 * Joins a template's pieces: `sql\`a = ${x} and ${y}\`` with fragments or operands between them. Plain strings and
 * numbers are not accepted between the pieces, so a value can never be spliced in unbound.
 */
export function sql(strings: TemplateStringsArray, ...parts: (SqlFragment | SqlOperand)[]): SqlFragment {
  let text = strings[0];
  const params: unknown[] = [];
  parts.forEach((part, i) => {
    const fragment = 'sql' in part ? part : operand(part);
    text += fragment.sql + strings[i + 1];
    params.push(...fragment.params);
  });
  return { sql: text, params };
}

/** Fixed SQL text written in our code (never input), as a fragment. */
export const text = (sqlText: string): SqlFragment => ({ sql: sqlText, params: [] });

/** Fragments joined by `separator` (`' and '`, `' or '`), their parameters in order. */
export function joinSql(parts: readonly SqlFragment[], separator: string): SqlFragment {
  return { sql: parts.map((p) => p.sql).join(separator), params: parts.flatMap((p) => p.params) };
}

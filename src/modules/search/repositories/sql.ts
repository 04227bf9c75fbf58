/** A fragment of SQL with its `?` parameters in order, so fragments compose without counting placeholders. */
export interface Sql {
  text: string;
  params: unknown[];
}

/** `sql\`a = ${x} and ${fragment}\``: values become `?` parameters, nested fragments are spliced in with theirs. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  let text = strings[0];
  const params: unknown[] = [];
  values.forEach((value, i) => {
    if (isSql(value)) {
      text += value.text;
      params.push(...value.params);
    } else {
      text += '?';
      params.push(value);
    }
    text += strings[i + 1];
  });
  return { text, params };
}

export function join(parts: Sql[], separator: string): Sql {
  return { text: parts.map((p) => p.text).join(separator), params: parts.flatMap((p) => p.params) };
}

export const raw = (text: string): Sql => ({ text, params: [] });

function isSql(value: unknown): value is Sql {
  return typeof value === 'object' && value !== null && 'text' in value && 'params' in value && Array.isArray((value as Sql).params);
}

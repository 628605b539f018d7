/**
 * Loghub header syntax: `<Date> <Time> <Level> <Component>: <Content>` names the fields of a log
 * line's header; `<Content>` is the message to mine. Literal runs keep their characters, except
 * that any run of spaces matches any run of whitespace (aligned columns vary in width), and
 * backslash escapes (`\[`) stay escapes, so bracketed fields and optional groups such as
 * `(\[<PID>\])?` written for the benchmark settings work unchanged.
 */
export interface LogFormat {
  /** The format as written. */
  source: string;
  fields: string[];
  /** Splits one line into its named header fields and content; undefined when the line does not match. */
  parse(line: string): Record<string, string> | undefined;
}

const FIELD = /<(\w+)>/g;

export function compileLogFormat(format: string): LogFormat {
  const fields: string[] = [];
  let pattern = '';
  let last = 0;
  for (const m of format.matchAll(FIELD)) {
    pattern += literal(format.slice(last, m.index));
    const name = m[1];
    if (fields.includes(name)) throw new Error(`log format names <${name}> twice`);
    fields.push(name);
    pattern += `(?<${name}>.*?)`;
    last = m.index + m[0].length;
  }
  pattern += literal(format.slice(last));
  if (!fields.length) throw new Error('log format has no <Field>; it needs at least <Content>');
  let regex: RegExp;
  try {
    regex = new RegExp(`^${pattern}$`, 's');
  } catch (e) {
    throw new Error(`log format is not a valid pattern: ${(e as Error).message}`);
  }
  return {
    source: format,
    fields,
    parse(line) {
      const m = regex.exec(line.trim());
      // The match's own groups object, not a copy: this runs once per line.
      return m?.groups;
    },
  };
}

/** Literal text of the format: spaces become `\s+`; escapes and regex syntax the format author wrote are kept. */
function literal(text: string): string {
  return text.replace(/ +/g, '\\s+');
}

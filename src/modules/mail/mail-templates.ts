import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MAIL_TEMPLATES, MailTemplate, RenderedMail } from './mail.types';

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Values in the text part: line breaks removed, so a display name cannot add lines (or headers) to a mail. */
function plain(value: string): string {
  return value.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

function fill(template: string, values: Record<string, string>, escape: (value: string) => string, name: string): string {
  return template.replace(PLACEHOLDER, (_, key: string) => {
    if (!(key in values)) throw new Error(`mail template ${name}: no value for {{${key}}}`);
    return escape(values[key]);
  });
}

/** Next to this file in the sources; the build copies the folder next to the compiled file too. */
function templatesDir(): string {
  const beside = join(__dirname, 'templates');
  return existsSync(beside) ? beside : resolve(__dirname, '../../../../src/modules/mail/templates');
}

/** The mail templates, read once at start-up: a missing file stops start-up rather than a mail later. */
export class MailTemplates {
  private readonly sources = new Map<MailTemplate, { subject: string; text: string; html: string }>();

  constructor(dir = templatesDir()) {
    for (const name of MAIL_TEMPLATES) {
      const [first, ...rest] = readFileSync(join(dir, `${name}.txt`), 'utf8').split('\n');
      if (!first.startsWith('Subject: ')) throw new Error(`mail template ${name}.txt must start with "Subject: "`);
      this.sources.set(name, { subject: first.slice('Subject: '.length), text: rest.join('\n').trimStart(), html: readFileSync(join(dir, `${name}.html`), 'utf8') });
    }
  }

  render(name: MailTemplate, values: Record<string, string>): RenderedMail {
    const source = this.sources.get(name)!;
    return {
      subject: fill(source.subject, values, plain, name),
      text: fill(source.text, values, plain, name),
      html: fill(source.html, values, escapeHtml, name),
    };
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MAIL_TEMPLATES, MailTemplate, RenderedMail, USER_CHOSEN_VALUES } from './mail.types';

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
/** `{{#personal}}…{{/personal}}`: only in mail to a verified address; `{{^personal}}…{{/personal}}`: only in any other. */
const SECTION = /\{\{([#^])personal\}\}([\s\S]*?)\{\{\/personal\}\}/g;

/** Keeps the sections meant for this kind of recipient, without their markers. */
function sections(template: string, personal: boolean): string {
  return template.replace(SECTION, (_, kind: string, body: string) => ((kind === '#') === personal ? body : ''));
}

/** A user-chosen value outside a personal block would reach unverified addresses: refused when the templates load. */
function checkUserChosen(name: string, part: string, template: string): void {
  for (const [, key] of sections(template, false).matchAll(PLACEHOLDER)) {
    if (USER_CHOSEN_VALUES.includes(key)) throw new Error(`mail template ${name} (${part}): {{${key}}} is user-chosen; put it inside {{#personal}}…{{/personal}}`);
  }
}

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
      const source = { subject: first.slice('Subject: '.length), text: rest.join('\n').trimStart(), html: readFileSync(join(dir, `${name}.html`), 'utf8') };
      for (const [part, template] of Object.entries(source)) checkUserChosen(name, part, template);
      this.sources.set(name, source);
    }
  }

  /** `personal`: the recipient is a verified address, so the personal blocks (and their user-chosen values) are rendered. */
  render(name: MailTemplate, values: Record<string, string>, personal: boolean): RenderedMail {
    const source = this.sources.get(name)!;
    return {
      subject: fill(sections(source.subject, personal), values, plain, name),
      text: fill(sections(source.text, personal), values, plain, name),
      html: fill(sections(source.html, personal), values, escapeHtml, name),
    };
  }
}

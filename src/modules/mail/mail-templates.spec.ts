import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailTemplates } from './mail-templates';
import { MAIL_TEMPLATES } from './mail.types';

/** A template folder where every template is `body` (both parts), for the loader's checks. */
function folderWith(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'x18-mail-'));
  for (const name of MAIL_TEMPLATES) {
    writeFileSync(join(dir, `${name}.txt`), `Subject: Hi\n${body}\n`);
    writeFileSync(join(dir, `${name}.html`), `<p>${body}</p>`);
  }
  return dir;
}

describe(MailTemplates.name, () => {
  const templates = new MailTemplates();
  const values = { name: 'Ada <Lovelace>', username: 'ada', link: 'https://app.example.test/reset-password?token=t' };

  it('renders the personal blocks, escaped, for a verified recipient', () => {
    const mail = templates.render('reset-password', values, true);
    expect(mail.text).toMatch(/^Hello Ada <Lovelace>,\n/);
    expect(mail.text).toContain('for @ada, open this link');
    expect(mail.html).toContain('Hello Ada &lt;Lovelace&gt;,');
  });

  it('leaves them out, and needs no user-chosen value, for any other recipient', () => {
    const mail = templates.render('reset-password', { link: values.link }, false);
    expect(mail.text).toMatch(/^Hello,\n/);
    expect(mail.text).toContain('for your account, open this link');
    expect(`${mail.subject}${mail.text}${mail.html}`).not.toMatch(/Ada|@ada|personal/);
  });

  it('refuses to load a template with a user-chosen value outside a personal block', () => {
    const dir = folderWith('Hello {{name}}, {{#personal}}{{username}}{{/personal}}');
    try {
      expect(() => new MailTemplates(dir)).toThrow(/\{\{name\}\} is user-chosen/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads one that keeps them inside', () => {
    const dir = folderWith('{{#personal}}Hello {{name}},{{/personal}}{{^personal}}Hello,{{/personal}} {{link}}');
    try {
      expect(new MailTemplates(dir).render('verify-email', { link: 'L' }, false).text).toBe('Hello, L\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

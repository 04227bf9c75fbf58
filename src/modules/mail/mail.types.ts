/** Every mail the service sends; each has `<name>.txt` (first line `Subject: …`) and `<name>.html` under `templates/`. */
export const MAIL_TEMPLATES = ['verify-email', 'email-change-notice', 'reset-password', 'export-ready', 'gift-received'] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

/**
 * Template values a user chose (a display name, a username, an address typed by whoever holds the session). They go
 * only into mail to an address its account has verified, inside a template's `{{#personal}}…{{/personal}}` blocks:
 * whoever registered somebody else's address could otherwise write a phishing line into mail from us to it ("Hello
 * URGENT … https://evil.test/login"; issue 23, N11). `MailTemplates` refuses a template that uses one elsewhere.
 */
export const USER_CHOSEN_VALUES: readonly string[] = ['name', 'username', 'new_email'];

/**
 * One mail as queued. `values` fill the template's `{{name}}` placeholders (escaped in the HTML part); `sealed` holds
 * values that must not be readable in the outbox or on the queue dashboard (links with tokens), encrypted under
 * ENCRYPTION_KEY and opened only by the mail worker. `personal`: the recipient is the account's verified address, so
 * the personal blocks (with the user-chosen values) are rendered; absent or false, they are left out.
 */
export interface MailRequest {
  to: string;
  template: MailTemplate;
  values: Record<string, string>;
  sealed?: string;
  personal?: boolean;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Every mail the service sends; each has `<name>.txt` (first line `Subject: …`) and `<name>.html` under `templates/`. */
export const MAIL_TEMPLATES = ['verify-email', 'email-change-notice', 'reset-password', 'export-ready'] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

/**
 * One mail as queued. `values` fill the template's `{{name}}` placeholders (escaped in the HTML part); `sealed` holds
 * values that must not be readable in the outbox or on the queue dashboard (links with tokens), encrypted under
 * ENCRYPTION_KEY and opened only by the mail worker.
 */
export interface MailRequest {
  to: string;
  template: MailTemplate;
  values: Record<string, string>;
  sealed?: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { AppConfig } from '@/common/config/app-config';
import { RenderedMail } from './mail.types';

export interface OutgoingMail extends RenderedMail {
  /** Stable per mail (the outbox id): a retry after an unclear failure sends the same Message-ID, so receivers can de-duplicate. */
  id: string;
  to: string;
  /** Logged in development `.eml` mode, so `npm start` can verify and reset with no mail server. */
  link?: string;
}

/**
 * SMTP at `SMTP_URL` through nodemailer (STARTTLS when the server offers it; `smtps://` for implicit TLS), or without
 * it `.eml` files under `$DATA_DIR/mail/`, one log line each.
 */
@Injectable()
export class MailTransport implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly smtp?: Transporter;

  constructor(private readonly config: AppConfig) {
    const { smtpUrl } = config.mail;
    // Bounded waits: a stuck server fails the job (which is retried) instead of holding the worker.
    if (smtpUrl) this.smtp = createTransport({ url: smtpUrl, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 });
  }

  onModuleInit(): void {
    if (!this.smtp && this.config.isProduction && this.config.runsWorkers) {
      this.logger.warn(`SMTP_URL is not set: mails are written to ${this.config.mail.dir} and nobody receives them`);
    }
  }

  onApplicationShutdown(): void {
    this.smtp?.close();
  }

  async send(mail: OutgoingMail): Promise<void> {
    const message = {
      from: this.config.mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${mail.id}@${new URL(this.config.mail.appUrl).hostname}>`,
    };
    if (this.smtp) {
      await this.smtp.sendMail(message);
      return;
    }
    await this.writeEml(mail, message);
  }

  private async writeEml(mail: OutgoingMail, message: object): Promise<void> {
    const built = await createTransport({ streamTransport: true, buffer: true, newline: 'unix' }).sendMail(message);
    const dir = this.config.mail.dir;
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.id}.eml`);
    // Complete files only: a reader never sees half a mail.
    await writeFile(`${file}.partial`, built.message as Buffer, { mode: 0o600 });
    await rename(`${file}.partial`, file);
    // The link carries a token: shown in development only, where it replaces the mail server.
    const link = mail.link && !this.config.isProduction ? ` ${mail.link}` : '';
    this.logger.log(`mail "${mail.subject}" to ${mail.to} written to ${file}${link}`);
  }
}
